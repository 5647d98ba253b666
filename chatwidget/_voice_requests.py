"""Requests from the browser for voice input: open a recording, send its chunks, end it.

Same rules as :mod:`chatwidget._requests`: every field is checked here, and what the chat
decides (is a recording open, is a chunk too large) is :class:`~chatwidget._voice.Voice`'s.
A chunk's samples travel as the message's one binary buffer, never as text in the JSON.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from . import _protocol as wire
from ._voice import AudioRefusedError

if TYPE_CHECKING:
    from .chat import ChatSession

Request = Any


def _refused(request_id: str, exc: AudioRefusedError) -> wire.ProtocolError:
    return wire.ProtocolError(str(exc), request_id, exc.code)


def audio_start(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    sample_rate = wire.field(request, "sampleRate", int)
    mime_type = wire.field(request, "mimeType", str, max_chars=100)

    async def run() -> Any:
        try:
            return {"recording": await chat.voice.start(sample_rate, mime_type)}
        except AudioRefusedError as exc:
            raise _refused(request_id, exc) from None

    return run()


def audio_chunk(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    recording = wire.field(request, "recording", str, max_chars=wire.MAX_ID_CHARS)
    mime_type = wire.field(request, "mimeType", str, max_chars=100)
    elapsed = request.get("elapsedTime")
    if not isinstance(elapsed, int | float) or isinstance(elapsed, bool) or not math.isfinite(elapsed):
        raise wire.ProtocolError("'elapsedTime' must be a number of milliseconds", request_id)
    if "isStart" in request:
        wire.field(request, "isStart", bool)
    if mime_type != "pcm16":
        raise wire.ProtocolError(f"Audio is sent as pcm16, not {mime_type[:40]!r}.", request_id)
    if len(buffers) != 1 or "data" in request:
        raise wire.ProtocolError(
            "A chunk carries its PCM16 samples as exactly one binary buffer (not as JSON).", request_id
        )
    try:
        return {"received": chat.voice.chunk(recording, bytes(buffers[0]))}
    except AudioRefusedError as exc:
        raise _refused(request_id, exc) from None


def audio_end(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    recording = wire.field(request, "recording", str, max_chars=wire.MAX_ID_CHARS)

    async def run() -> Any:
        try:
            return await chat.voice.end(recording)
        except AudioRefusedError as exc:
            raise _refused(request_id, exc) from None

    return run()


HANDLERS: dict[str, Any] = {
    wire.AUDIO_START: audio_start,
    wire.AUDIO_CHUNK: audio_chunk,
    wire.AUDIO_END: audio_end,
}
