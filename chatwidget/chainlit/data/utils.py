"""``chainlit.data.utils``."""

from . import queue_until_user_message

__all__ = ["queue_until_user_message"]
