"""``chainlit.message``."""

from ..ask import AskActionMessage, AskElementMessage, AskFileMessage, AskUserMessage
from ..message import ErrorMessage, Message

__all__ = [
    "AskActionMessage",
    "AskElementMessage",
    "AskFileMessage",
    "AskUserMessage",
    "ErrorMessage",
    "Message",
]
