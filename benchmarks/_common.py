"""Shared plumbing of the benchmarks: a JupyterLab + Chromium session built on the browser
tests' driver (tests/browser/labdriver.py), a tap on the kernel websocket, result output."""

from __future__ import annotations

import contextlib
import json
import platform
import shutil
import struct
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
sys.path.insert(0, str(REPO / "tests" / "browser"))

from labdriver import CHROMIUM, CHROMIUM_ARGS, JupyterLab  # noqa: E402
from playwright.sync_api import Page, sync_playwright  # noqa: E402


# ------------------------------------------------------------------------- websocket tap
def frame_info(payload: str | bytes) -> tuple[str, str]:
    """(channel, msg_type) of one kernel websocket frame: JSON text or the v1 binary protocol."""
    try:
        if isinstance(payload, str):
            msg = json.loads(payload)
            return str(msg.get("channel", "")), str(msg.get("header", {}).get("msg_type", ""))
        n = struct.unpack_from("<Q", payload, 0)[0]
        offsets = struct.unpack_from(f"<{n}Q", payload, 8)
        channel = payload[offsets[0] : offsets[1]].decode()
        header = json.loads(payload[offsets[1] : offsets[2]])
        return channel, str(header.get("msg_type", ""))
    except Exception:
        return "?", "?"


@dataclass
class Frame:
    size: int
    payload: str | bytes

    @property
    def info(self) -> tuple[str, str]:
        return frame_info(self.payload)


@dataclass
class WsTap:
    """Every frame the page receives on a kernel websocket (`/api/kernels/<id>/channels`).

    Playwright hands events to Python in order, inside its own calls: after a call returns,
    every frame that reached the page before that call's answer is in `frames`."""

    frames: list[Frame] = field(default_factory=list)
    sockets: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> WsTap:
        def on_ws(ws: Any) -> None:
            if "/api/kernels/" not in ws.url:
                return
            self.sockets.append(ws.url)
            ws.on("framereceived", self._on_frame)

        page.on("websocket", on_ws)
        return self

    def _on_frame(self, payload: str | bytes) -> None:
        size = len(payload.encode()) if isinstance(payload, str) else len(payload)
        self.frames.append(Frame(size, payload))

    def mark(self) -> int:
        return len(self.frames)

    def since(self, mark: int, end: int | None = None) -> list[Frame]:
        return self.frames[mark:end]


# ------------------------------------------------------------------------------ session
@dataclass
class Session:
    lab: JupyterLab
    page: Page
    tap: WsTap
    started: float


@contextlib.contextmanager
def session(
    name: str, browser_args: tuple[str, ...] = (), permissions: tuple[str, ...] = (), tap: bool = True
) -> Iterator[Session]:
    """A JupyterLab on a free loopback port and a headless Chromium page; both stopped after.
    ``browser_args`` go to Chromium (a fake microphone), ``permissions`` to the page's context.
    ``tap=False``: no websocket tap (``Session.tap`` stays empty). The tap copies every frame
    through the DevTools protocol to this process, which costs the machine's cores what a
    user's page does not pay."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix=f"cw-bench-{name}-"))
    lab = JupyterLab(root=home / "notebooks", home=home, log_path=RESULTS / f"{name}-lab.log")
    t0 = time.monotonic()
    lab.start()
    try:
        with sync_playwright() as pw:
            args = [*CHROMIUM_ARGS, *browser_args]
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
            try:
                context = browser.new_context(viewport={"width": 1280, "height": 960})
                context.set_default_timeout(60_000)
                if permissions:
                    context.grant_permissions(list(permissions))
                page = context.new_page()
                console = RESULTS / f"{name}-console.txt"
                lines: list[str] = []
                page.on("console", lambda m: lines.append(f"{m.type}: {m.text}"[:2000]))
                page.on("pageerror", lambda e: lines.append(f"pageerror: {e}"[:2000]))
                frames = WsTap().attach(page) if tap else WsTap()
                try:
                    yield Session(lab, page, frames, t0)
                finally:
                    console.write_text("\n".join(lines) + "\n")
            finally:
                browser.close()
    finally:
        lab.shutdown_sessions()
        lab.stop()
        shutil.rmtree(home, ignore_errors=True)


# ------------------------------------------------------------------------------- output
def source(git: Any) -> dict[str, Any]:
    """What was measured: a snapshot from benchmarks/snapshot.sh on PYTHONPATH, or the work tree."""
    import os

    for entry in filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep)):
        stamp = Path(entry) / ".snapshot-commit"
        if stamp.exists():
            return {"measured": f"snapshot {entry}", "commit": stamp.read_text().strip(), "tree_dirty": False}
    return {
        "measured": "work tree",
        "commit": git("rev-parse", "--short", "HEAD"),
        "tree_dirty": bool(git("status", "--porcelain", "--", "chatwidget", "js/src")),
    }


def environment() -> dict[str, Any]:
    import os

    versions: dict[str, str] = {}
    from importlib.metadata import PackageNotFoundError, version

    for pkg in ("anywidget", "ipywidgets", "ipykernel", "jupyterlab", "jupyter_server", "panel", "bokeh"):
        with contextlib.suppress(PackageNotFoundError):
            versions[pkg] = version(pkg)
    import subprocess

    def git(*args: str) -> str:
        with contextlib.suppress(Exception):
            return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True).stdout.strip()
        return ""

    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        **source(git),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "versions": versions,
    }


def table(rows: list[tuple[str, str, str]]) -> str:
    """Rows of (figure, value, target) as a fixed-width table."""
    head = ("figure", "measured", "target")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(3)]
    line = "  ".join("-" * w for w in widths)
    out = [line, "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)), line]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    out.append(line)
    return "\n".join(out)


def write_result(name: str, result: dict[str, Any]) -> str:
    RESULTS.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, separators=(",", ":"), sort_keys=True)
    (RESULTS / f"{name}.json").write_text(text + "\n")
    return text


def kernel_json(output: str) -> Any:
    """The last line of a cell's printed output, parsed as JSON."""
    for line in reversed(output.strip().splitlines()):
        at = line.find("{")
        if at >= 0:
            with contextlib.suppress(ValueError):
                return json.loads(line[at:])
    raise ValueError(f"no JSON line in the cell's output: {output[-500:]!r}")
