"""Voice in a chat, in the reference's terms: the audio the user speaks, the audio sent back.

The browser records from the microphone when the app has an ``@app.on_audio_chunk``
handler, as 16-bit mono PCM (``"pcm16"``) at ``AudioFeature.sample_rate``, and streams it in
chunks of ``chunk_duration`` ms as binary comm buffers. ``@app.on_audio_start`` runs first
and may refuse (anything but a true value); ``@app.on_audio_end`` runs once every chunk has
been handled, when the user stops or after ``silence_timeout`` ms of silence.

A handler plays audio in the browser with ``await cw.send_audio_chunk(OutputAudioChunk(...))``
(``cw.context.emitter.send_audio_chunk`` in the reference's spelling); chunks of one
``track`` play one after the other, without gaps. ``await cw.send_audio_interrupt()``, the
stop button, a new user message or a new recording stop what is playing; the tracks sent
until then stay silent, so every answer should use a track id of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import traitlets
from traitlets.config import Configurable

from ._context import require_chat
from ._sync import on_loop

if TYPE_CHECKING:
    from .chat import ChatSession

#: The one sample format on the wire, both ways: signed 16-bit little-endian mono PCM.
PCM16 = "pcm16"
MIN_SAMPLE_RATE = 8_000
MAX_SAMPLE_RATE = 48_000
MAX_TRACK_CHARS = 64


@dataclass
class InputAudioChunk:
    """A piece of what the user says: ``data`` holds PCM16 samples at the app's sample rate.

    ``isStart`` is true for the first chunk of a recording; ``elapsedTime`` is the
    milliseconds of audio recorded up to the end of this chunk.
    """

    isStart: bool  # noqa: N815 - the reference's field names
    mimeType: str  # noqa: N815
    data: bytes
    elapsedTime: float  # noqa: N815


@dataclass
class OutputAudioChunk:
    """Audio for the browser to play: PCM16 ``data`` at the app's sample rate, in ``track``."""

    mimeType: str  # noqa: N815 - the reference's field names
    data: bytes
    track: str

    def checked(self) -> bytes:
        """The samples, once the chunk is known to be playable; a clear error otherwise."""
        if self.mimeType != PCM16:
            raise ValueError(f"OutputAudioChunk.mimeType must be {PCM16!r}, not {self.mimeType!r}.")
        if not isinstance(self.data, bytes | bytearray | memoryview):
            raise TypeError(f"OutputAudioChunk.data must be bytes of PCM16, not {type(self.data).__name__}.")
        data = bytes(self.data)
        if len(data) % 2:
            raise ValueError("OutputAudioChunk.data must hold whole 16-bit samples (an even length).")
        if not isinstance(self.track, str) or not 0 < len(self.track) <= MAX_TRACK_CHARS:
            raise ValueError(
                f"OutputAudioChunk.track must be a text id of 1 to {MAX_TRACK_CHARS} characters."
            )
        return data


def _milliseconds(default: int, help: str, low: int = 0, high: int = 3_600_000) -> Any:
    return traitlets.Int(default, min=low, max=high, help=help).tag(config=True)


class AudioFeature(Configurable):
    """How a chat records the user's voice and plays audio back (the reference's
    ``[features.audio]``)."""

    enabled = traitlets.Bool(
        True,
        help="Offer the microphone when the app has an on_audio_chunk handler. Default: True.",
    ).tag(config=True)
    sample_rate = traitlets.Int(
        24_000,
        help=f"Samples per second of the PCM16 audio, both ways ({MIN_SAMPLE_RATE}-{MAX_SAMPLE_RATE}). "
        "Default: 24000.",
    ).tag(config=True)
    chunk_duration = _milliseconds(
        100, "Milliseconds of audio per chunk sent (20-1000). Default: 100.", 20, 1000
    )
    silence_timeout = _milliseconds(
        1500, "Stop recording after this many ms of silence once the user spoke; 0: never. Default: 1500."
    )
    initial_silence_timeout = _milliseconds(
        3000, "Stop recording if the user says nothing for this many ms at first; 0: never. Default: 3000."
    )
    min_decibels = traitlets.Float(
        -45.0,
        min=-100.0,
        max=0.0,
        help="Below this level (dBFS) the microphone counts as silent. Default: -45.",
    ).tag(config=True)
    max_duration = _milliseconds(0, "Stop recording after this many ms; 0: no limit. Default: 0.")

    @traitlets.validate("sample_rate")
    def _valid_rate(self, proposal: Any) -> int:
        rate = proposal["value"]
        if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
            raise traitlets.TraitError(
                f"The audio sample rate must be {MIN_SAMPLE_RATE} to {MAX_SAMPLE_RATE} Hz, not {rate}."
            )
        return int(rate)

    @classmethod
    def from_value(cls, value: AudioFeature | dict[str, Any] | bool | None) -> AudioFeature:
        """An AudioFeature from itself, ``True``/``False``, or a dict of its options (the
        reference's ``[features.audio]`` keys: ``enabled``, ``sample_rate``, and its earlier
        ``min_decibels``, ``silence_timeout``, ``initial_silence_timeout``,
        ``chunk_duration``, ``max_duration``)."""
        if isinstance(value, AudioFeature):
            return value
        if value is None or isinstance(value, bool):
            return cls(enabled=value is not False)
        unknown = set(value) - set(cls.class_trait_names(config=True))
        if unknown:
            raise ValueError(f"Unknown audio options: {', '.join(sorted(map(str, unknown)))}")
        return cls(**value)

    @property
    def bytes_per_second(self) -> int:
        return 2 * int(self.sample_rate)

    @property
    def max_chunk_bytes(self) -> int:
        """The largest chunk the kernel accepts: twice the configured duration, whole samples."""
        return 2 * (int(self.sample_rate) * int(self.chunk_duration) * 2 // 1000)

    def browser_config(self, listening: bool) -> dict[str, Any]:
        """What the views need: whether to offer the microphone, and how to record."""
        return {
            "enabled": bool(self.enabled and listening),
            "sample_rate": self.sample_rate,
            "chunk_duration": self.chunk_duration,
            "silence_timeout": self.silence_timeout,
            "initial_silence_timeout": self.initial_silence_timeout,
            "min_decibels": self.min_decibels,
            "max_duration": self.max_duration,
        }


async def send_audio_chunk(chunk: OutputAudioChunk) -> None:
    """Play ``chunk`` in the chat's views, after the chunks sent before it."""
    play(require_chat(), chunk)


def play(chat: ChatSession, chunk: OutputAudioChunk) -> None:
    """Check ``chunk`` where it was sent from, then hand it to ``chat``'s voice on its loop."""
    if not isinstance(chunk, OutputAudioChunk):
        raise TypeError(f"send_audio_chunk takes an OutputAudioChunk, not {type(chunk).__name__}.")
    data = chunk.checked()
    on_loop(lambda: chat.voice.play(chunk.track, data))


async def send_audio_interrupt() -> None:
    """Stop what the chat's views are playing; chunks of the tracks sent so far are dropped."""
    chat = require_chat()
    on_loop(chat.voice.interrupt)
