"""chatwidget: chat apps that live in a Jupyter kernel.

import chatwidget as cw

app = cw.ChatApp(title="Assistant")

@app.on_message
async def reply(message: cw.Message):
    await cw.Message(content=f"You said: {message.content}").send()

app.display()
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from ._context import NoChatError
from ._sync import run_sync
from .app import ChatApp
from .generation import ChatGeneration, CompletionGeneration, GenerationMessage
from .message import ErrorMessage, Message
from .session import user_session
from .step import Step, step

try:
    __version__ = version("chatwidget")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = [
    "ChatApp",
    "ChatGeneration",
    "CompletionGeneration",
    "ErrorMessage",
    "GenerationMessage",
    "Message",
    "NoChatError",
    "Step",
    "__version__",
    "run_sync",
    "step",
    "user_session",
]
