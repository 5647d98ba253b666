"""Browser -> kernel -> browser round trip, with the extension's ``tcp_nodelay`` off and on.

Starts a real JupyterLab (tests/browser/labdriver.py) once per setting, opens a notebook
holding a tiny anywidget echo in Debian's Chromium, and times ``model.send(ping)`` ->
kernel ``send(pong)`` -> ``msg:custom`` in the page, one ping at a time (nothing else in
flight, which is where Nagle's algorithm delays a small frame).

    .venv/bin/python benchmarks/latency.py [--pings 200] [--warmup 20] [--json out.json]

Prints both medians and their ratio (off / on).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "browser"))

from labdriver import CHROMIUM, CHROMIUM_ARGS, JupyterLab, Notebook, write_notebook  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

ECHO_CELL = r'''
import anywidget

class Echo(anywidget.AnyWidget):
    _esm = """
    export default {
      render({ model, el }) {
        el.className = "cw-echo";
        el.textContent = "echo";
        let pending = null, seq = 0;
        model.on("msg:custom", (msg) => {
          if (msg.kind === "pong" && pending && msg.id === pending.id) {
            const p = pending; pending = null; p.resolve(performance.now() - p.t0);
          }
        });
        el._ping = () => new Promise((resolve) => {
          pending = { id: ++seq, t0: performance.now(), resolve };
          model.send({ kind: "ping", id: pending.id });
        });
      },
    };
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.on_msg(self._on_ping)

    def _on_ping(self, _widget, content, _buffers):
        if isinstance(content, dict) and content.get("kind") == "ping":
            self.send({"kind": "pong", "id": content.get("id")})

Echo()
'''

PINGS_JS = """async ([n]) => {
  const el = document.querySelector('.cw-echo');
  const out = [];
  for (let i = 0; i < n; i++) out.push(await el._ping());
  return out;
}"""


def measure(nodelay: bool, pings: int, warmup: int, workdir: Path) -> dict[str, Any]:
    home = workdir / ("on" if nodelay else "off")
    lab = JupyterLab(
        root=home / "notebooks",
        home=home,
        log_path=home / "jupyter-lab.log",
        extra_args=(f"--ChatWidgetServer.tcp_nodelay={nodelay}",),
    )
    lab.start()
    try:
        log = lab.log()
        active = "TCP_NODELAY on kernel websockets" in log
        if active != nodelay:
            raise RuntimeError(f"tcp_nodelay={nodelay} but the server log says otherwise; see {lab.log_path}")
        path = write_notebook(lab.root, "echo", [ECHO_CELL])
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                page = browser.new_page()
                notebook = Notebook(page, path).open(lab)
                notebook.run_all()
                page.wait_for_selector(".cw-echo", timeout=30_000)
                page.evaluate(PINGS_JS, [warmup])
                samples: list[float] = page.evaluate(PINGS_JS, [pings])
            finally:
                browser.close()
    finally:
        lab.shutdown_sessions()
        lab.stop()
    return {
        "tcp_nodelay": nodelay,
        "pings": len(samples),
        "median_ms": round(statistics.median(samples), 2),
        "p90_ms": round(statistics.quantiles(samples, n=10)[-1], 2),
        "min_ms": round(min(samples), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pings", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cw-latency-") as tmp:
        off = measure(False, args.pings, args.warmup, Path(tmp))
        on = measure(True, args.pings, args.warmup, Path(tmp))
    ratio = off["median_ms"] / on["median_ms"] if on["median_ms"] else float("nan")
    print(f"tcp_nodelay off: median {off['median_ms']:.2f} ms (p90 {off['p90_ms']:.2f}, n={off['pings']})")
    print(f"tcp_nodelay on:  median {on['median_ms']:.2f} ms (p90 {on['p90_ms']:.2f}, n={on['pings']})")
    print(f"ratio off/on: {ratio:.2f}x")
    if args.json:
        result = {"off": off, "on": on, "ratio": round(ratio, 2), "machine": platform.platform()}
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
