"""Threads seen from the kernel: list, resume, rename, delete and share the owner's threads.

Every operation checks that the thread belongs to this kernel's owner; another owner's
thread is reported exactly like a missing one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._base import StepBase
from ._protocol import MESSAGE_TYPES
from ._util import utc_now
from .data import Pagination, ThreadDict, ThreadFilter
from .element import Audio, Dataframe, Display, Element, File, Image, Pdf, Plotly, TaskList, Text, Video
from .message import Message
from .step import Step

if TYPE_CHECKING:
    from ._persistence import ThreadWriter
    from .app import ChatApp

_ELEMENT_KINDS: dict[str, type[Element]] = {
    "text": Text,
    "image": Image,
    "file": File,
    "pdf": Pdf,
    "audio": Audio,
    "video": Video,
    "plotly": Plotly,
    "dataframe": Dataframe,
    "tasklist": TaskList,
}


def _display(value: object) -> Display:
    """A stored element's display, checked: anything unknown shows inline."""
    return "side" if value == "side" else "page" if value == "page" else "inline"


class ThreadNotFoundError(LookupError):
    def __init__(self) -> None:
        super().__init__("No such thread.")


def _writer(app: ChatApp) -> ThreadWriter:
    writer = app._writer
    if writer is None:
        raise RuntimeError("This chat does not keep its threads (persist=False).")
    return writer


async def owned_thread(app: ChatApp, thread_id: str) -> ThreadDict:
    writer = _writer(app)
    thread = await writer.layer.get_thread(thread_id)
    if thread is None or thread.get("userIdentifier") != writer.owner:
        raise ThreadNotFoundError()
    return thread


async def list_threads(
    app: ChatApp, search: str | None, cursor: str | None, first: int = 20
) -> dict[str, Any]:
    writer = _writer(app)
    user = await writer.layer.get_user(writer.owner)
    if user is None:
        return {"pageInfo": {"hasNextPage": False, "startCursor": None, "endCursor": None}, "data": []}
    page = await writer.layer.list_threads(
        Pagination(first=first, cursor=cursor), ThreadFilter(userId=user.id, search=search or None)
    )
    result = page.to_dict()
    result["data"] = [
        {
            "id": t["id"],
            "name": t.get("name"),
            "createdAt": t.get("createdAt"),
            "updatedAt": t.get("updatedAt"),
            "shared": bool((t.get("metadata") or {}).get("is_shared")),
        }
        for t in page.data
    ]
    return result


def step_from_dict(data: dict[str, Any]) -> StepBase:
    """A message or step as it was stored; one left streaming by a dead kernel is interrupted."""
    item: StepBase
    if data.get("type") in MESSAGE_TYPES:
        item = Message(
            data.get("output") or "", author=data.get("name") or "", type=data["type"], id=data["id"]
        )
        item.command = data.get("command")
    else:
        item = Step(name=data.get("name") or "Step", type=data.get("type") or "undefined", id=data["id"])
        item.input = data.get("input") or ""
        item.output = data.get("output") or ""
    item.parent_id = data.get("parentId")
    item.thread_id = data.get("threadId")
    item.metadata = dict(data.get("metadata") or {})
    item.tags = data.get("tags")
    item.is_error = bool(data.get("isError"))
    item.created_at, item.start, item.end = data.get("createdAt"), data.get("start"), data.get("end")
    item.language = data.get("language")
    item.default_open = bool(data.get("defaultOpen"))
    item.show_input = data.get("showInput", "json")
    item.generation = data.get("generation")
    feedback = data.get("feedback")
    if feedback and feedback.get("value") in (0, 1):
        item.feedback = {"value": feedback["value"], "comment": feedback.get("comment")}
    if data.get("streaming"):
        item.metadata["interrupted"] = True
        if item.end is None and item.type not in MESSAGE_TYPES:
            item.end = item.start
    return item


async def resume(app: ChatApp, thread_id: str) -> ThreadDict:
    thread = await owned_thread(app, thread_id)
    writer = _writer(app)
    await app._end_chat()
    app._clear_conversation()
    await app._switch_thread(thread_id, stored=True)
    steps = [step_from_dict(dict(s)) for s in thread.get("steps", [])]
    by_id = {s.id: s for s in steps}
    for stored in thread.get("elements") or []:
        kind = _ELEMENT_KINDS.get(stored.get("type", "file"), File)
        owner = by_id.get(stored.get("forId") or "")
        if owner is None:
            continue
        element = kind(
            id=stored["id"],
            name=stored.get("name") or "",
            display=_display(stored.get("display")),
            mime=stored.get("mime"),
            language=stored.get("language"),
            page=stored.get("page"),
            props=stored.get("props") or {},
            content=await writer.layer.read_element_content(thread_id, stored["id"]),
        )
        owner.elements.append(element)
    for step in steps:
        step._app = app
        app._restore(step)
    metadata = thread.get("metadata") or {}
    app.session = {
        "id": thread_id,
        **{k: metadata[k] for k in ("chat_settings", "chat_profile") if k in metadata},
    }
    app._started = True
    if handler := app._handlers.get("on_chat_resume"):
        await app._runner.invoke("on_chat_resume", handler, thread)
    app._flush()
    return thread


async def _update_owned(app: ChatApp, thread_id: str, **changes: Any) -> None:
    """Change the owner's thread; the owner is checked again within the write, so a thread
    deleted since :func:`owned_thread` stays deleted."""
    writer = _writer(app)
    if not await writer.layer.update_thread(thread_id, author=writer.owner, **changes):
        raise ThreadNotFoundError()


async def rename(app: ChatApp, thread_id: str, name: str) -> None:
    await owned_thread(app, thread_id)
    await _update_owned(app, thread_id, name=name)


async def delete(app: ChatApp, thread_id: str) -> None:
    await owned_thread(app, thread_id)
    writer = _writer(app)
    await writer.layer.delete_thread(thread_id)
    writer.forget(thread_id)
    if thread_id == app.thread_id:
        await app.new_chat()


async def share(app: ChatApp, thread_id: str, shared: bool) -> dict[str, Any]:
    await owned_thread(app, thread_id)
    metadata = {"is_shared": shared, "shared_at": utc_now() if shared else None}
    await _update_owned(app, thread_id, metadata=metadata)
    return {"shared": shared, "path": f"chatwidget/share/{thread_id}/page" if shared else None}
