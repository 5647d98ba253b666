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
from typing import TYPE_CHECKING, Any

from . import input_widget
from ._context import NoChatError
from ._sync import make_async, run_sync, sleep
from .action import Action
from .app import ChatApp
from .ask import AskActionMessage, AskElementMessage, AskFileMessage, AskTimeoutError, AskUserMessage
from .audio import AudioFeature, InputAudioChunk, OutputAudioChunk, send_audio_chunk, send_audio_interrupt
from .chat_context import chat_context
from .context import context
from .data.types import PersistedUser, User
from .element import (
    Audio,
    CustomElement,
    Dataframe,
    Element,
    File,
    Image,
    Pdf,
    Plotly,
    Pyplot,
    Task,
    TaskList,
    TaskStatus,
    Text,
    Video,
)
from .generation import ChatGeneration, CompletionGeneration, GenerationMessage
from .mcp import (
    McpFeature,
    McpRefusedError,
    McpSseConnection,
    McpStdioConnection,
    McpStreamableHttpConnection,
)
from .message import ErrorMessage, Message
from .modes import Mode, ModeOption
from .session import user_session
from .settings import (
    ChatSettings,
    Checkbox,
    MultiSelect,
    NumberInput,
    RadioGroup,
    Select,
    Slider,
    Switch,
    Tags,
    TextInput,
)
from .sidebar import ElementSidebar
from .step import Step, step
from .types import AskFileResponse, ChatProfile, Command, Feedback, Starter, StarterCategory

if TYPE_CHECKING:
    from .chainlit._errors import ChainlitFeatureError
    from .chainlit._loader import load_chainlit_app

#: Imported on first use: the Chainlit drop-in (and its TOML reader) only for Chainlit apps.
_LAZY = {
    "ChainlitFeatureError": "chainlit._errors",
    "load_chainlit_app": "chainlit._loader",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


try:
    __version__ = version("chatwidget")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = [
    "Action",
    "AskActionMessage",
    "AskElementMessage",
    "AskFileMessage",
    "AskFileResponse",
    "AskTimeoutError",
    "AskUserMessage",
    "Audio",
    "AudioFeature",
    "ChainlitFeatureError",
    "ChatApp",
    "ChatGeneration",
    "ChatProfile",
    "ChatSettings",
    "Checkbox",
    "Command",
    "CompletionGeneration",
    "CustomElement",
    "Dataframe",
    "Element",
    "ElementSidebar",
    "ErrorMessage",
    "Feedback",
    "File",
    "GenerationMessage",
    "Image",
    "InputAudioChunk",
    "McpFeature",
    "McpRefusedError",
    "McpSseConnection",
    "McpStdioConnection",
    "McpStreamableHttpConnection",
    "Message",
    "Mode",
    "ModeOption",
    "MultiSelect",
    "NoChatError",
    "NumberInput",
    "OutputAudioChunk",
    "Pdf",
    "PersistedUser",
    "Plotly",
    "Pyplot",
    "RadioGroup",
    "Select",
    "Slider",
    "Starter",
    "StarterCategory",
    "Step",
    "Switch",
    "Tags",
    "Task",
    "TaskList",
    "TaskStatus",
    "Text",
    "TextInput",
    "User",
    "Video",
    "__version__",
    "chat_context",
    "context",
    "input_widget",
    "load_chainlit_app",
    "make_async",
    "run_sync",
    "send_audio_chunk",
    "send_audio_interrupt",
    "sleep",
    "step",
    "user_session",
]
