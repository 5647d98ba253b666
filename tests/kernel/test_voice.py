"""Voice: the on_audio_* handlers, the recording requests as a browser (or a hostile page)
sends them, and the audio a handler sends back."""

from __future__ import annotations

import asyncio
import logging
import struct
import threading
from typing import Any

import pytest
import traitlets

import chatwidget as cw
from chatwidget._voice import MAX_QUEUED
from chatwidget.testing import RecordingComm

RATE = 24_000
CHUNK = 2 * RATE // 10  # 100 ms of PCM16


def pcm(seconds: float, value: int = 1000) -> bytes:
    return struct.pack("<h", value) * int(RATE * seconds)


def reply(wire: RecordingComm, request_id: str) -> dict[str, Any]:
    (found,) = [r for r in wire.customs("reply") if r["id"] == request_id]
    return dict(found)


class Heard:
    """An app that keeps what it hears, and the order its handlers ran in."""

    def __init__(self, app: cw.ChatApp, *, accept: Any = True) -> None:
        self.chunks: list[cw.InputAudioChunk] = []
        self.events: list[str] = []

        @app.on_audio_start
        async def start() -> Any:
            self.events.append("start")
            return accept

        @app.on_audio_chunk
        async def chunk(chunk: cw.InputAudioChunk) -> None:
            await asyncio.sleep(0.001 * (len(self.chunks) % 3))  # a handler that awaits
            self.chunks.append(chunk)
            self.events.append("chunk")

        @app.on_audio_end
        async def end() -> None:
            self.events.append("end")
            await cw.Message(f"heard {self.seconds:.1f} s").send()

    @property
    def seconds(self) -> float:
        return sum(len(c.data) for c in self.chunks) / (2 * RATE)


async def start(wire: RecordingComm, until: Any, replied: Any, request_id: str = "a1", **fields: Any) -> Any:
    wire.browser_sends(
        {"id": request_id, "kind": "audio_start", "sampleRate": RATE, "mimeType": "pcm16", **fields}
    )
    await until(replied(wire, request_id))
    return reply(wire, request_id)


def chunk(wire: RecordingComm, request_id: str, recording: str, data: bytes | None, **fields: Any) -> None:
    content = {"id": request_id, "kind": "audio_chunk", "recording": recording, "mimeType": "pcm16"}
    content.update({"elapsedTime": 100, "isStart": False, **fields})
    wire.browser_sends(content, None if data is None else [data])


# -- the API, headless ---------------------------------------------------------------------
async def test_chunks_reach_on_audio_chunk_in_order_then_on_audio_end(chat: Any) -> None:
    app = chat()
    heard = Heard(app)
    result = await app.send_user_audio(pcm(1.25))
    assert result == {"chunks": 13, "seconds": 1.25}
    assert heard.events == ["start", *["chunk"] * 13, "end"]
    assert [c.isStart for c in heard.chunks] == [True] + [False] * 12
    assert [c.elapsedTime for c in heard.chunks] == [100.0 * (i + 1) for i in range(12)] + [1250.0]
    assert {c.mimeType for c in heard.chunks} == {"pcm16"}
    assert b"".join(c.data for c in heard.chunks) == pcm(1.25)
    assert app.transcript() == "Assistant: heard 1.2 s"


async def test_sync_handlers_run_in_a_worker_thread(chat: Any) -> None:
    app = chat(audio={"sample_rate": 16_000, "chunk_duration": 200})
    threads: set[str] = set()
    sizes: list[int] = []

    @app.on_audio_chunk
    def hear(chunk: cw.InputAudioChunk) -> None:
        threads.add(threading.current_thread().name)
        sizes.append(len(chunk.data))

    @app.on_audio_end
    def end() -> None:
        cw.run_sync(cw.Message(f"{sum(sizes)} bytes").send())

    await app.send_user_audio(b"\0\0" * 16_000)
    assert sizes == [6400] * 5
    assert all(name.startswith("chatwidget-handler") for name in threads)
    assert app.transcript() == "Assistant: 32000 bytes"


async def test_a_false_or_missing_answer_of_on_audio_start_refuses(
    chat: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = chat()
    heard = Heard(app, accept=False)
    with pytest.raises(ValueError, match="not listening"):
        await app.send_user_audio(pcm(0.3))
    silent = chat()
    Heard(silent, accept=None)
    with caplog.at_level(logging.WARNING, "chatwidget"), pytest.raises(ValueError, match="not listening"):
        await silent.send_user_audio(pcm(0.3))
    assert "return True to listen" in caplog.text
    assert heard.chunks == [] and "end" not in heard.events


async def test_without_on_audio_chunk_there_is_no_voice(chat: Any) -> None:
    app = chat()
    with pytest.raises(ValueError, match="does not take voice input"):
        await app.send_user_audio(pcm(0.1))
    off = chat(audio=False)
    Heard(off)
    with pytest.raises(ValueError, match="does not take voice input"):
        await off.send_user_audio(pcm(0.1))


# -- options --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        ({"sample_rate": 7}, traitlets.TraitError, "sample rate must be 8000 to 48000 Hz, not 7"),
        ({"sample_rate": 96_000}, traitlets.TraitError, "not 96000"),
        ({"chunk_duration": 5}, traitlets.TraitError, "chunk_duration"),
        ({"silence_timeout": -1}, traitlets.TraitError, "silence_timeout"),
        ({"loudness": 3}, ValueError, "Unknown audio options: loudness"),
        ("24000", traitlets.TraitError, "audio"),
    ],
)
def test_bad_audio_options_are_refused_clearly(value: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        cw.ChatApp(headless=True, audio=value)


def test_the_reference_shape_and_an_options_object_are_the_same() -> None:
    a = cw.ChatApp(headless=True, audio={"enabled": True, "sample_rate": 16000, "silence_timeout": 800})
    b = cw.ChatApp(headless=True, audio=cw.AudioFeature(sample_rate=16000, silence_timeout=800))
    assert a.audio.browser_config(True) == b.audio.browser_config(True)
    assert a.audio.browser_config(True)["sample_rate"] == 16000
    a.close()
    b.close()


async def test_the_microphone_is_offered_once_on_audio_chunk_is_registered(app: cw.ChatApp) -> None:
    assert app.widget is not None
    assert app.widget.config["audio"]["enabled"] is False
    Heard(app)
    assert app.widget.config["audio"] == {
        "enabled": True,
        "sample_rate": 24000,
        "chunk_duration": 100,
        "silence_timeout": 1500,
        "initial_silence_timeout": 3000,
        "min_decibels": -45.0,
        "max_duration": 0,
    }
    app.audio = {"enabled": False}
    assert app.widget.config["audio"]["enabled"] is False


# -- the wire ---------------------------------------------------------------------------------
async def test_a_recording_over_the_wire(
    app: cw.ChatApp, wire: RecordingComm, until: Any, replied: Any
) -> None:
    heard = Heard(app)
    started = await start(wire, until, replied)
    assert started["ok"], started
    recording = started["result"]["recording"]
    for i in range(5):
        chunk(wire, f"c{i}", recording, pcm(0.1), elapsedTime=100 * (i + 1), isStart=i == 0)
    assert [reply(wire, f"c{i}")["result"] for i in range(5)] == [
        {"received": CHUNK * (i + 1)} for i in range(5)
    ]
    wire.browser_sends({"id": "e1", "kind": "audio_end", "recording": recording})
    await until(replied(wire, "e1"))
    assert reply(wire, "e1")["result"] == {"chunks": 5, "seconds": 0.5}
    await app.wait()
    assert heard.events == ["start", *["chunk"] * 5, "end"]
    assert app.transcript() == "Assistant: heard 0.5 s"


@pytest.mark.parametrize(
    ("fields", "code", "message"),
    [
        ({"sampleRate": 44100}, "bad_request", "records at 24000 Hz, not 44100 Hz"),
        ({"sampleRate": "24000"}, "bad_request", "'sampleRate' must be int"),
        ({"sampleRate": True}, "bad_request", "'sampleRate' must be int"),
        ({"mimeType": "audio/webm"}, "bad_request", "sent as pcm16"),
    ],
)
async def test_a_bad_start_is_refused(
    app: cw.ChatApp,
    wire: RecordingComm,
    until: Any,
    replied: Any,
    fields: dict[str, Any],
    code: str,
    message: str,
) -> None:
    heard = Heard(app)
    answer = await start(wire, until, replied, **fields)
    assert not answer["ok"] and answer["error"]["code"] == code and message in answer["error"]["message"]
    assert heard.events == []
    assert (await start(wire, until, replied, "a2"))["ok"]  # nothing else broke


async def test_refused_chunks_change_nothing(
    app: cw.ChatApp, wire: RecordingComm, until: Any, replied: Any
) -> None:
    heard = Heard(app)
    chunk(wire, "early", "no-such-recording", pcm(0.1))
    assert reply(wire, "early")["error"]["code"] == "not_recording"
    recording = (await start(wire, until, replied))["result"]["recording"]
    refusals = {
        "big": ([pcm(0.25)], {}, "too_large", "200 ms of audio at most (9600 bytes), not 12000 bytes"),
        "odd": ([b"\0\0\0"], {}, "bad_request", "whole 16-bit samples"),
        "empty": ([b""], {}, "bad_request", "whole 16-bit samples"),
        "json": ([], {"data": "AAAA"}, "bad_request", "one binary buffer (not as JSON)"),
        "two": ([pcm(0.1), pcm(0.1)], {}, "bad_request", "exactly one binary buffer"),
        "mime": ([pcm(0.1)], {"mimeType": "webm"}, "bad_request", "sent as pcm16"),
        "start": ([pcm(0.1)], {"isStart": "yes"}, "bad_request", "'isStart' must be bool"),
        "time": ([pcm(0.1)], {"elapsedTime": "soon"}, "bad_request", "'elapsedTime' must be a number"),
        "inf": ([pcm(0.1)], {"elapsedTime": float("inf")}, "bad_request", "'elapsedTime' must be a number"),
        "other": ([pcm(0.1)], {"recording": "x" * 65}, "too_large", "longer than 64"),
    }
    for request_id, (buffers, fields, _, _) in refusals.items():
        content = {"id": request_id, "kind": "audio_chunk", "recording": recording, "mimeType": "pcm16"}
        wire.browser_sends({**content, "elapsedTime": 100, **fields}, buffers)
    for request_id, (_, _, code, message) in refusals.items():
        error = reply(wire, request_id)["error"]
        assert error["code"] == code and message in error["message"], (request_id, error)
    chunk(wire, "good", recording, pcm(0.2))  # the largest chunk accepted: twice chunk_duration
    assert reply(wire, "good")["result"] == {"received": 2 * CHUNK}
    wire.browser_sends({"id": "e1", "kind": "audio_end", "recording": recording})
    await until(replied(wire, "e1"))
    await app.wait()
    assert heard.seconds == pytest.approx(0.2) and heard.events == ["start", "chunk", "end"]


async def test_one_recording_at_a_time(
    app: cw.ChatApp, wire: RecordingComm, until: Any, replied: Any
) -> None:
    Heard(app)
    assert (await start(wire, until, replied, "a1"))["ok"]
    second = await start(wire, until, replied, "a2")
    assert second["error"]["code"] == "busy"


async def test_refused_by_on_audio_start_over_the_wire(
    app: cw.ChatApp, wire: RecordingComm, until: Any, replied: Any
) -> None:
    Heard(app, accept=False)
    answer = await start(wire, until, replied)
    assert answer["error"] == {"code": "audio_refused", "message": "This chat is not listening right now."}


async def test_on_audio_start_that_raises_refuses_and_says_so(
    app: cw.ChatApp, wire: RecordingComm, until: Any, replied: Any
) -> None:
    @app.on_audio_chunk
    async def hear(chunk: cw.InputAudioChunk) -> None: ...

    @app.on_audio_start
    async def begin() -> bool:
        raise ConnectionError("the speech service is down")

    answer = await start(wire, until, replied)
    assert answer["error"]["code"] == "audio_refused"
    assert "ConnectionError" in app.transcript()


async def test_a_failing_chunk_handler_stops_the_recording_once(
    app: cw.ChatApp, wire: RecordingComm, until: Any, replied: Any
) -> None:
    ended: list[int] = []

    @app.on_audio_chunk
    async def hear(chunk: cw.InputAudioChunk) -> None:
        raise RuntimeError("cannot transcribe")

    @app.on_audio_end
    async def end() -> None:
        ended.append(1)

    recording = (await start(wire, until, replied))["result"]["recording"]
    chunk(wire, "c0", recording, pcm(0.1))
    await until(lambda: ended)
    chunk(wire, "c1", recording, pcm(0.1))
    assert reply(wire, "c1")["error"] == {
        "code": "not_recording",
        "message": "The chat could not handle the audio: the recording was stopped.",
    }
    assert app.transcript().count("An error occurred (RuntimeError)") == 1
    await app.send_user_message("still here")  # the chat goes on
    assert "User: still here" in app.transcript()


async def test_an_app_that_falls_behind_stops_the_recording(
    app: cw.ChatApp, wire: RecordingComm, until: Any, replied: Any
) -> None:
    release = asyncio.Event()
    handled: list[float] = []

    @app.on_audio_chunk
    async def slow(chunk: cw.InputAudioChunk) -> None:
        handled.append(chunk.elapsedTime)
        await release.wait()

    @app.on_audio_end
    async def end() -> None:
        handled.append(-1)

    recording = (await start(wire, until, replied))["result"]["recording"]
    chunk(wire, "c0", recording, pcm(0.1))
    await until(lambda: handled)
    for i in range(1, MAX_QUEUED + 3):
        chunk(wire, f"c{i}", recording, pcm(0.1))
    codes = [reply(wire, f"c{i}").get("error", {}).get("code") for i in range(MAX_QUEUED + 3)]
    assert codes == [None] * (MAX_QUEUED + 1) + ["busy", "not_recording"]  # one handled, 50 waiting
    release.set()
    await until(lambda: handled[-1:] == [-1])
    assert len(handled) == MAX_QUEUED + 2  # what was accepted is still heard, then the end


async def test_max_duration_ends_a_recording(chat: Any) -> None:
    app = chat(audio={"max_duration": 500})
    heard = Heard(app)
    result = await app.send_user_audio(pcm(2))
    assert result == {"chunks": 6, "seconds": 0.6, "stopped": "A recording may last 500 ms at most."}
    assert heard.seconds == pytest.approx(0.6) and heard.events[-1] == "end"


async def test_a_new_chat_ends_the_recording_and_runs_on_audio_end(
    app: cw.ChatApp, wire: RecordingComm, until: Any, replied: Any
) -> None:
    heard = Heard(app)
    recording = (await start(wire, until, replied))["result"]["recording"]
    chunk(wire, "c0", recording, pcm(0.1))
    await until(lambda: heard.chunks)
    await app.new_chat()
    assert heard.events == ["start", "chunk", "end"]
    chunk(wire, "c1", recording, pcm(0.1))
    assert reply(wire, "c1")["error"]["code"] == "not_recording"


async def test_chunk_handlers_do_not_end_the_answer_streaming_beside_them(
    app: cw.ChatApp, wire: RecordingComm, until: Any, replied: Any
) -> None:
    Heard(app)
    streaming = cw.Message("")
    with app:
        await streaming.stream_token("half an ")
    recording = (await start(wire, until, replied))["result"]["recording"]
    chunk(wire, "c0", recording, pcm(0.1))
    await until(replied(wire, "c0"))
    await asyncio.sleep(0.05)
    assert streaming.streaming
    with app:
        await streaming.stream_token("answer")
        await streaming.send()
    assert "Assistant: half an answer" in app.transcript()


# -- audio to the views --------------------------------------------------------------------------
@pytest.fixture
def view(wire: RecordingComm) -> RecordingComm:
    """The widget's comm once a view has said hello: audio goes out as it is sent."""
    wire.view_says_hello()
    return wire


async def test_output_chunks_travel_as_binary_buffers(app: cw.ChatApp, view: RecordingComm) -> None:
    wire = view
    with app:
        await cw.send_audio_chunk(cw.OutputAudioChunk(mimeType="pcm16", data=pcm(0.05), track="t1"))
        await cw.context.emitter.send_audio_chunk(cw.OutputAudioChunk("pcm16", bytearray(pcm(0.05, 7)), "t1"))
    sent = wire.custom_buffers("audio_chunk")
    assert [content for content, _ in sent] == [
        {"kind": "audio_chunk", "track": "t1", "mimeType": "pcm16", "sampleRate": RATE}
    ] * 2
    assert [buffers for _, buffers in sent] == [[pcm(0.05)], [pcm(0.05, 7)]]
    assert app.audio_sent == {"t1": pytest.approx(0.1)}


@pytest.mark.parametrize(
    ("chunk", "error", "message"),
    [
        (cw.OutputAudioChunk("pcm16", "AAAA", "t"), TypeError, "must be bytes of PCM16, not str"),  # type: ignore[arg-type]
        (cw.OutputAudioChunk("audio/mpeg", b"\0\0", "t"), ValueError, "must be 'pcm16'"),
        (cw.OutputAudioChunk("pcm16", b"\0\0\0", "t"), ValueError, "whole 16-bit samples"),
        (cw.OutputAudioChunk("pcm16", b"\0\0", ""), ValueError, "track must be a text id"),
        ({"mimeType": "pcm16", "data": b"", "track": "t"}, TypeError, "takes an OutputAudioChunk, not dict"),
    ],
)
async def test_a_bad_output_chunk_is_refused_where_it_is_sent(
    app: cw.ChatApp, wire: RecordingComm, chunk: Any, error: type[Exception], message: str
) -> None:
    with app, pytest.raises(error, match=message):
        await cw.send_audio_chunk(chunk)
    assert wire.custom_buffers("audio_chunk") == []


async def test_an_interrupt_silences_the_tracks_sent_so_far(app: cw.ChatApp, view: RecordingComm) -> None:
    wire = view

    async def say(track: str) -> None:
        with app:
            await cw.send_audio_chunk(cw.OutputAudioChunk("pcm16", pcm(0.01), track))

    await say("first")
    with app:
        await cw.send_audio_interrupt()
    await say("first")  # still streaming after the interrupt: dropped
    await say("second")
    app.chat.accept_user_message("a new question", [])  # interrupts too
    await say("second")
    await say("third")
    with app:
        await cw.context.emitter.send_audio_interrupt()
        await cw.context.emitter.send_audio_interrupt()  # nothing played since: nothing sent
    kinds = [(c["kind"], c.get("track")) for c in wire.customs() if c["kind"].startswith("audio")]
    assert kinds == [
        ("audio_chunk", "first"),
        ("audio_interrupt", None),
        ("audio_chunk", "second"),
        ("audio_interrupt", None),
        ("audio_chunk", "third"),
        ("audio_interrupt", None),
    ]


async def test_stop_and_a_new_recording_interrupt_playback(
    app: cw.ChatApp, view: RecordingComm, until: Any, replied: Any
) -> None:
    wire = view
    Heard(app)
    started = asyncio.Event()

    @app.on_message
    async def speak(message: cw.Message) -> None:
        await cw.send_audio_chunk(cw.OutputAudioChunk("pcm16", pcm(0.01), message.content))
        started.set()
        await asyncio.sleep(30)

    wire.browser_sends({"id": "s1", "kind": "send", "content": "answer-1"})
    await asyncio.wait_for(started.wait(), 10)
    wire.browser_sends({"id": "x1", "kind": "stop"})
    await until(replied(wire, "x1"))
    await app.wait()
    with app:
        await cw.send_audio_chunk(cw.OutputAudioChunk("pcm16", pcm(0.01), "later"))
    assert (await start(wire, until, replied))["ok"]
    kinds = [c["kind"] for c in wire.customs() if c["kind"].startswith("audio")]
    assert kinds == ["audio_chunk", "audio_interrupt", "audio_chunk", "audio_interrupt"]


async def test_audio_sent_before_a_view_is_there_plays_when_it_says_hello(
    app: cw.ChatApp, wire: RecordingComm
) -> None:
    async def say(track: str, seconds: float, value: int = 1000) -> None:
        with app:
            await cw.send_audio_chunk(cw.OutputAudioChunk("pcm16", pcm(seconds, value), track))

    await say("early", 0.2, 1)
    await say("early", 0.2, 2)
    assert wire.custom_buffers("audio_chunk") == []  # the chat was just shown: no view hears yet
    wire.view_says_hello()
    assert [buffers for _, buffers in wire.custom_buffers("audio_chunk")] == [[pcm(0.2, 1)], [pcm(0.2, 2)]]
    wire.view_says_hello("again")  # a second view (a reload) does not hear it twice
    await say("late", 0.1)
    assert [c["track"] for c, _ in wire.custom_buffers("audio_chunk")] == ["early", "early", "late"]
    assert app.audio_sent == {"early": pytest.approx(0.4), "late": pytest.approx(0.1)}


async def test_held_audio_is_bounded_and_an_interrupt_drops_it(
    app: cw.ChatApp, wire: RecordingComm, caplog: pytest.LogCaptureFixture
) -> None:
    from chatwidget._voice import HELD_SECONDS

    async def say(track: str, seconds: float) -> None:
        with app:
            await cw.send_audio_chunk(cw.OutputAudioChunk("pcm16", pcm(seconds), track))

    await say("dropped", 1)
    with app:
        await cw.send_audio_interrupt()
    for _ in range(HELD_SECONDS // 10 + 1):
        await say("long", 10)
    assert "audio past 60 s will not play" in caplog.text
    wire.view_says_hello()
    sent = wire.custom_buffers("audio_chunk")
    assert {c["track"] for c, _ in sent} == {"long"}
    assert sum(len(b[0]) for _, b in sent) == HELD_SECONDS * 2 * RATE
    assert wire.customs("audio_interrupt") == []  # nothing had played: there was nothing to stop


# -- the reference's spelling ---------------------------------------------------------------------
def test_a_chainlit_file_with_voice(tmp_path: Any) -> None:
    (tmp_path / ".chainlit").mkdir()
    (tmp_path / ".chainlit" / "config.toml").write_text(
        "[features.audio]\nenabled = true\nsample_rate = 16000\n"
    )
    (tmp_path / "app.py").write_text(
        "import chainlit as cl\n"
        "from chainlit.types import InputAudioChunk\n\n"
        "@cl.on_audio_start\nasync def start():\n    cl.user_session.set('pcm', b'')\n    return True\n\n"
        "@cl.on_audio_chunk\nasync def chunk(chunk: InputAudioChunk):\n"
        "    cl.user_session.set('pcm', cl.user_session.get('pcm') + chunk.data)\n\n"
        "@cl.on_audio_end\nasync def end():\n    pcm = cl.user_session.get('pcm')\n"
        "    chunk = cl.OutputAudioChunk(mimeType='pcm16', data=pcm, track='echo')\n"
        "    await cl.context.emitter.send_audio_chunk(chunk)\n"
        "    await cl.Message(content=f'{len(pcm)} bytes').send()\n"
    )
    app = cw.load_chainlit_app(tmp_path / "app.py", headless=True)
    assert app.audio.sample_rate == 16000 and app.audio.enabled
    asyncio.run(app.send_user_audio(b"\1\0" * 8000))
    assert app.transcript() == "Assistant: 16000 bytes"
    assert app.audio_sent == {"echo": 0.5}
    app.close()
    (tmp_path / ".chainlit" / "config.toml").write_text("[UI]\nname = 'x'\n")  # the reference's default: off
    quiet = cw.load_chainlit_app(tmp_path / "app.py", headless=True)
    assert quiet.audio.enabled is False
    quiet.close()


async def test_the_kernel_ships_the_voice_library_to_a_page_without_the_server_extension(
    app: cw.ChatApp, wire: RecordingComm, until: Any, replied: Any
) -> None:
    wire.browser_sends({"id": "l1", "kind": "library", "name": "voice"})
    await until(replied(wire, "l1"))
    assert reply(wire, "l1")["result"] == {"shipped": True}
    await until(lambda: any("lib_voice" in update for update in wire.updates()))
