"""Drive a real JupyterLab in Debian's Chromium for the browser tests.

`JupyterLab` runs one `jupyter lab` server in its own process group, with its own
config/runtime/IPython/settings directories, on a free loopback port. `Notebook` opens a
notebook in a Playwright page and runs cells through JupyterLab's own commands (the app is
exposed as `window.jupyterapp`). `Chat` wraps one rendered `.cw-root` view.

Notebooks are written by the tests (`write_notebook`), never committed.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from playwright.sync_api import Locator, Page, expect

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = os.environ.get("CHATWIDGET_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Generous default for anything that waits on the kernel: two cores run server, kernel and browser.
TIMEOUT_MS = 30_000

#: How Python starts a traceback; seen in a frame, it means a traceback reached the browser.
TRACEBACK = b"Traceback (most recent call last)"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def safe_name(text: str) -> str:
    """A file-name-safe form of a pytest node name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[:150]


# ----------------------------------------------------------------------------- server
@dataclass
class JupyterLab:
    """A `jupyter lab` subprocess serving `root`; start() it, stop() it (process group)."""

    root: Path
    home: Path
    log_path: Path
    port: int = field(default_factory=free_port)
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    extra_args: tuple[str, ...] = ()
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str, **query: str) -> str:
        query = {"token": self.token, **query}
        qs = "&".join(f"{k}={v}" if v else k for k, v in query.items())
        return f"{self.base}{path}?{qs}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        for var, sub in [
            ("JUPYTER_CONFIG_DIR", "config"),
            ("JUPYTER_RUNTIME_DIR", "runtime"),
            ("JUPYTER_DATA_DIR", "data"),
            ("IPYTHONDIR", "ipython"),
            ("JUPYTERLAB_SETTINGS_DIR", "lab-settings"),
            ("JUPYTERLAB_WORKSPACES_DIR", "lab-workspaces"),
        ]:
            (self.home / sub).mkdir(parents=True, exist_ok=True)
            env[var] = str(self.home / sub)
        # No "Would you like to receive official Jupyter news?" toast over the screenshots.
        settings = self.home / "lab-settings" / "@jupyterlab" / "apputils-extension"
        settings.mkdir(parents=True, exist_ok=True)
        (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
        env["JUPYTER_PLATFORM_DIRS"] = "1"
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        env.pop("JUPYTER_TOKEN", None)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def start(self, timeout: float = 90) -> JupyterLab:
        self.root.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        argv = [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--allow-root",
            f"--port={self.port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--LabApp.expose_app_in_browser=True",
            *self.extra_args,
        ]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                argv,
                cwd=self.root,
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() ends it and its kernels
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.proc.returncode}; see {self.log_path}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                if self.api("GET", "/api/status")[0] == 200:
                    return self
            time.sleep(0.25)
        self.stop()
        raise TimeoutError(f"jupyter lab not ready after {timeout}s; see {self.log_path}")

    def stop(self, timeout: float = 20) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)  # jupyter shuts its kernels down on SIGTERM
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)

    def api(self, method: str, path: str, body: Any = None, timeout: float = 10) -> tuple[int, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            payload = None if body is None else json.dumps(body)
            headers = {"Authorization": f"token {self.token}", "Content-Type": "application/json"}
            conn.request(method, path, body=payload, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            try:
                data = json.loads(raw) if raw else None
            except ValueError:
                data = raw.decode(errors="replace")
            return resp.status, data
        finally:
            conn.close()

    def shutdown_sessions(self) -> None:
        """End every notebook session and its kernel, so kernels don't pile up between tests."""
        with contextlib.suppress(OSError, http.client.HTTPException):
            status, sessions = self.api("GET", "/api/sessions")
            for s in sessions if status == 200 else []:
                self.api("DELETE", f"/api/sessions/{s['id']}", timeout=30)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


# --------------------------------------------------------------------------- notebooks
def write_notebook(root: Path, name: str, cells: list[str]) -> str:
    """Write a notebook of code cells (a cell starting with 'md:' is markdown); returns its path."""
    nb = nbformat.v4.new_notebook(
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
            "language_info": {"name": "python"},
        }
    )
    nb.cells = [
        nbformat.v4.new_markdown_cell(c[3:]) if c.startswith("md:") else nbformat.v4.new_code_cell(c)
        for c in cells
    ]
    path = root / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path.name


# JavaScript run in the page. `path` is the notebook's path; every snippet finds its panel.
_PANEL = """
const app = window.jupyterapp;
const panel = [...app.shell.widgets('main')].find(w => w.context && w.context.path === path);
if (!panel) throw new Error('notebook not open: ' + path);
const nb = panel.content;
"""

_STATE_JS = (
    "(path) => {"
    + _PANEL
    + """
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const bar = [...document.querySelectorAll('.jp-StatusBar-Widget')].map(e => e.textContent).join(' ');
  const cells = nb.widgets.filter(c => c.model.type === 'code');
  return {
    idle: /\\| Idle/.test(bar) && !!kernel && kernel.status === 'idle'
          && kernel.connectionStatus === 'connected',
    counts: cells.map(c => c.model.executionCount),
    // cells out of view may not be in the DOM (windowed notebook): ask the model first
    running: cells.some(c => c.model.executionState === 'running'
      || /\\*/.test((c.node.querySelector('.jp-InputPrompt') || {}).textContent || '')),
    errors: cells.flatMap(c => c.model.outputs.toJSON()
      .filter(o => o.output_type === 'error')
      .map(o => [o.ename + ': ' + o.evalue, ...(o.traceback || [])].join('\\n'))),
  };
}"""
)


class NotebookError(AssertionError):
    """A cell of a test notebook raised: the kernel's traceback is in the message."""


@dataclass
class Notebook:
    page: Page
    path: str

    def open(self, lab: JupyterLab, timeout: int = 60_000) -> Notebook:
        # ?reset: a fresh workspace, so no notebook of an earlier test is reopened.
        self.page.goto(lab.url(f"/lab/tree/{self.path}", reset=""), timeout=timeout)
        self.page.wait_for_selector(".jp-Notebook", timeout=timeout)
        # More room for the notebook in screenshots: fold the file browser away.
        self.page.evaluate("() => { window.jupyterapp.shell.collapseLeft(); }")
        self.wait_idle(timeout)
        return self

    def state(self) -> dict[str, Any]:
        return self.page.evaluate(_STATE_JS, self.path)  # type: ignore[no-any-return]

    def wait_idle(self, timeout: int = TIMEOUT_MS) -> None:
        """A real kernel, connected and idle: the status bar says '| Idle' (the toolbar
        indicator says idle before any kernel exists)."""
        self._poll(lambda s: s["idle"], "kernel idle", timeout)

    def _poll(self, done: Any, what: str, timeout: int) -> dict[str, Any]:
        deadline = time.monotonic() + timeout / 1000
        while True:
            st = self.state()
            if done(st):
                return st
            if time.monotonic() > deadline:
                raise TimeoutError(f"waiting for {what}: {st}")
            # Sync Playwright dispatches events only inside its own calls: wait through it.
            self.page.wait_for_timeout(100)

    def _check_errors(self, st: dict[str, Any]) -> None:
        if st["errors"]:
            raise NotebookError("a notebook cell raised:\n" + _ANSI.sub("", "\n\n".join(st["errors"])))

    def run_all(self, timeout: int = 60_000) -> None:
        """Run All Cells, wait for every cell to finish; raise NotebookError if one raised."""
        self.page.evaluate(
            "(path) => {" + _PANEL + "app.shell.activateById(panel.id);"
            # not awaited: the command's promise can outlive a lost 'idle' message
            " app.commands.execute('notebook:run-all-cells'); }",
            self.path,
        )
        st = self._poll(
            lambda s: s["idle"] and not s["running"] and (s["errors"] or all(c for c in s["counts"])),
            "all cells executed",
            timeout,
        )
        self._check_errors(st)

    def add_and_run(self, code: str, timeout: int = TIMEOUT_MS) -> str:
        """Append a code cell with `code`, run it, wait for it; returns its text output."""
        n = self.add_and_start(code)
        st = self._poll(
            lambda s: len(s["counts"]) > n and s["counts"][n] is not None and s["idle"] and not s["running"],
            "the added cell to run",
            timeout,
        )
        self._check_errors(st)
        return self.cell_text(n)

    def wait_done(self, timeout: int = TIMEOUT_MS) -> None:
        """Wait until no cell runs and the kernel is idle; raise NotebookError if a cell raised."""
        st = self._poll(lambda s: s["idle"] and not s["running"], "the cells to finish", timeout)
        self._check_errors(st)

    def wait_busy(self, timeout: int = TIMEOUT_MS) -> None:
        """Wait until a cell runs (one started with add_and_start) and the kernel says busy."""
        self._poll(lambda s: s["running"] and not s["idle"], "a cell to run", timeout)

    def add_and_start(self, code: str) -> int:
        """Append a code cell with `code` and start it without waiting (the kernel stays busy
        while it runs); returns its index among the code cells."""
        n = len(self.state()["counts"])
        self.page.evaluate(
            "([path, code]) => {"
            + _PANEL
            + """
            app.shell.activateById(panel.id);
            nb.activeCellIndex = nb.widgets.length - 1;
            app.commands.execute('notebook:insert-cell-below').then(() => {
              nb.activeCell.model.sharedModel.setSource(code);
              app.commands.execute('notebook:run-cell');
            });
            }""",
            [self.path, code],
        )
        return n

    def output_mimes(self, cell_index: int) -> list[list[str]]:
        """The mime types of each output of the n-th cell, as the notebook's model holds them."""
        return self.page.evaluate(  # type: ignore[no-any-return]
            "([path, n]) => {" + _PANEL + "const outputs = nb.widgets[n].model.outputs;"
            " return [...Array(outputs.length).keys()].map(i => Object.keys(outputs.get(i).data)); }",
            [self.path, cell_index],
        )

    def outputs_size(self, cell_index: int) -> int:
        """Characters in all outputs of the n-th cell, as the notebook's model holds them: it
        changes when an output is added or updated, shown or not."""
        size = self.page.evaluate(
            "([path, n]) => {" + _PANEL + "const outputs = nb.widgets[n].model.outputs;"
            " let size = 0; for (let i = 0; i < outputs.length; i++)"
            " for (const v of Object.values(outputs.get(i).data)) size +="
            # Texts by their length: serializing megabytes on every poll would load the page
            # being measured (and its garbage collector) more than what is measured.
            " typeof v === 'string' ? v.length : Array.isArray(v) && v.every(x => typeof x === 'string')"
            " ? v.reduce((n, x) => n + x.length, 0) : JSON.stringify(v).length;"
            " return size; }",
            [self.path, cell_index],
        )
        return int(size)

    def cell_text(self, code_index: int) -> str:
        """Text (stream and text/plain) outputs of the n-th code cell."""
        return self.page.evaluate(  # type: ignore[no-any-return]
            "([path, i]) => {"
            + _PANEL
            + """
            const cell = nb.widgets.filter(c => c.model.type === 'code')[i];
            return cell.model.outputs.toJSON().map(o => o.text
              ? [].concat(o.text).join('') : [].concat((o.data || {})['text/plain'] || []).join('')).join('');
            }""",
            [self.path, code_index],
        )

    def send_custom(self, root_selector: str, contents: list[Any] | str, index: int = 0) -> int:
        """Send custom messages to the widget model behind the `index`-th `root_selector`
        view, through the page's own comm (what a hostile page script could do).

        `contents` is a list of JSON values, or a JavaScript expression producing that list
        (for payloads too large or too deep to pass through Playwright)."""
        expr = contents if isinstance(contents, str) else json.dumps(contents)
        return self.page.evaluate(  # type: ignore[no-any-return]
            "([path, sel, index]) => {"
            + _PANEL
            + """
            const views = [];
            const walk = (w) => {
              const shows = w.node.matches(sel) || w.node.querySelector(sel);
              if (w._view && w._view.model && shows) views.push(w._view);
              if (typeof w.children === 'function') for (const k of w.children()) walk(k);
            };
            walk(nb);
            const view = views[index];
            if (!view) throw new Error('no widget view with ' + sel);
            const payloads = ("""
            + expr
            + """);
            for (const p of payloads) view.model.send(p);
            return payloads.length;
            }""",
            [self.path, root_selector, index],
        )


#: The `notebook` fixture: notebook(cells) -> an opened Notebook.
MakeNotebook = Callable[[list[str]], Notebook]


# ------------------------------------------------------------------------------- page
@dataclass
class PageEvents:
    """What the page did besides rendering: dialogs (alert/confirm/prompt), popups, console
    output, uncaught errors, and kernel websocket frames that carried traceback text."""

    dialogs: list[str] = field(default_factory=list)
    popups: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    tracebacks: list[str] = field(default_factory=list)

    def on_frame(self, payload: str | bytes) -> None:
        """A frame the page received on a websocket: keep an excerpt of any traceback."""
        data = payload if isinstance(payload, bytes) else payload.encode(errors="replace")
        at = data.find(TRACEBACK)
        if at >= 0:
            text = data[at : at + 6000].decode(errors="replace")
            self.tracebacks.append(re.sub(r"\\u001b\[[0-9;]*m", "", text))  # JSON-escaped ANSI colours


# ------------------------------------------------------------------------------- chat
@dataclass
class Chat:
    """One rendered chat view (`.cw-root`); selectors follow docs/frontend-contract.md."""

    root: Locator

    @classmethod
    def find(cls, page: Page, index: int = 0, timeout: int = TIMEOUT_MS) -> Chat:
        root = page.locator(".cw-root").nth(index)
        root.wait_for(state="visible", timeout=timeout)
        chat = cls(root)
        expect(chat.input).to_be_enabled(timeout=timeout)
        return chat

    @property
    def input(self) -> Locator:
        return self.root.locator("textarea.cw-input")

    @property
    def messages(self) -> Locator:
        return self.root.locator(".cw-message")

    def assistant(self) -> Locator:
        return self.root.locator(".cw-message.cw-assistant")

    def send(self, text: str) -> None:
        """Type a message and press Enter, like a user."""
        self.input.click()
        self.input.fill(text)
        self.input.press("Enter")

    def wait_idle(self, timeout: int = TIMEOUT_MS) -> None:
        expect(self.root).to_have_attribute("data-running", "false", timeout=timeout)

    def texts(self) -> list[str]:
        # textContent: messages out of view are not laid out (content-visibility), so their
        # innerText is empty.
        return [t.strip() for t in self.root.locator(".cw-message .cw-content").all_text_contents()]
