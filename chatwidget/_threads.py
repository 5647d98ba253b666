"""Threads seen from a chat: list, resume, rename, delete and share its owner's threads.

The ownership rules are :class:`chatwidget.data.threads.ThreadService`'s, the same the
server's REST API follows; another owner's thread is reported exactly like a missing one.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from ._base import StepBase
from ._protocol import MESSAGE_TYPES
from .data import ThreadDict
from .data.threads import ThreadNotFoundError, ThreadService
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
    chat: ChatSession, search: str | None, cursor: str | None, first: int = 20, *, all_apps: bool = False
) -> dict[str, Any]:
    """One page of the owner's threads of this chat's app (of every app with ``all_apps``)."""
    service, owner = await chat.threads()
    app = None if all_apps else chat.app.name
    return await service.list(owner, first=first, cursor=cursor, search=search, app=app)


def step_from_dict(data: dict[str, Any]) -> StepBase:
    """A message or step as it was stored; one left streaming by a dead kernel is interrupted."""
    item: StepBase
    if data.get("type") in MESSAGE_TYPES:
        item = Message(
            data.get("output") or "", author=data.get("name") or "", type=data["type"], id=data["id"]
        )
        item.command = data.get("command")
    else:
        item = Step(
            name=data.get("name") or "Step",
            type=data.get("type") or "undefined",
            id=data["id"],
            icon=data.get("icon") if isinstance(data.get("icon"), str) else None,
            auto_collapse=data.get("autoCollapse") is True,
        )
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


#: Steps read and shown first when a thread is resumed (more than a view's first page of
#: messages); the older ones are read next and take the slots kept free before them.
FIRST_PAGE = 100
#: Older steps are sent to the views in batches of this many, so that no single message
#: keeps a page busy for long.
OLDER_BATCH = 500
#: Seconds between the newest page's flush and the first older batch, and between batches:
#: a page handles every message that has arrived before it paints, so older steps sent at
#: once would hold back the paint of the newest ones.
OLDER_FIRST_DELAY = 0.15
OLDER_BATCH_GAP = 0.02


async def _restore(
    chat: ChatSession, service: ThreadService, page: ThreadDict, at: int | None
) -> list[StepBase]:
    """Put a page of stored steps (with their elements) into the chat, from slot ``at`` on
    (reserved slots) or after the last."""
    steps = [step_from_dict(dict(s)) for s in page.get("steps", [])]
    by_id = {s.id: s for s in steps}
    for stored in page.get("elements") or []:
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
            content=await service.layer.read_element_content(page["id"], stored["id"]),
        )
        owner_step.elements.append(element)
    for offset, step in enumerate(steps):
        step.bind(chat)
        chat.elements.attach(step, store=False)
        chat.conversation.put(step, restored=True, at=None if at is None else at + offset)
    return steps


async def resume(chat: ChatSession, thread_id: str) -> ThreadDict:
    """Show a stored thread in the chat: its newest page at once, then the older steps in the
    slots kept before it; ``on_chat_resume`` gets the whole thread."""
    service, owner = await chat.threads()
    thread = await service.get_page(thread_id, owner, FIRST_PAGE)
    await chat.end()
    chat.clear(keep_settings=True)
    await chat.switch_thread(thread_id, stored=True)
    cursor, older_count = thread.pop("olderSteps", None), thread.pop("olderCount", 0)
    older_slots = chat.conversation.reserve(older_count) if cursor and older_count else None
    newest = await _restore(chat, service, thread, None)
    metadata = thread.get("metadata") or {}
    chat.user_session = {
        "id": thread_id,
        **{k: metadata[k] for k in ("chat_settings", "chat_profile") if k in metadata},
    }
    if isinstance(metadata.get("chat_settings"), dict):
        chat.interaction.restore_settings(metadata["chat_settings"])
    if not metadata.get("app") and chat.writer is not None:  # made before threads had an app
        chat.writer.remember({"app": chat.app.name})
    chat.started = True
    chat.conversation.flush()  # the views paint the newest page now
    if older_slots is not None:
        painted = asyncio.get_running_loop().time() + OLDER_FIRST_DELAY
        older = await service.get_page(thread_id, owner, older_count, cursor)
        older_steps = older.get("steps", [])[-older_count:]
        at = older_slots + older_count - len(older_steps)
        await asyncio.sleep(max(0.0, painted - asyncio.get_running_loop().time()))
        for start in range(0, len(older_steps), OLDER_BATCH):  # each batch a message of its own
            if newest and chat.conversation.get(newest[-1].id) is not newest[-1]:
                return thread  # the chat moved on (another thread, a new chat) meanwhile
            batch = older_steps[start : start + OLDER_BATCH]
            await _restore(chat, service, {**older, "steps": batch}, at + start)
            chat.conversation.flush()
            await asyncio.sleep(OLDER_BATCH_GAP)
        thread["steps"] = older_steps + thread.get("steps", [])
        thread["elements"] = (older.get("elements") or []) + (thread.get("elements") or [])
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
