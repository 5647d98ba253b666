"""``chainlit.step``."""

from .._protocol import StepDict
from ..step import Step, step

__all__ = ["Step", "StepDict", "step"]
