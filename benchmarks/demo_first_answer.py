"""From ``scripts/demo.sh`` to a first answer, as a newcomer goes: start the script, open the
URL it prints, get to the notebook, run it, type a message, read the answer.

    .venv/bin/python benchmarks/demo_first_answer.py [--runs 3] [--message "hello"] [--peer DIR]

``--peer DIR``: another checkout (set up with its own ``scripts/setup.sh``, e.g. a ``git
archive`` of main) measured in the same run, its runs interleaved with this tree's, and the
ratio of the medians printed: the machine's load moves both alike.

Each run starts ``scripts/demo.sh`` afresh (throw-away Jupyter config, data and workspace
directories, a free loopback port, so no earlier run's state helps) and headless Chromium.
Measured, per run:

* script → URL: from starting ``demo.sh`` to the line with ``?token=`` (setup included);
* URL → notebook: from ``page.goto(url)`` to the quickstart notebook shown; when the URL
  opens the Launcher instead, the file browser is used as a user would (double-click
  ``quickstart.ipynb``, in ``examples`` if that is listed), and that counts;
* → kernel idle, → cells run (Run All, every cell finished), → first answer: typed into the
  chat and Enter, until the offline model's answer to it is on the page ("You said: <msg>").

The total is URL → first answer. Prints min / median / max over the runs, the load
average, and one JSON line (also ``benchmarks/results/demo_first_answer.json``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import REPO, environment, table, write_result
from labdriver import CHROMIUM, CHROMIUM_ARGS, JupyterLab, free_port
from playwright.sync_api import Page, sync_playwright

NOTEBOOK = "quickstart.ipynb"
URL = re.compile(r"(http://127\.0\.0\.1:\d+/\S*\?token=\w+)")
STAGES = ("script_to_url", "url_to_notebook", "to_kernel_idle", "to_cells_run", "url_to_first_answer")


def start_demo(
    repo: Path, home: Path, port: int, log_path: Path
) -> tuple[subprocess.Popen[bytes], str, float]:
    """Run ``repo``'s demo.sh; returns the process, the URL it printed and the seconds it took."""
    env = JupyterLab(root=home, home=home, log_path=log_path).env()  # isolated Jupyter dirs
    env["PORT"] = str(port)
    t0 = time.monotonic()
    log = open(log_path, "wb")  # noqa: SIM115 - stays open while the server writes
    proc = subprocess.Popen(
        ["bash", str(repo / "scripts" / "demo.sh"), "--LabApp.expose_app_in_browser=True"],
        cwd=repo,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = t0 + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"demo.sh exited with {proc.returncode}; see {log_path}")
        found = URL.findall(log_path.read_text(errors="replace"))
        if found:
            return proc, found[0], time.monotonic() - t0
        time.sleep(0.05)
    raise TimeoutError(f"demo.sh printed no URL; see {log_path}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


NOTEBOOK_SHOWN = """(name) => {
  const app = window.jupyterapp;
  if (!app) return false;
  const w = [...app.shell.widgets('main')].find(w => w.context && w.context.path.endsWith(name));
  return !!w && w.isVisible && !!w.node.querySelector('.jp-Notebook');
}"""

STATE = """(name) => {
  const app = window.jupyterapp;
  const panel = [...app.shell.widgets('main')].find(w => w.context && w.context.path.endsWith(name));
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const bar = [...document.querySelectorAll('.jp-StatusBar-Widget')].map(e => e.textContent).join(' ');
  const cells = panel.content.widgets.filter(c => c.model.type === 'code');
  return {
    idle: /\\| Idle/.test(bar) && !!kernel && kernel.status === 'idle',
    done: cells.every(c => c.model.executionCount !== null && c.model.executionState !== 'running'),
  };
}"""

IDLE_CHAT = "() => { const r = document.querySelector('.cw-root'); return r?.dataset.running === 'false'; }"
ANSWERED = """(m) => [...document.querySelectorAll('.cw-root .cw-message')]
  .some(e => e.textContent.includes('You said: ' + m))"""


def poll(page: Page, script: str, arg: Any, done: Any, what: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not done(page.evaluate(script, arg)):
        if time.monotonic() > deadline:
            raise TimeoutError(f"waiting for {what}")
        page.wait_for_timeout(50)


def one_run(repo: Path, browser: Any, message: str, results: Path) -> dict[str, float]:
    home = Path(tempfile.mkdtemp(prefix="cw-bench-demo-"))
    example = repo / "examples" / NOTEBOOK
    saved = example.read_bytes()  # demo.sh serves the tree: the run must leave it as it was
    proc, url, script_s = start_demo(repo, home, free_port(), results / "demo_first_answer-lab.log")
    context = browser.new_context(viewport={"width": 1280, "height": 960})
    context.set_default_timeout(120_000)
    page = context.new_page()
    try:
        t0 = time.monotonic()
        page.goto(url)
        # The Launcher or the notebook: whichever the URL opens first.
        page.wait_for_selector(".jp-Launcher, .jp-Notebook", timeout=120_000)
        if not page.evaluate(NOTEBOOK_SHOWN, NOTEBOOK):
            folder = page.locator(".jp-DirListing-item", has_text="examples")
            if folder.count():  # served from the repository rather than from examples/
                folder.first.dblclick()
            page.locator(".jp-DirListing-item", has_text=NOTEBOOK).first.dblclick()
        poll(page, NOTEBOOK_SHOWN, NOTEBOOK, bool, "the notebook")
        t_notebook = time.monotonic()
        poll(page, STATE, NOTEBOOK, lambda s: s["idle"], "kernel idle")
        t_idle = time.monotonic()
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_timeout(200)
        poll(page, STATE, NOTEBOOK, lambda s: s["idle"] and s["done"], "every cell run")
        t_run = time.monotonic()
        root = page.locator(".cw-root").first
        page.wait_for_function(IDLE_CHAT)
        box = root.locator("textarea.cw-input")
        box.click()
        box.fill(message)
        box.press("Enter")
        page.wait_for_function(ANSWERED, arg=message, timeout=120_000)
        t_answer = time.monotonic()
        return {
            "script_to_url": script_s,
            "url_to_notebook": t_notebook - t0,
            "to_kernel_idle": t_idle - t0,
            "to_cells_run": t_run - t0,
            "url_to_first_answer": t_answer - t0,
        }
    finally:
        with contextlib.suppress(Exception):
            page.screenshot(path=str(results / "demo_first_answer.png"))
        context.close()
        stop(proc)
        example.write_bytes(saved)
        shutil.rmtree(home, ignore_errors=True)


def spread(values: list[float]) -> str:
    v = sorted(values)
    return f"{v[0]:.2f} / {statistics.median(v):.2f} / {v[-1]:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--message", default="hello from the benchmark")
    parser.add_argument("--peer", type=Path, help="another checkout, measured in the same run")
    args = parser.parse_args()
    results = REPO / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    trees = {"this tree": REPO, **({"peer": args.peer.resolve()} if args.peer else {})}
    load_before = os.getloadavg()
    runs: dict[str, list[dict[str, float]]] = {label: [] for label in trees}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for i in range(args.runs):
                for label, repo in trees.items():  # interleaved: both see the same load
                    runs[label].append(one_run(repo, browser, args.message, results))
                    figures = ", ".join(f"{k} {v:.2f} s" for k, v in runs[label][-1].items())
                    print(f"{label}, run {i + 1}: {figures}", file=sys.stderr)
        finally:
            browser.close()
    load_after = os.getloadavg()
    median = {label: {s: statistics.median(r[s] for r in rs) for s in STAGES} for label, rs in runs.items()}
    for label, rs in runs.items():
        rows = [(stage.replace("_", " "), spread([r[stage] for r in rs]), "") for stage in STAGES]
        if "peer" in median and label == "this tree":
            rows = [
                (name, f"{value} ({median[label][stage] / median['peer'][stage]:.2f}x peer)", "")
                for (name, value, _), stage in zip(rows, STAGES, strict=True)
            ]
        print(f"{label}: {trees[label]}")
        print(table(rows))
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (1 min)")
    result = {
        **environment(),
        "trees": {label: str(path) for label, path in trees.items()},
        "runs": runs,
        "load": [load_before, load_after],
        "median": median,
    }
    print(write_result("demo_first_answer", result))


if __name__ == "__main__":
    main()
