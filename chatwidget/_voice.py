"""``Voice``: one chat's recording from the browser, and the audio the chat sends back.

A chat has at most one recording open. ``start`` runs ``on_audio_start`` (a false or
missing answer refuses, as in the reference); each accepted chunk is queued and handed to
``on_audio_chunk`` in order by one task of the recording, so a handler that awaits never
sees chunks overtake each other; ``end`` closes the queue and, once every chunk has been
handled, ``on_audio_end`` runs as the chat's answer (the stop button stops it).

What goes wrong ends the recording and says why, once: a chunk handler that raises (its
error is shown as any handler's), an app that falls behind by ``MAX_QUEUED`` chunks, a
recording past ``max_duration``. ``on_audio_end`` still runs then, so an app that opened
something in ``on_audio_start`` can close it. A chunk that breaks the rules (no start, too
large, not whole samples) is refused and changes nothing.

Audio sent back goes to the views at once (it is not coalesced with the steps). Audio sent
before any view said hello (a chat just shown, its view still loading) waits for the first
one, up to ``HELD_SECONDS``. An interrupt silences every track sent until then: the views
stop playing them and the kernel does not send more of them.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

from . import _protocol as wire
from ._runner import Handler, call_with_accepted
from .audio import PCM16, AudioFeature, InputAudioChunk

if TYPE_CHECKING:
    from .chat import ChatSession

log = logging.getLogger("chatwidget")

#: Chunks waiting for ``on_audio_chunk`` before the recording is stopped (5 s at 100 ms).
MAX_QUEUED = 50
#: Audio kept for a view that is not there yet: the first minute plays, the rest is dropped.
HELD_SECONDS = 60


class AudioRefusedError(ValueError):
    """A voice request the chat refuses: ``code`` and a message for the user."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(eq=False)
class _Recording:
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    queue: asyncio.Queue[InputAudioChunk | None] = field(default_factory=asyncio.Queue)
    received: int = 0  # bytes of samples accepted
    chunks: int = 0
    closed: bool = False  # no more chunks are taken
    failed: bool = False  # on_audio_chunk raised: the chunks still queued are dropped
    why_closed: str = ""
    chat_ending: bool = False  # closed by the chat's end: on_audio_end is awaited, not started
    consumer: asyncio.Task[None] | None = None
    end_task: asyncio.Task[Any] | None = None

    def close(self, why: str = "") -> None:
        if not self.closed:
            self.closed, self.why_closed = True, why
            self.queue.put_nowait(None)


def _guarded(handler: Handler, failed: Callable[[], None]) -> Handler:
    """``handler`` that calls ``failed()`` before its exception goes on to the runner's report."""
    if inspect.iscoroutinefunction(handler):

        @functools.wraps(handler)
        async def run_async(*args: Any) -> Any:
            try:
                return await call_with_accepted(handler, *args)
            except Exception:
                failed()
                raise

        return run_async

    @functools.wraps(handler)
    def run(*args: Any) -> Any:
        try:
            return call_with_accepted(handler, *args)
        except Exception:
            failed()
            raise

    return run


class Voice:
    def __init__(self, chat: ChatSession) -> None:
        self._chat = chat
        self._recording: _Recording | None = None  # the open one, or the last one
        self._starting = False
        self._sent: set[str] = set()  # tracks sent since the last interrupt
        self._silenced: set[str] = set()  # interrupted tracks: their later chunks are dropped
        self._sent_bytes: dict[str, int] = {}  # per track, what the views were sent
        self._held: list[tuple[dict[str, Any], bytes]] = []  # until a view says hello
        self._held_bytes = 0
        self._held_full = False  # past HELD_SECONDS: the rest is dropped until a view is there

    @property
    def feature(self) -> AudioFeature:
        feature: AudioFeature = self._chat.app.audio
        return feature

    @property
    def listening(self) -> bool:
        """Whether this chat takes voice input: enabled, and an ``on_audio_chunk`` to hear it."""
        return bool(self.feature.enabled and self._chat.handlers.get("on_audio_chunk"))

    @property
    def recording(self) -> bool:
        return self._recording is not None and not self._recording.closed

    # -- the recording ------------------------------------------------------------------
    async def start(self, sample_rate: int, mime_type: str) -> str:
        """Open a recording (``on_audio_start`` may refuse); returns its id."""
        feature = self.feature
        if not self.listening:
            raise AudioRefusedError("not_found", "This chat does not take voice input.")
        if mime_type != PCM16:
            raise AudioRefusedError("bad_request", f"Audio is sent as {PCM16}, not {mime_type[:40]!r}.")
        if sample_rate != feature.sample_rate:
            raise AudioRefusedError(
                "bad_request", f"This chat records at {feature.sample_rate} Hz, not {sample_rate} Hz."
            )
        if self._starting or self.recording:
            raise AudioRefusedError("busy", "A recording is already open in this chat.")
        self._starting = True
        try:
            await self._chat.start()
            previous = self._recording
            if previous is not None and previous.consumer is not None:  # its chunks and its end first
                await asyncio.shield(previous.consumer)
            await self._ask_to_start()
        finally:
            self._starting = False
        self.interrupt()  # the user speaks: what was playing stops
        recording = _Recording()
        coro = self._consume(recording)
        loop = asyncio.get_running_loop()
        cell = self._chat.output_context
        recording.consumer = cell.copy().run(loop.create_task, coro) if cell else loop.create_task(coro)
        self._recording = recording
        return recording.id

    async def _ask_to_start(self) -> None:
        handler = self._chat.handlers.get("on_audio_start")
        if handler is None:
            return
        failed: list[bool] = []
        guarded = _guarded(handler, lambda: failed.append(True))
        answer = await self._chat.runner.invoke("on_audio_start", guarded, finish_streams=False)
        if failed:
            raise AudioRefusedError("audio_refused", "The chat could not start listening.")
        if not answer:
            if answer is None:
                log.warning("chatwidget: on_audio_start returned None, which refuses; return True to listen")
            raise AudioRefusedError("audio_refused", "This chat is not listening right now.")

    def chunk(self, recording_id: str, data: bytes) -> int:
        """Queue one chunk of ``recording_id`` for ``on_audio_chunk``; returns the bytes so far."""
        recording = self._recording
        if recording is None or recording.id != recording_id:
            raise AudioRefusedError("not_recording", "No recording is open: start one first (audio_start).")
        if recording.closed:
            raise AudioRefusedError("not_recording", recording.why_closed or "This recording has ended.")
        feature = self.feature
        if not data or len(data) % 2:
            raise AudioRefusedError(
                "bad_request", "A chunk holds whole 16-bit samples (a non-zero, even size)."
            )
        if len(data) > feature.max_chunk_bytes:
            raise AudioRefusedError(
                "too_large",
                f"A chunk may hold {2 * feature.chunk_duration} ms of audio at most "
                f"({feature.max_chunk_bytes} bytes), not {len(data)} bytes.",
            )
        limit = feature.max_duration and (feature.max_duration + feature.chunk_duration) / 1000
        if limit and (recording.received + len(data)) / feature.bytes_per_second > limit:
            self._stop(recording, "too_long", f"A recording may last {feature.max_duration} ms at most.")
        if recording.queue.qsize() >= MAX_QUEUED:
            self._stop(recording, "busy", "The chat fell behind the audio: the recording was stopped.")
        recording.received += len(data)
        recording.chunks += 1
        elapsed = 1000 * recording.received / feature.bytes_per_second
        recording.queue.put_nowait(InputAudioChunk(recording.chunks == 1, PCM16, data, elapsed))
        return recording.received

    def _stop(self, recording: _Recording, code: str, why: str) -> NoReturn:
        recording.close(why)
        raise AudioRefusedError(code, why)

    async def end(self, recording_id: str) -> dict[str, Any]:
        """Close the recording; returns once its chunks are handled and ``on_audio_end`` started."""
        recording = self._recording
        if recording is None or recording.id != recording_id:
            raise AudioRefusedError("not_recording", "No such recording.")
        recording.close()
        if recording.consumer is not None:
            await asyncio.shield(recording.consumer)
        return {"chunks": recording.chunks, "seconds": recording.received / self.feature.bytes_per_second}

    async def _consume(self, recording: _Recording) -> None:
        runner = self._chat.runner

        def failed() -> None:  # an error message is on its way; say it once, stop listening
            recording.failed = True
            recording.close("The chat could not handle the audio: the recording was stopped.")

        while (chunk := await recording.queue.get()) is not None:
            handler = self._chat.handlers.get("on_audio_chunk")
            if handler is not None and not recording.chat_ending and not recording.failed:
                await runner.invoke("on_audio_chunk", _guarded(handler, failed), chunk, finish_streams=False)
            recording.queue.task_done()
        recording.queue.task_done()
        self._chat.conversation.flush()
        handler = self._chat.handlers.get("on_audio_end")
        if handler is None:
            return
        if recording.chat_ending:
            await runner.invoke("on_audio_end", handler)
        else:
            recording.end_task = runner.start("on_audio_end", handler, cell=self._chat.output_context)

    async def close(self) -> None:
        """The chat ends: the open recording ends too; its ``on_audio_end`` runs to the end."""
        recording = self._recording
        if recording is not None and recording.consumer is not None and not recording.consumer.done():
            recording.chat_ending = True
            recording.close("The chat ended.")
            await asyncio.shield(recording.consumer)
        self._recording = None
        self._sent.clear()
        self._silenced.clear()

    def abandon(self) -> None:
        """No loop runs any more: nothing can be handled."""
        recording, self._recording = self._recording, None
        if recording is not None and recording.consumer is not None:
            recording.consumer.cancel()

    async def speak(self, data: bytes) -> dict[str, Any]:
        """Act as the user saying ``data`` (PCM16 at the app's rate): start, the chunks, end.

        Returns when ``on_audio_end`` has finished, with ``{"chunks", "seconds"}``, and
        ``"stopped"`` (why) if the chat stopped the recording first, as a browser is told.
        """
        if not isinstance(data, bytes | bytearray | memoryview) or len(data) % 2:
            raise ValueError("speak() takes bytes of 16-bit samples (an even length).")
        data = bytes(data)
        feature = self.feature
        recording_id = await self.start(feature.sample_rate, PCM16)
        step = 2 * (feature.sample_rate * feature.chunk_duration // 1000)
        recording = self._recording
        assert recording is not None
        for offset in range(0, len(data), step):
            if recording.closed:
                break
            if recording.queue.qsize() >= MAX_QUEUED // 2:  # a script is faster than a microphone
                await recording.queue.join()
            try:
                self.chunk(recording_id, data[offset : offset + step])
            except AudioRefusedError:
                break  # the recording was stopped (too long, fell behind): as a browser, end it
        result = await self.end(recording_id)
        if recording.why_closed:
            result["stopped"] = recording.why_closed
        if recording.end_task is not None:
            await asyncio.gather(recording.end_task, return_exceptions=True)
        return result

    # -- audio to the views -----------------------------------------------------------------
    def play(self, track: str, data: bytes) -> bool:
        """Send PCM16 ``data`` of ``track`` to the views; False if the track was interrupted."""
        if track in self._silenced:
            return False
        self._sent.add(track)
        self._sent_bytes[track] = self._sent_bytes.get(track, 0) + len(data)
        message = {
            "kind": wire.AUDIO_OUT,
            "track": track,
            "mimeType": PCM16,
            "sampleRate": self.feature.sample_rate,
        }
        if self._chat.view is not None and not self._chat.view_greeted:
            self._hold(message, data)
        else:
            self._chat.send_to_views(message, [data])
        return True

    def _hold(self, message: dict[str, Any], data: bytes) -> None:
        if self._held_full:
            return
        if self._held_bytes + len(data) > HELD_SECONDS * self.feature.bytes_per_second:
            log.warning("chatwidget: no view is there yet; audio past %d s will not play", HELD_SECONDS)
            self._held_full = True
            return
        self._held.append((message, data))
        self._held_bytes += len(data)

    def views_ready(self) -> None:
        """A view is there: the audio held for it goes out, in order."""
        held = self._held
        self._drop_held()
        for message, data in held:
            if message["track"] not in self._silenced:
                self._chat.send_to_views(message, [data])

    def sent_seconds(self) -> dict[str, float]:
        """Seconds of audio sent to the views per track (what a headless chat would have played)."""
        rate = self.feature.bytes_per_second
        return {track: size / rate for track, size in self._sent_bytes.items()}

    def interrupt(self) -> None:
        """Stop what the views play; the tracks sent so far stay silent."""
        if not self._sent:
            return
        self._silenced |= self._sent
        self._sent.clear()
        self._drop_held()
        if self._chat.view_greeted:  # else nothing has played
            self._chat.send_to_views({"kind": wire.AUDIO_INTERRUPT})

    def _drop_held(self) -> None:
        self._held, self._held_bytes, self._held_full = [], 0, False
