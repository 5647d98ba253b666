"""chatwidget: chat apps that live in a Jupyter kernel.

import chatwidget as cw

app = cw.ChatApp(title="Assistant")

@app.on_message
async def reply(message: cw.Message):
    await cw.Message(content=f"You said: {message.content}").send()

app.display()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._context import NoChatError
from ._sync import make_async, run_sync, sleep
from .app import ChatApp

# ``chat_context``, ``context`` and ``step`` are also the names of submodules: bound here,
# at import, so that importing the submodule later cannot replace the attribute.
from .chat_context import chat_context
from .context import context
from .message import ErrorMessage, Message
from .session import user_session
from .step import Step, step

if TYPE_CHECKING:
    from . import input_widget
    from .action import Action
    from .ask import AskActionMessage, AskElementMessage, AskFileMessage, AskTimeoutError, AskUserMessage
    from .audio import AudioFeature, InputAudioChunk, OutputAudioChunk, send_audio_chunk, send_audio_interrupt
    from .chainlit._errors import ChainlitFeatureError
    from .chainlit._loader import load_chainlit_app
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
    from .modes import Mode, ModeOption
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
    from .types import AskFileResponse, ChatProfile, Command, Feedback, Starter, StarterCategory

    __version__: str


#: Imported on first use, so that ``import chatwidget`` loads only what every chat needs: the
#: app, messages and steps. The rest (elements, settings, MCP, voice, the Chainlit drop-in and
#: its TOML reader...) costs its import only to the apps that use it. Module -> its names.
_LAZY_FROM: dict[str, tuple[str, ...]] = {
    "action": ("Action",),
    "ask": ("AskActionMessage", "AskElementMessage", "AskFileMessage", "AskTimeoutError", "AskUserMessage"),
    "audio": (
        "AudioFeature",
        "InputAudioChunk",
        "OutputAudioChunk",
        "send_audio_chunk",
        "send_audio_interrupt",
    ),
    "chainlit._errors": ("ChainlitFeatureError",),
    "chainlit._loader": ("load_chainlit_app",),
    "data.types": ("PersistedUser", "User"),
    "element": (
        "Audio",
        "CustomElement",
        "Dataframe",
        "Element",
        "File",
        "Image",
        "Pdf",
        "Plotly",
        "Pyplot",
        "Task",
        "TaskList",
        "TaskStatus",
        "Text",
        "Video",
    ),
    "generation": ("ChatGeneration", "CompletionGeneration", "GenerationMessage"),
    "mcp": (
        "McpFeature",
        "McpRefusedError",
        "McpSseConnection",
        "McpStdioConnection",
        "McpStreamableHttpConnection",
    ),
    "modes": ("Mode", "ModeOption"),
    "settings": (
        "ChatSettings",
        "Checkbox",
        "MultiSelect",
        "NumberInput",
        "RadioGroup",
        "Select",
        "Slider",
        "Switch",
        "Tags",
        "TextInput",
    ),
    "sidebar": ("ElementSidebar",),
    "types": ("AskFileResponse", "ChatProfile", "Command", "Feedback", "Starter", "StarterCategory"),
}
_LAZY = {name: module for module, names in _LAZY_FROM.items() for name in names}
_LAZY_MODULES = ("input_widget",)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("chatwidget")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0.0.0"


def __getattr__(name: str) -> Any:
    import importlib  # takes the import lock: a first use from two threads imports once

    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    elif name in _LAZY_MODULES:
        value = importlib.import_module(f".{name}", __name__)
    elif name == "__version__":
        value = _version()
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY, *_LAZY_MODULES, "__version__"})


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
