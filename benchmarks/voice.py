"""Voice input on the wire, and from the end of speech to ``on_audio_end``.

A real JupyterLab and headless Chromium whose fake microphone plays a WAV written here
(``--speech`` seconds of a 440 Hz tone, then silence); a chat app with ``on_audio_chunk``
and ``silence_timeout`` of ``--silence-ms``. Each run presses the microphone and waits for
``on_audio_end``'s message. Measured per run:

* bytes per second the page sends on the kernel websocket while recording (every frame of
  the voice requests: the 100 ms PCM16 chunks as binary buffers, their JSON, Jupyter's
  envelope), over the seconds of audio recorded; and what the page receives meanwhile (the
  replies). The PCM itself is 48,000 B/s at 24 kHz; the same chunks as base64 text in JSON,
  as the reference's socket.io event carries them, would make each frame 4/3 of its PCM
  larger — a figure computed from the frames sent, not a run of the reference.
* end of speech -> ``on_audio_end``: from the moment the page last heard sound (the worklet's
  sample position turned into the page's clock) to the kernel calling the handler
  (``time.time()``; one machine, one clock). It includes the silence timeout, which is the
  wait for silence by design; the rest is the system's own latency, printed apart.

    .venv/bin/python benchmarks/voice.py [--runs 3] [--speech 3] [--silence-ms 1000]

Prints min / median / max of the runs, and one JSON line (also benchmarks/results/voice.json).
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import statistics
import struct
import sys
import tempfile
import time
import wave
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import environment, kernel_json, session, table, write_result
from labdriver import Chat, Notebook, write_notebook

RATE = 24_000
WAV_RATE = 48_000
VOICE_KINDS = (b'"audio_start"', b'"audio_chunk"', b'"audio_end"')

APP = """
import json, time
import chatwidget as cw

app = cw.ChatApp(title="Voice benchmark", persist=False, audio=cw.AudioFeature(silence_timeout={silence}))
runs = []

@app.on_audio_start
async def start():
    runs.append({{"bytes": 0, "chunks": 0, "end": None}})
    return True

@app.on_audio_chunk
async def chunk(c):
    runs[-1]["bytes"] += len(c.data)
    runs[-1]["chunks"] += 1

@app.on_audio_end
async def end():
    runs[-1]["end"] = time.time() * 1000
    await cw.Message(f"heard {{len(runs)}}: {{runs[-1]['bytes'] / 48000:.2f}} s").send()

app.display()
"""


def write_wav(path: Path, speech: float, silence: float) -> Path:
    count = int(WAV_RATE * speech)
    tone = [round(12_000 * math.sin(2 * math.pi * 440 * i / WAV_RATE)) for i in range(count)]
    samples = tone + [0] * int(WAV_RATE * silence)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(WAV_RATE)
        out.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return path


def parts(frame: str | bytes) -> list[bytes]:
    """A kernel websocket frame's parts in Jupyter's v1 binary protocol: channel, header,
    parent header, metadata, content, buffers...; a JSON text frame is one part."""
    if isinstance(frame, str):
        return [frame.encode()]
    count = struct.unpack_from("<Q", frame)[0]
    offsets = struct.unpack_from(f"<{count}Q", frame, 8)
    return [frame[a:b] for a, b in itertools.pairwise(offsets)]


def content_of(frame: str | bytes) -> bytes:
    split = parts(frame)
    return split[4] if len(split) > 4 else split[0]


def as_base64(frame: str | bytes) -> int:
    """The frame's size had its buffers travelled as base64 text inside the JSON instead."""
    buffers = parts(frame)[5:]
    return size(frame) + sum(4 * math.ceil(len(b) / 3) - len(b) for b in buffers)


def size(frame: str | bytes) -> int:
    return len(frame.encode()) if isinstance(frame, str) else len(frame)


def spread(values: list[float]) -> tuple[float, float, float]:
    return min(values), statistics.median(values), max(values)


def fmt(values: list[float], unit: str, digits: int = 0) -> str:
    low, mid, high = spread(values)
    return f"{low:,.{digits}f} / {mid:,.{digits}f} / {high:,.{digits}f} {unit}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--speech", type=float, default=3.0, help="seconds of tone in the WAV")
    parser.add_argument("--silence-ms", type=int, default=1000, help="the app's silence_timeout")
    args = parser.parse_args()
    load_before = os.getloadavg()
    wav = write_wav(Path(tempfile.mkdtemp(prefix="cw-voice-")) / "speech.wav", args.speech, 4.0)
    fake = ("--use-fake-device-for-media-stream", f"--use-file-for-fake-audio-capture={wav}%noloop")
    rows: list[dict[str, float]] = []
    with session("voice", browser_args=fake, permissions=("microphone",)) as s:
        sent: list[str | bytes] = []
        s.page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(frame)))
        path = write_notebook(s.lab.root, "voice_bench", [APP.format(silence=args.silence_ms)])
        nb = Notebook(s.page, path).open(s.lab)
        nb.run_all()
        chat = Chat.find(s.page)
        mic = chat.root.locator(".cw-voice")
        for run in range(1, args.runs + 1):
            # A fresh page each run: the fake microphone plays the WAV from its start.
            if run > 1:
                nb = Notebook(s.page, path).open(s.lab)
                nb.run_all()
                chat = Chat.find(s.page)
                mic = chat.root.locator(".cw-voice")
            sent_mark, received_mark = len(sent), s.tap.mark()
            mic.click()
            chat.assistant().last.filter(has_text="heard 1:").wait_for(timeout=120_000)
            s.page.wait_for_timeout(300)  # the last replies
            page_stats = s.page.evaluate(
                "() => ({...document.querySelector('.cw-voice').__cwVoice.recordingStats})"
            )
            kernel = kernel_json(nb.add_and_run("print(json.dumps(runs[-1]))"))
            voice = [f for f in sent[sent_mark:] if any(k in content_of(f) for k in VOICE_KINDS)]
            replies = s.tap.since(received_mark)
            seconds = kernel["bytes"] / (2 * RATE)
            base64_bytes = sum(map(as_base64, voice))
            end_ms = kernel["end"] - page_stats["speechEndedAt"]
            rows.append(
                {
                    "audio_s": seconds,
                    "chunks": kernel["chunks"],
                    "up_bps": sum(map(size, voice)) / seconds,
                    "down_bps": sum(f.size for f in replies) / seconds,
                    "base64_bps": base64_bytes / seconds,
                    "speech_end_to_on_audio_end_ms": end_ms,
                    "beyond_silence_ms": end_ms - args.silence_ms,
                    "audio_end_sent_to_on_audio_end_ms": kernel["end"] - page_stats["endSentAt"],
                }
            )
            print(f"run {run}: {rows[-1]}", flush=True)
            time.sleep(0.5)
    load_after = os.getloadavg()

    def col(key: str) -> list[float]:
        return [r[key] for r in rows]

    pcm_bps = 2 * RATE
    print(
        table(
            [
                (
                    "audio recorded per run",
                    fmt(col("audio_s"), "s", 2),
                    f"{args.speech + args.silence_ms / 1000:.1f} s",
                ),
                ("chunks per run", fmt(col("chunks"), ""), "10 per s"),
                (
                    "sent by the page while recording",
                    fmt(col("up_bps"), "B/s"),
                    f"PCM alone: {pcm_bps:,} B/s",
                ),
                ("  ratio to the PCM", fmt([v / pcm_bps for v in col("up_bps")], "x", 3), ""),
                ("received by the page meanwhile", fmt(col("down_bps"), "B/s"), ""),
                ("same chunks as base64 JSON (computed)", fmt(col("base64_bps"), "B/s"), ""),
                ("end of speech -> on_audio_end", fmt(col("speech_end_to_on_audio_end_ms"), "ms"), ""),
                ("  of which beyond silence_timeout", fmt(col("beyond_silence_ms"), "ms"), ""),
                (
                    "audio_end sent -> on_audio_end",
                    fmt(col("audio_end_sent_to_on_audio_end_ms"), "ms", 1),
                    "",
                ),
                ("load average before / after", f"{load_before[0]:.2f} / {load_after[0]:.2f}", ""),
            ]
        )
    )
    print(
        write_result(
            "voice",
            {"env": environment(), "args": vars(args), "runs": rows, "load": [load_before, load_after]},
        )
    )


if __name__ == "__main__":
    main()
