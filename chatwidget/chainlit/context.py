"""``chainlit.context``."""

from ..context import Context, context

__all__ = ["Context", "context"]
