"""Elements: images, files, plots, tables and custom components attached to messages and steps.

An element's bytes travel once, as a binary buffer in their own state key (``e<id>``), so
updating the message it belongs to never resends them. Bytes come from the kernel only
(``content``, or a ``path`` the kernel reads); nothing the browser sends names a file.
"""

from __future__ import annotations

import io
import json
import mimetypes
import uuid
from collections.abc import Generator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, ClassVar, Literal

from ._sync import on_loop

Display = Literal["inline", "side", "page"]

#: Rows of a DataFrame sent to the browser at most; the element says how many there were.
MAX_DATAFRAME_ROWS = 10_000


@dataclass(kw_only=True)
class Element:
    """Something shown with a message: ``display`` is ``inline``, ``side`` (a side area) or ``page``."""

    type: ClassVar[str] = "file"
    name: str = ""
    display: Display = "inline"
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    for_id: str | None = None
    thread_id: str | None = None
    url: str | None = None
    path: str | Path | None = None
    content: bytes | str | None = None
    mime: str | None = None
    size: Literal["small", "medium", "large"] | None = None
    language: str | None = None
    page: int | None = None
    props: dict[str, Any] = field(default_factory=dict)

    def data(self) -> bytes | None:
        """The bytes the browser needs, if any (read now: the kernel, not the browser, picks the file)."""
        if self.content is not None:
            return self.content.encode() if isinstance(self.content, str) else bytes(self.content)
        if self.path is not None:
            return Path(self.path).read_bytes()
        return None

    def guess_mime(self) -> str | None:
        if self.mime:
            return self.mime
        source = str(self.path or self.url or self.name)
        return mimetypes.guess_type(source)[0]

    def to_dict(self) -> dict[str, Any]:
        """The element's description (the reference's ElementDict); its bytes travel apart."""
        return {
            "id": self.id,
            "type": self.type,
            "name": self.name,
            "display": self.display,
            "forId": self.for_id,
            "threadId": self.thread_id,
            "url": self.url if self.url and self.url.startswith(("https://", "http://")) else None,
            "mime": self.guess_mime(),
            "size": self.size,
            "language": self.language,
            "page": self.page,
            "props": self.props,
        }

    async def send(self, for_id: str | None = None) -> Element:
        """Show the element on its own, or attached to the step or message ``for_id``."""
        from ._context import require_chat

        if for_id is not None:  # "" is the chat itself (a task list, the sidebar): no message
            self.for_id = for_id
        chat = require_chat()
        on_loop(lambda: chat.elements.put(self))
        return self

    async def update(self) -> Element:
        return await self.send()

    async def remove(self) -> None:
        from ._context import require_chat

        chat = require_chat()
        on_loop(lambda: chat.elements.remove(self))


@dataclass(kw_only=True)
class Text(Element):
    """Text, shown as markdown, or as code when ``language`` is set."""

    type: ClassVar[str] = "text"

    def guess_mime(self) -> str | None:
        return self.mime or "text/plain"


@dataclass(kw_only=True)
class Image(Element):
    type: ClassVar[str] = "image"
    size: Literal["small", "medium", "large"] | None = "medium"


@dataclass(kw_only=True)
class File(Element):
    """A file to download."""

    type: ClassVar[str] = "file"


@dataclass(kw_only=True)
class Pdf(Element):
    """A PDF, opened at ``page``."""

    type: ClassVar[str] = "pdf"

    def guess_mime(self) -> str | None:
        return self.mime or "application/pdf"


@dataclass(kw_only=True)
class Audio(Element):
    type: ClassVar[str] = "audio"
    auto_play: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "autoPlay": self.auto_play}


@dataclass(kw_only=True)
class Video(Element):
    type: ClassVar[str] = "video"


@dataclass(kw_only=True)
class Pyplot(Element):
    """A matplotlib figure, sent as a PNG."""

    type: ClassVar[str] = "image"
    figure: Any = None
    size: Literal["small", "medium", "large"] | None = "medium"

    def data(self) -> bytes | None:
        if self.figure is None:
            return super().data()
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()

    def guess_mime(self) -> str | None:
        return "image/png"


@dataclass(kw_only=True)
class Plotly(Element):
    """A plotly figure, drawn by plotly.js in a sandboxed frame.

    plotly.js comes from the installed ``plotly`` package and is sent to the browser once
    per chat (about 5 MB); without it the browser shows the figure's title and its JSON.
    """

    type: ClassVar[str] = "plotly"
    figure: Any = None

    def data(self) -> bytes | None:
        if self.figure is None:
            return super().data()
        text: str = self.figure.to_json()
        return text.encode()

    def guess_mime(self) -> str | None:
        return "application/json"


def front_end_library(name: str) -> bytes | None:
    """A browser library, if available: plotly.js from the ``plotly`` package, or one of the
    front end's own libraries loaded on first need (``math``: KaTeX, ``highlight``, ``voice``)."""
    from importlib.resources import files

    try:
        if name == "plotly":
            return (files("plotly") / "package_data" / "plotly.min.js").read_bytes()
        if name in ("math", "highlight", "voice"):
            return (files("chatwidget") / "static" / f"{name}.js").read_bytes()
    except (ImportError, FileNotFoundError, OSError):
        return None
    return None


@dataclass(kw_only=True)
class _DataframeFields(Element):
    type: ClassVar[str] = "dataframe"
    data_frame: Any = None


class Dataframe(_DataframeFields):
    """A pandas DataFrame, shown as a paged, sortable table: ``Dataframe(data=df, name=...)``.

    ``data_frame=`` is accepted too. (``data`` cannot be a field: ``Element.data()`` is the
    method that gives the bytes the browser receives.)
    """

    def __init__(self, *, data: Any = None, data_frame: Any = None, **fields: Any) -> None:
        if data is not None and data_frame is not None:
            raise TypeError("Dataframe takes data= or data_frame=, not both.")
        super().__init__(data_frame=data if data is not None else data_frame, **fields)

    def data(self) -> bytes | None:
        frame = self.data_frame
        if frame is None:
            return super().data()
        head = frame.head(MAX_DATAFRAME_ROWS)
        table = {
            "columns": [str(c) for c in head.columns],
            "rows": json.loads(head.to_json(orient="values", date_format="iso", default_handler=str)),
            "total": len(frame),
        }
        return json.dumps(table).encode()

    def guess_mime(self) -> str | None:
        return "application/json"


class TaskStatus(str, Enum):
    """The state of a :class:`Task`; plain strings (``"done"``) work as well."""

    READY = "ready"
    RUNNING = "running"
    FAILED = "failed"
    DONE = "done"


class _Done:
    """An awaitable that has already finished: ``add_task`` works awaited or not."""

    def __await__(self) -> Generator[None, None, None]:
        return
        yield


@dataclass
class Task:
    title: str
    status: TaskStatus | Literal["ready", "running", "done", "failed"] = TaskStatus.READY
    for_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "status": TaskStatus(self.status).value, "forId": self.for_id}


@dataclass(kw_only=True)
class TaskList(Element):
    """A list of tasks with statuses; ``await task_list.send()`` after changing them."""

    type: ClassVar[str] = "tasklist"
    name: str = "tasklist"
    display: Display = "inline"
    tasks: list[Task] = field(default_factory=list)
    status: str = "Running..."

    async def send(self, for_id: str | None = None) -> Element:
        """Show the list: beside the chat on its own, or with the message ``for_id``."""
        return await super().send(for_id if for_id is not None else (self.for_id or ""))

    def add_task(self, task: Task) -> _Done:
        """Append a task; ``await task_list.add_task(t)`` as in the reference (no need to, though)."""
        self.tasks.append(task)
        return _Done()

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["props"] = {**self.props, "status": self.status, "tasks": [t.to_dict() for t in self.tasks]}
        return data


@dataclass(kw_only=True)
class CustomElement(Element):
    """A small front-end component: ESM ``source`` exporting ``render({props, el, submit})``.

    It runs in a sandboxed frame, so it cannot reach the page that hosts the chat. Change
    ``props`` and ``await element.update()`` to re-render it; ``submit(data)`` in the
    component answers an :class:`AskElementMessage`.
    """

    type: ClassVar[str] = "custom"
    source: str = ""

    def data(self) -> bytes | None:
        return self.source.encode() if self.source else None

    def guess_mime(self) -> str | None:
        return "text/javascript"
