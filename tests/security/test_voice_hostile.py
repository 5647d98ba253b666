"""Hostile voice requests from a page: guessed recording ids, huge or malformed chunks, floods.
Nothing reaches the app's handlers that the chat did not accept, and the chat goes on."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import chatwidget as cw
from chatwidget.testing import RecordingComm


class Listener:
    def __init__(self, app: cw.ChatApp) -> None:
        self.calls: list[str] = []

        @app.on_audio_start
        async def start() -> bool:
            self.calls.append("start")
            return True

        @app.on_audio_chunk
        async def chunk(chunk: cw.InputAudioChunk) -> None:
            self.calls.append(f"chunk {len(chunk.data)}")

        @app.on_audio_end
        async def end() -> None:
            self.calls.append("end")


@pytest.fixture
def apps(chat_views: list[RecordingComm]) -> Any:
    made = [cw.ChatApp(title=name, persist=False) for name in ("a", "b")]
    yield made
    for app in made:
        app.close()


def sends(app: cw.ChatApp, content: dict[str, Any], buffers: list[bytes] | None = None) -> dict[str, Any]:
    assert app.widget is not None and isinstance(app.widget.comm, RecordingComm)
    comm = app.widget.comm
    comm.browser_sends(content, buffers)
    return {"comm": comm, "id": content["id"]}


async def answer(sent: dict[str, Any]) -> dict[str, Any]:
    for _ in range(2000):
        found = [r for r in sent["comm"].customs("reply") if r["id"] == sent["id"]]
        if found:
            return dict(found[0])
        await asyncio.sleep(0.005)
    raise AssertionError("no reply")


def chunk(request_id: str, recording: str) -> dict[str, Any]:
    return {
        "id": request_id,
        "kind": "audio_chunk",
        "recording": recording,
        "mimeType": "pcm16",
        "elapsedTime": 1,
    }


async def test_guessed_and_foreign_recording_ids_are_refused(apps: list[cw.ChatApp]) -> None:
    a, b = apps
    heard_a, heard_b = Listener(a), Listener(b)
    opened = await answer(
        sends(a, {"id": "s", "kind": "audio_start", "sampleRate": 24000, "mimeType": "pcm16"})
    )
    recording = opened["result"]["recording"]
    for i, guess in enumerate(["", "0" * 32, recording.upper(), recording + "x"]):
        refused = await answer(sends(a, chunk(f"g{i}", guess), [b"\0\0"]))
        assert refused["error"]["code"] in {"not_recording", "bad_request"}
    foreign = await answer(sends(b, chunk("f", recording), [b"\0\0"]))  # chat a's id, sent to chat b
    assert foreign["error"]["code"] == "not_recording"
    ended = await answer(sends(b, {"id": "e", "kind": "audio_end", "recording": recording}))
    assert ended["error"]["code"] == "not_recording"
    assert heard_b.calls == [] and heard_a.calls == ["start"]
    assert (await answer(sends(a, chunk("ok", recording), [b"\0\0"])))["ok"]  # a's recording still works


@pytest.mark.parametrize("rate", [0, -24000, 10**30, 24000.0, None, [24000]])
async def test_absurd_sample_rates_are_refused(apps: list[cw.ChatApp], rate: Any) -> None:
    heard = Listener(apps[0])
    refused = await answer(
        sends(apps[0], {"id": "s", "kind": "audio_start", "sampleRate": rate, "mimeType": "pcm16"})
    )
    assert refused["error"]["code"] == "bad_request"
    assert heard.calls == []


async def test_a_huge_buffer_is_refused_and_not_kept(apps: list[cw.ChatApp]) -> None:
    app = apps[0]
    heard = Listener(app)
    opened = await answer(
        sends(app, {"id": "s", "kind": "audio_start", "sampleRate": 24000, "mimeType": "pcm16"})
    )
    recording = opened["result"]["recording"]
    refused = await answer(sends(app, chunk("big", recording), [b"\0" * 10_000_000]))
    assert refused["error"]["code"] == "too_large"
    ended = await answer(sends(app, {"id": "e", "kind": "audio_end", "recording": recording}))
    assert ended["result"] == {"chunks": 0, "seconds": 0.0}
    await app.wait()
    assert heard.calls == ["start", "end"]


async def test_a_flood_of_starts_and_ends_leaves_one_recording(apps: list[cw.ChatApp]) -> None:
    app = apps[0]
    heard = Listener(app)
    start = {"kind": "audio_start", "sampleRate": 24000, "mimeType": "pcm16"}
    replies = [sends(app, {"id": f"s{i}", **start}) for i in range(20)]
    answers = [await answer(r) for r in replies]
    opened = [x["result"]["recording"] for x in answers if x["ok"]]
    assert len(opened) == 1 and {x["error"]["code"] for x in answers if not x["ok"]} == {"busy"}
    ends = [sends(app, {"id": f"e{i}", "kind": "audio_end", "recording": opened[0]}) for i in range(20)]
    assert all([(await answer(e))["ok"] for e in ends])  # ending twice is not an error
    await app.wait()
    assert heard.calls.count("start") == 1 and heard.calls.count("end") == 1
    await app.send_user_message("still answering")
    assert "User: still answering" in app.transcript()
