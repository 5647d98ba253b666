"""Resume benchmark: a 5,000-step thread resumed from the thread list in a real JupyterLab.

    .venv/bin/python benchmarks/resume.py [--steps 5000] [--runs 3]

The kernel writes a conversation of ``--steps`` steps (1,250 turns of user message, run
step, tool step inside it, answer: ``storage_peer.thread_steps``) into a fresh SQLite file,
owned by the kernel's user, and displays an app on that file. The page opens the thread
list and clicks the thread; measured in the page, from the click to the thread's newest
message painted (its content in the DOM, then the next animation frame). Between runs the
chat moves to a new, empty thread ("New chat"), so each run resumes from scratch. Also:
the kernel websocket bytes each resume brings, and the main thread's long tasks meanwhile.

Prints a table and one JSON line (also benchmarks/results/resume.json).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from _common import REPO, environment, kernel_json, session, table, write_result
from labdriver import Chat, Notebook, write_notebook

SETUP = """
import asyncio, json, sys, tempfile, time
sys.path.insert(0, {bench!r})
import chatwidget as cw
from chatwidget.data import User
from chatwidget.data.sql import SQLDataLayer
from chatwidget.identity import local_owner
from storage_peer import thread_steps

_db = tempfile.mkdtemp() + "/resume.db"
layer = SQLDataLayer("sqlite+aiosqlite:///" + _db)
_user = await layer.create_user(User(local_owner()))
_steps = thread_steps("long", {steps})
app = cw.ChatApp(title="Resume benchmark", data_layer=layer)
await layer.update_thread(  # made in this app: its thread list shows it
    "long", name="A long conversation", user_id=_user.id, metadata={{"app": app.name}}, create=True
)
for _i in range(0, len(_steps), 500):
    await layer.write_steps(_steps[_i : _i + 500])

@app.on_message
async def _reply(message):
    await cw.Message("ok: " + message.content).send()

app.display()
print(json.dumps({{"newest": _steps[-1]["id"], "steps": len(_steps)}}))
"""

#: Click the thread's row; resolves with ms from the click to its newest message painted.
RESUME_JS = """(newest) => new Promise((resolve, reject) => {
  const root = document.querySelector('.cw-root');
  const row = [...root.querySelectorAll('.cw-thread')]
    .find((r) => r.textContent.includes('A long conversation'));
  if (!row) { reject(new Error('thread row not found')); return; }
  const painted = () => {
    const m = root.querySelector(`.cw-message[data-step-id="${newest}"] .cw-content`);
    return !!m && (m.textContent || '').trim().length > 0;
  };
  let t0 = 0;
  const obs = new MutationObserver(() => {
    if (!painted()) return;
    obs.disconnect();
    requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - t0), 0));
  });
  obs.observe(root, {subtree: true, childList: true, characterData: true});
  t0 = performance.now();
  row.querySelector('button.cw-thread-name').click();
})"""

LONGTASKS_JS = """() => {
  window.__lt = [];
  new PerformanceObserver((l) => {
    for (const e of l.getEntries()) window.__lt.push(e.duration);
  }).observe({type: 'longtask'});
}"""


def log(text: str) -> None:
    print(f"[{time.monotonic() - T0:6.1f} s] {text}", file=sys.stderr, flush=True)


def min_med_max(values: list[float]) -> list[float]:
    ordered = sorted(values)
    return [ordered[0], ordered[len(ordered) // 2], ordered[-1]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    result: dict[str, Any] = {"benchmark": "resume", "steps": args.steps, **environment()}
    clicks, sizes, longest = [], [], []
    with session("resume") as s:
        page = s.page
        setup = SETUP.format(bench=str(REPO / "benchmarks"), steps=args.steps)
        path = write_notebook(s.lab.root, "resume", [setup])
        nb = Notebook(page, path).open(s.lab, timeout=90_000)
        nb.run_all(timeout=180_000)
        newest = kernel_json(nb.cell_text(0))["newest"]
        chat = Chat.find(page)
        page.evaluate(LONGTASKS_JS)
        for run in range(args.runs):
            chat.root.locator("button.cw-threads-button").click()
            chat.root.locator(".cw-thread", has_text="A long conversation").wait_for()
            page.wait_for_timeout(300)
            mark, tasks = s.tap.mark(), page.evaluate("() => window.__lt.length")
            clicks.append(round(page.evaluate(RESUME_JS, newest), 1))
            page.wait_for_timeout(1500)  # what arrives after the paint (older pages) counts too
            sizes.append(sum(f.size for f in s.tap.since(mark)))
            longest.append(round(max(page.evaluate("(n) => window.__lt.slice(n)", tasks) or [0]), 1))
            log(f"run {run + 1}: {clicks[-1]} ms, {sizes[-1]:,} B, longest task {longest[-1]} ms")
            chat.root.locator("button.cw-new-chat").click()
            page.wait_for_timeout(800)
    result.update(click_to_painted_ms=clicks, ws_bytes=sizes, longest_task_ms=longest)
    c, b, t = min_med_max(clicks), min_med_max(sizes), min_med_max(longest)
    rows = [
        (
            f"resume {args.steps:,} steps: click -> newest painted",
            f"{c[0]} / {c[1]} / {c[2]} ms",
            "<= 100 ms",
        ),
        ("  websocket bytes of the resume", f"{b[0]:,} / {b[1]:,} / {b[2]:,} B", ""),
        ("  longest main-thread task", f"{t[0]} / {t[1]} / {t[2]} ms", "<= 50 ms"),
    ]
    print(table(rows))
    print(write_result("resume", result))


T0 = time.monotonic()

if __name__ == "__main__":
    main()
