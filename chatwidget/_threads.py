"""Threads seen from a chat: list, resume, rename, delete and share its owner's threads.

The ownership rules are :class:`chatwidget.data.threads.ThreadService`'s, the same the
server's REST API follows; another owner's thread is reported exactly like a missing one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._base import StepBase
from ._protocol import MESSAGE_TYPES
from .data import ThreadDict
from .data.threads import ThreadNotFoundError
from .element import Audio, Dataframe, Display, Element, File, Image, Pdf, Plotly, TaskList, Text, Video
from .message import Message
from .step import Step

if TYPE_CHECKING:
    from .chat import ChatSession

__all__ = ["ThreadNotFoundError", "delete", "list_threads", "rename", "resume", "share", "step_from_dict"]

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


async def list_threads(
    chat: ChatSession, search: str | None, cursor: str | None, first: int = 20
) -> dict[str, Any]:
    service, owner = await chat.threads()
    return await service.list(owner, first=first, cursor=cursor, search=search)


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


async def resume(chat: ChatSession, thread_id: str) -> ThreadDict:
    service, owner = await chat.threads()
    thread = await service.get(thread_id, owner)
    await chat.end()
    chat.clear(keep_settings=True)
    await chat.switch_thread(thread_id, stored=True)
    steps = [step_from_dict(dict(s)) for s in thread.get("steps", [])]
    by_id = {s.id: s for s in steps}
    for stored in thread.get("elements") or []:
        kind = _ELEMENT_KINDS.get(stored.get("type", "file"), File)
        owner_step = by_id.get(stored.get("forId") or "")
        if owner_step is None:
            continue
        element = kind(
            id=stored["id"],
            name=stored.get("name") or "",
            display=_display(stored.get("display")),
            mime=stored.get("mime"),
            language=stored.get("language"),
            page=stored.get("page"),
            props=stored.get("props") or {},
            content=await service.layer.read_element_content(thread_id, stored["id"]),
        )
        owner_step.elements.append(element)
    for step in steps:
        step.bind(chat)
        chat.elements.attach(step, store=False)
        chat.conversation.put(step, restored=True)
    metadata = thread.get("metadata") or {}
    chat.user_session = {
        "id": thread_id,
        **{k: metadata[k] for k in ("chat_settings", "chat_profile") if k in metadata},
    }
    if isinstance(metadata.get("chat_settings"), dict):
        chat.interaction.restore_settings(metadata["chat_settings"])
    chat.started = True
    if handler := chat.handlers.get("on_chat_resume"):
        await chat.runner.invoke("on_chat_resume", handler, thread)
    chat.conversation.flush()
    return thread


async def rename(chat: ChatSession, thread_id: str, name: str) -> None:
    service, owner = await chat.threads()
    await service.rename(thread_id, owner, name)


async def delete(chat: ChatSession, thread_id: str) -> None:
    service, owner = await chat.threads()
    await service.delete(thread_id, owner)
    if chat.writer is not None:
        chat.writer.forget(thread_id)
    if thread_id == chat.thread_id:
        await chat.new_chat()


async def share(chat: ChatSession, thread_id: str, shared: bool) -> dict[str, Any]:
    """Publish the thread or withdraw it; the share page's address is the server's to give
    (``GET {base_url}chatwidget/api/threads/{id}/share`` answers it to the owner's browser)."""
    service, owner = await chat.threads()
    await service.share(thread_id, owner, shared)
    return {"shared": shared}
