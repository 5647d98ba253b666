"""The browser's requests about the owner's stored threads: list, resume, rename, delete, share.

Each settles later (the data layer is asynchronous); a thread that is missing or another
owner's is ``not_found``, and a chat that keeps no threads answers ``unavailable``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import _protocol as wire
from . import _threads

if TYPE_CHECKING:
    from .chat import ChatSession

Request = Any


def _refuse(request_id: str, code: str, message: str) -> wire.ProtocolError:
    return wire.ProtocolError(message, request_id, code)


def _thread_request(chat: ChatSession, request_id: str, work: Any) -> Any:
    """Settle a thread operation later; a missing (or another owner's) thread is `not_found`."""
    if chat.writer is None:
        work.close()
        raise _refuse(request_id, "unavailable", "This chat does not keep its threads.")

    async def run() -> Any:
        try:
            return await work
        except _threads.ThreadNotFoundError as exc:
            raise _refuse(request_id, "not_found", str(exc)) from None

    return run()


def threads(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    search = request.get("search")
    cursor = request.get("cursor")
    if search is not None:
        search = wire.field(request, "search", str, max_chars=200)
    if cursor is not None:
        cursor = wire.field(request, "cursor", str, max_chars=500)
    all_apps = request.get("all") is not None and bool(wire.field(request, "all", bool))
    return _thread_request(chat, request_id, _threads.list_threads(chat, search, cursor, all_apps=all_apps))


def _thread_id(request: Request) -> str:
    return str(wire.field(request, "thread", str, max_chars=wire.MAX_ID_CHARS))


def resume(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    if chat.runner.busy:
        raise _refuse(request_id, "busy", "Wait for the answer to finish, or stop it.")
    thread_id = _thread_id(request)

    async def run() -> Any:
        await _threads.resume(chat, thread_id)
        return {"thread_id": thread_id}

    return _thread_request(chat, request_id, run())


def rename(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    thread_id = _thread_id(request)
    name = wire.field(request, "name", str, max_chars=200).strip()
    if not name:
        raise _refuse(request_id, "empty", "A thread needs a name.")

    async def run() -> Any:
        await _threads.rename(chat, thread_id, name)
        return {"name": name}

    return _thread_request(chat, request_id, run())


def delete_thread(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    thread_id = _thread_id(request)

    async def run() -> Any:
        await _threads.delete(chat, thread_id)
        return {"deleted": True}

    return _thread_request(chat, request_id, run())


def share(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    thread_id = _thread_id(request)
    shared = wire.field(request, "shared", bool)
    return _thread_request(chat, request_id, _threads.share(chat, thread_id, shared))


HANDLERS: dict[str, Any] = {
    wire.THREADS: threads,
    wire.RESUME: resume,
    wire.RENAME: rename,
    wire.DELETE_THREAD: delete_thread,
    wire.SHARE: share,
}
