"""``chainlit.element``."""

from ..data.types import ElementDict
from ..element import (
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

__all__ = [
    "Audio",
    "CustomElement",
    "Dataframe",
    "Element",
    "ElementDict",
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
]
