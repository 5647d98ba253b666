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
from .action import Action
from .app import ChatApp
from .ask import AskActionMessage, AskElementMessage, AskFileMessage, AskTimeoutError, AskUserMessage
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
from .step import Step, step
from .types import ChatProfile, Command, Feedback, Starter

try:
    __version__ = version("chatwidget")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = [
    "Action",
    "AskActionMessage",
    "AskElementMessage",
    "AskFileMessage",
    "AskTimeoutError",
    "AskUserMessage",
    "Audio",
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
    "ErrorMessage",
    "Feedback",
    "File",
    "GenerationMessage",
    "Image",
    "McpFeature",
    "McpRefusedError",
    "McpSseConnection",
    "McpStdioConnection",
    "McpStreamableHttpConnection",
    "Message",
    "MultiSelect",
    "NoChatError",
    "NumberInput",
    "Pdf",
    "Plotly",
    "Pyplot",
    "RadioGroup",
    "Select",
    "Slider",
    "Starter",
    "Step",
    "Switch",
    "Tags",
    "Task",
    "TaskList",
    "Text",
    "TextInput",
    "Video",
    "__version__",
    "run_sync",
    "step",
    "user_session",
]
