"""``chainlit.action``."""

from ..action import Action

__all__ = ["Action"]
