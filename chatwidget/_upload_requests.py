"""Requests from the browser for file uploads: start one, send its chunks, finish or abort it.

Same rules as :mod:`chatwidget._requests`: every field is checked here; what may be uploaded
(types, sizes, how many) is the rules' (:mod:`chatwidget._uploads`), the composer's or the
waiting file prompt's, never the browser's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import _protocol as wire
from ._uploads import CHUNK_BYTES, UploadError

if TYPE_CHECKING:
    from .chat import ChatSession

Request = Any


def _refuse(request_id: str, code: str, message: str) -> wire.ProtocolError:
    return wire.ProtocolError(message, request_id, code)


def upload_start(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    name = wire.field(request, "name", str, max_chars=1_000)
    mime = wire.field(request, "mime", str, max_chars=200)
    size = wire.field(request, "size", int)
    purpose = request.get("for") or "message"
    rules = chat.upload_rules(purpose)
    if rules is None:
        raise _refuse(request_id, "upload", "Files cannot be sent here.")
    try:
        upload_id = chat.uploads.start(name, mime, size, purpose, rules)
    except UploadError as exc:
        raise _refuse(request_id, "upload", str(exc)) from None
    return {"upload": upload_id, "chunk_bytes": CHUNK_BYTES}


def upload_chunk(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    upload_id = wire.field(request, "upload", str, max_chars=wire.MAX_ID_CHARS)
    offset = wire.field(request, "offset", int)
    if len(buffers) != 1:
        raise _refuse(request_id, "bad_request", "A chunk carries exactly one buffer.")
    try:
        chat.uploads.chunk(upload_id, offset, bytes(buffers[0]))
    except UploadError as exc:
        raise _refuse(request_id, "upload", str(exc)) from None
    return {"received": offset + len(buffers[0])}


def upload_end(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    upload_id = wire.field(request, "upload", str, max_chars=wire.MAX_ID_CHARS)
    try:
        done = chat.uploads.finish(upload_id)
    except UploadError as exc:
        raise _refuse(request_id, "upload", str(exc)) from None
    return {"file": {"id": done.id, "name": done.name, "size": done.size, "type": done.type}}


def upload_abort(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    chat.uploads.abort(wire.field(request, "upload", str, max_chars=wire.MAX_ID_CHARS))
    return {"aborted": True}


HANDLERS: dict[str, Any] = {
    wire.UPLOAD_START: upload_start,
    wire.UPLOAD_CHUNK: upload_chunk,
    wire.UPLOAD_END: upload_end,
    wire.UPLOAD_ABORT: upload_abort,
}
