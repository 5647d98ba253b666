"""``chainlit.input_widget``: the settings panel's inputs."""

from ..input_widget import *  # noqa: F403
from ..input_widget import __all__ as __all__
