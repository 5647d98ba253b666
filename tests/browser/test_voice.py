"""Voice in a real JupyterLab: Chromium records from a fake microphone that plays a WAV the
test writes (2 s of a 440 Hz tone, then 1 s of silence), the example notebook's echo app
hears it and plays it back; a denied microphone and a refusing app are explained."""

from __future__ import annotations

import itertools
import json
import math
import re
import shutil
import struct
import time
import wave
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from labdriver import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, Chat, JupyterLab, MakeNotebook, Notebook
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
WAV_RATE = 48_000
TONE_SECONDS = 2.0
SILENCE_SECONDS = 1.0  # the example's silence_timeout: the recording ends as the WAV does


def write_wav(path: Path) -> Path:
    tone = [
        round(12_000 * math.sin(2 * math.pi * 440 * i / WAV_RATE))
        for i in range(int(WAV_RATE * TONE_SECONDS))
    ]
    samples = tone + [0] * int(WAV_RATE * SILENCE_SECONDS)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(WAV_RATE)
        out.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return path


@pytest.fixture(scope="module")
def browser(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """A Chromium of its own, launched by the session's Playwright, whose microphone plays the
    WAV once (then silence). Permission is given per context: none given, it is denied."""
    wav = write_wav(tmp_path_factory.mktemp("voice") / "speech.wav")
    args = [
        *CHROMIUM_ARGS,
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}%noloop",
    ]
    own = browser.browser_type.launch(executable_path=CHROMIUM, args=args, headless=True)
    yield own
    own.close()


def kernel_message(frame: str | bytes) -> list[bytes]:
    """The parts of a kernel websocket frame (channel, header, parent, metadata, content,
    buffers...) in Jupyter's v1 binary protocol; a JSON text frame is one part."""
    if isinstance(frame, str):
        return [frame.encode()]
    count = struct.unpack_from("<Q", frame)[0]
    offsets = struct.unpack_from(f"<{count}Q", frame, 8)
    return [frame[a:b] for a, b in itertools.pairwise(offsets)]


def voice(chat: Chat) -> Any:
    return chat.root.locator(".cw-voice")


def playback(page: Page, index: int = 0) -> dict[str, Any]:
    return page.evaluate(  # type: ignore[no-any-return]
        "async (i) => { const b = document.querySelectorAll('.cw-root .cw-voice')[i];"
        " return await b.__cwVoice.playbackStats(); }",
        index,
    )


def playback_until(
    page: Page, done: Callable[[dict[str, Any]], bool], timeout: int = TIMEOUT_MS
) -> dict[str, Any]:
    """The first playback figures that satisfy ``done``. (``wait_for_function`` cannot wait on
    them: it takes the promise ``playbackStats()`` returns for a truthy answer.)"""
    deadline = time.monotonic() + timeout / 1000
    while True:
        stats = playback(page)
        if stats and done(stats):
            return stats
        assert time.monotonic() < deadline, f"playback never got there: {stats}"
        page.wait_for_timeout(50)


def recording(page: Page, index: int = 0) -> dict[str, Any]:
    return page.evaluate(  # type: ignore[no-any-return]
        "(i) => ({ ...document.querySelectorAll('.cw-root .cw-voice')[i].__cwVoice.recordingStats })", index
    )


def test_the_echo_example_hears_the_microphone_and_plays_it_back(lab: JupyterLab, page: Page) -> None:
    page.context.grant_permissions(["microphone"])
    frames: list[str | bytes] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda frame: frames.append(frame)))
    shutil.copy(REPO / "examples" / "voice_echo.ipynb", lab.root / "voice_echo.ipynb")
    nb = Notebook(page, "voice_echo.ipynb").open(lab)
    nb.run_all()
    chat = Chat.find(page)
    mic = voice(chat)
    expect(mic).to_be_visible()
    expect(chat.assistant().last).to_contain_text("I heard 1.50 seconds")  # the notebook's own run
    # That run's audio played in the page, to its end, in 8 chunks of 200 ms, without a gap.
    before = playback_until(page, lambda s: s["ended"] >= 8)
    assert before["scheduled"] == 8 and before["gaps"] == 0 and before["state"] == "running"
    sent_before = len(frames)

    mic.click()
    expect(mic).to_have_attribute("data-state", "recording")
    expect(mic).to_have_attribute("aria-pressed", "true")
    expect(chat.assistant().last).to_contain_text("I heard 3.", timeout=60_000)  # ended on silence
    expect(mic).to_have_attribute("data-state", "idle")
    heard = float(re.search(r"I heard ([\d.]+) seconds", chat.assistant().last.inner_text()).group(1))  # type: ignore[union-attr]
    wav_seconds = TONE_SECONDS + SILENCE_SECONDS
    assert abs(heard - wav_seconds) / wav_seconds < 0.05, heard
    stats = recording(page)
    assert stats["endReason"] == "silence" and abs(stats["bytes"] / 48_000 - heard) < 0.01, stats

    # What the kernel holds is the tone: 2 s of sound at 440 Hz, resampled 44.1/48 kHz -> 24 kHz.
    analysis = json.loads(
        nb.add_and_run(
            "import array, json\n"
            "pcm = array.array('h', bytes(app.session['heard']))\n"
            "loud = [i for i, v in enumerate(pcm) if abs(v) > 2000]\n"
            "span = pcm[loud[0]:loud[-1]]\n"
            "ups = sum(1 for a, b in zip(span, span[1:]) if a < 0 <= b)\n"
            "seconds = (loud[-1] - loud[0]) / 24000\n"
            "print(json.dumps({'sound': seconds, 'hz': ups / seconds}))"
        )
    )
    assert abs(analysis["sound"] - TONE_SECONDS) / TONE_SECONDS < 0.05, analysis
    assert abs(analysis["hz"] - 440) < 5, analysis

    # Each chunk went as one binary buffer of 100 ms (4,800 bytes) beside a small JSON
    # content, never as base64 text in the JSON.
    chunks_sent = [m for m in map(kernel_message, frames[sent_before:]) if b'"audio_chunk"' in m[4]]
    assert len(chunks_sent) == math.ceil(heard * 10), len(chunks_sent)
    assert all(len(m) == 6 and len(m[4]) < 400 for m in chunks_sent), [
        (len(m), len(m[4])) for m in chunks_sent
    ]
    assert {len(m[5]) for m in chunks_sent[:-1]} == {4_800}

    # The echo plays back to its end: every chunk scheduled after the one before, no gap.
    chunks = math.ceil(heard / 0.2)
    after = playback_until(page, lambda s: s["ended"] >= 8 + chunks)
    assert after["scheduled"] == 8 + chunks and after["gaps"] == 0, after
    chat.root.screenshot(path=str(ARTIFACTS / "voice-echo.png"))

    # Pressing the microphone again while the echo plays stops it (an interrupt), and a new
    # message stops what plays too.
    nb.add_and_run("await app.send_user_audio(tone * 4)")  # 6 s of echo, playing now
    playback_until(page, lambda s: s["scheduled"] > 8 + chunks)
    chat.send("stop the music")
    final = playback_until(page, lambda s: s["interrupted"] >= 1)
    assert final["ended"] < final["scheduled"], final  # what was still scheduled never played


APP = """
import chatwidget as cw

app = cw.ChatApp(title="Voice", persist=False)
calls = []

@app.on_audio_start
async def start():
    calls.append("start")
    return app.session.get("listening", False)

@app.on_audio_chunk
async def hear(chunk):
    calls.append("chunk")

@app.on_message
async def reply(message):
    await cw.Message(f"typed: {message.content}").send()

app.display()
"""


def test_a_denied_microphone_is_explained_and_nothing_breaks(notebook: MakeNotebook, page: Page) -> None:
    nb = notebook([APP])  # no permission given to this page: the browser denies the microphone
    nb.run_all()
    chat = Chat.find(page)
    mic = voice(chat)
    mic.click()
    error = chat.root.locator(".cw-composer-error")
    expect(error).to_contain_text("Microphone access was denied")
    expect(mic).to_have_attribute("data-state", "idle")
    assert nb.add_and_run("print(calls)").strip() == "[]"  # the kernel was not asked
    chat.send("still here")
    expect(chat.assistant().last).to_contain_text("typed: still here")


def test_an_app_that_refuses_stops_the_recording_and_says_why(notebook: MakeNotebook, page: Page) -> None:
    page.context.grant_permissions(["microphone"])
    nb = notebook([APP])
    nb.run_all()
    chat = Chat.find(page)
    mic = voice(chat)
    mic.click()
    expect(chat.root.locator(".cw-composer-error")).to_contain_text("This chat is not listening right now.")
    expect(mic).to_have_attribute("data-state", "idle")
    assert nb.add_and_run("print(calls)").strip() == "['start']"  # no chunk reached the app
    nb.add_and_run("app.session['listening'] = True")
    mic.click()
    expect(mic).to_have_attribute("data-state", "recording")
    expect(chat.root.locator(".cw-composer-error")).to_be_hidden()
    page.wait_for_timeout(500)
    mic.click()  # the user stops
    expect(mic).to_have_attribute("data-state", "idle")
    assert "chunk" in nb.add_and_run("print(calls)")
