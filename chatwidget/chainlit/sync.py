"""``chainlit.sync``: running blocking code without blocking the chat, and the reverse."""

from .._sync import make_async, run_sync

__all__ = ["make_async", "run_sync"]
