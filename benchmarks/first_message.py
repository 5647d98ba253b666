"""The first message of a fresh kernel, with saving on: the time from the browser's ``send``
reaching the kernel to the ``on_message`` handler starting; and the import cost.

    .venv/bin/python benchmarks/first_message.py [--runs 3] [--gap 1.0]

Each run starts a new ipykernel (jupyter_client), creates an app with the default SQLite
persistence (in a temporary file) and displays it, waits ``--gap`` seconds (the user reading
and typing), then delivers a ``send`` request to the widget's comm as the page would and
records when the handler starts. ``persist=False`` is measured the same way for reference.
The websocket and the browser are not part of it (see stream.py / history.py for those).
Also: ``import chatwidget`` vs ``import anywidget`` in fresh interpreters, median of 5.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from jupyter_client.manager import start_new_kernel

CODE = """
import asyncio, time, json
import chatwidget as cw
from IPython.display import display
app = cw.ChatApp(title="first", persist={persist})
STARTED = []

@app.on_message
async def reply(message):
    STARTED.append(time.perf_counter())
    await cw.Message("ok").send()

app.display()
await asyncio.sleep({gap})
t0 = time.perf_counter()
app.widget.comm.handle_msg({{"content": {{"data": {{"method": "custom", "content":
    {{"kind": "send", "id": "r1", "content": "hello"}}}}}}, "buffers": []}})
while not STARTED:
    await asyncio.sleep(0.001)
print(json.dumps({{"ms": (STARTED[0] - t0) * 1000}}))
"""


def one_run(persist: bool, gap: float) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "CHATWIDGET_DATABASE_URL": f"sqlite+aiosqlite:///{Path(tmp) / 'c.db'}"}
        km, kc = start_new_kernel(kernel_name="python3", env=env)
        try:
            out: list[str] = []

            def collect(msg: dict) -> None:
                if msg["msg_type"] == "stream":
                    out.append(msg["content"]["text"])

            kc.execute_interactive(CODE.format(persist=persist, gap=gap), timeout=120, output_hook=collect)
            line = next(x for x in "".join(out).splitlines() if x.startswith("{"))
            return float(json.loads(line)["ms"])
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)


def import_time(module: str, preload: str = "") -> float:
    """Median of 5 fresh interpreters; ``preload`` is imported first, untimed (what a kernel
    has loaded already: asyncio, IPython)."""
    runs = []
    for _ in range(5):
        code = f"{preload}import time; t=time.perf_counter(); import {module}; print(time.perf_counter()-t)"
        runs.append(float(subprocess.check_output([sys.executable, "-c", code], text=True)))
    return statistics.median(runs)


def spread(values: list[float]) -> str:
    values = sorted(values)
    return f"{values[0]:.1f} / {statistics.median(values):.1f} / {values[-1]:.1f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--gap", type=float, default=1.0)
    args = ap.parse_args()
    print(f"load average at start: {os.getloadavg()}")
    saved = [one_run(True, args.gap) for _ in range(args.runs)]
    unsaved = [one_run(False, args.gap) for _ in range(args.runs)]
    at_once = [one_run(True, 0.0) for _ in range(args.runs)]
    cw_s, aw_s = import_time("chatwidget"), import_time("anywidget")
    kernel = "import asyncio, IPython, ipykernel.ipkernel; "
    cw_k, aw_k = import_time("chatwidget", kernel), import_time("anywidget", kernel)
    head = "first message -> handler start (min/median/max)"
    print(f"{head}, saving on, {args.gap:g} s after display: {spread(saved)}")
    print(f"{head}, saving on, at once after display: {spread(at_once)}")
    print(f"{head}, persist=False: {spread(unsaved)}")
    print(f"import chatwidget {cw_s * 1000:.0f} ms, anywidget {aw_s * 1000:.0f} ms: {cw_s / aw_s:.2f}x")
    print(
        f"  after what a kernel has loaded (asyncio, IPython, ipykernel): chatwidget {cw_k * 1000:.0f} ms, "
        f"anywidget {aw_k * 1000:.0f} ms: {cw_k / aw_k:.2f}x"
    )
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
