"""History benchmark: a displayed conversation of 10,000 messages in a real JupyterLab page.

    .venv/bin/python benchmarks/history.py [--turns 3] [--sizes 100,1000,10000]

The kernel builds a conversation (alternating user/assistant, 200-500 characters of
markdown each, every fifth assistant message with a code block) in a displayed app.
Measured:

* bytes sent to append one more message when the history holds 100, 1,000 and 10,000
  messages: the JSON of the comm messages the app sends (wrapping `app.widget._send` in the
  kernel) and the kernel-websocket frames of type comm_msg the page receives (Jupyter's
  envelope included);
* a typed turn at 0, 100, 1,000 and 10,000 messages: a message typed into the composer
  and Enter, to the handler's short reply painted (performance.now() at the keydown, next
  animation frame after the reply is in the DOM), and every kernel-websocket byte the page
  receives from Enter until 2 s after the reply (the saved-notebook copy is refreshed at
  most once a second after an answer, so its bytes are counted); three turns each,
  min/median/max;
* a new view: a new cell runs `app.display()`; from the run command in the page to the
  new view's composer enabled and its newest message rendered (performance.now());
* a page reload of the saved notebook, from navigation start to the big chat's view being
  interactive, next to a one-message chat in the same notebook (the baseline: what the
  reload costs anyway).

Prints a table and one JSON line (also benchmarks/results/history.json).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

from _common import RESULTS, environment, kernel_json, session, table, write_result
from labdriver import _PANEL, Chat, Notebook, write_notebook

SIZES: tuple[int, ...] = (100, 1_000, 10_000)
TURNS = 3

#: Enter in the first chat's composer (already filled) to the reply containing `marker` painted.
TURN_JS = """(marker) => new Promise((resolve) => {
  const root = document.querySelectorAll('.cw-root')[1];
  const input = root.querySelector('textarea.cw-input');
  let t0 = 0;
  const seen = () => Array.from(root.querySelectorAll('.cw-message.cw-assistant'))
    .some((m) => m.textContent.includes('ok: ' + marker));
  const obs = new MutationObserver(() => {
    if (!seen()) return;
    obs.disconnect();
    requestAnimationFrame(() => resolve(performance.now() - t0));
  });
  obs.observe(root, {subtree: true, childList: true, characterData: true});
  t0 = performance.now();
  input.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', code: 'Enter', bubbles: true}));
})"""

VIEWS = """
import asyncio, json, random, time
import chatwidget as cw

small = cw.ChatApp(title="One message (reload baseline)")
_hello = cw.Message("Hello from a small chat.")
_hello.bind(small.chat)
await _hello.send()
small.display()

app = cw.ChatApp(title="History benchmark")

@app.on_message
async def _reply(message):
    await cw.Message("ok: " + message.content).send()

SENT = []  # JSON bytes of every comm message the app sends
_send = app.widget._send
def _counting_send(msg, buffers=None):
    SENT.append(len(json.dumps(msg, separators=(",", ":"))))
    return _send(msg, buffers=buffers)
app.widget._send = _counting_send
app.display()
"""

SETUP = """
import asyncio, json, random, time
import chatwidget as cw

WORDS = ("the of and to in is you that it was for on are as with they at be this have from "
         "or one had by word but not what all were we when your can said there use each which "
         "how their if will up other about out many then them these some would make like into "
         "time has look two more write see number way could people than first been call who "
         "find long down day did get come made part kernel widget render stream model").split()

def make_content(i):
    rnd = random.Random(i)
    def sentence(k):
        w = [rnd.choice(WORDS) for _ in range(k)]
        if rnd.random() < 0.3:
            j = rnd.randrange(k)
            w[j] = f"**{w[j]}**"
        if rnd.random() < 0.3:
            j = rnd.randrange(k)
            w[j] = f"`{w[j]}()`"
        return " ".join(w).capitalize() + "."
    def prose(least):
        out = []
        while sum(map(len, out)) < least:
            out.append(sentence(rnd.randint(8, 14)))
        return " ".join(out)
    if i % 2 == 0:  # the user: a question of 200-300 characters
        return prose(rnd.randint(180, 260)) + "?"
    parts = [prose(rnd.randint(120, 220))]
    if i % 10 == 1:
        parts.append("```python\\ndef f(x):\\n    return x * %d\\n```" % i)
    elif i % 4 == 3:
        parts.append("\\n".join(f"- {sentence(4)}" for _ in range(3)))
    parts.append(prose(rnd.randint(40, 120)))
    return "\\n\\n".join(parts)


COUNT = 0

async def grow(to):
    global COUNT
    while COUNT < to:
        kind = "user_message" if COUNT % 2 == 0 else "assistant_message"
        await cw.Message(make_content(COUNT), type=kind).bind(app.chat).send()
        COUNT += 1
        if COUNT % 500 == 0:
            await asyncio.sleep(0)
    await asyncio.sleep(0.1)
    app.flush()

"""

APPEND = """
await grow({n})
await asyncio.sleep(0.5)
_k = len(SENT)
_m = cw.Message(make_content(2 * COUNT + 1)).bind(app.chat)  # an assistant-style message
await _m.send()
COUNT += 1
await asyncio.sleep(0.2)
app.flush()
print(json.dumps({{"history": {n}, "messages": len(SENT) - _k, "bytes": sum(SENT[_k:]), "id": _m.id,
                  "chars": len(_m.content)}}))
"""

LONGTASKS_JS = """() => {
  window.__lt = [];
  new PerformanceObserver((l) => {
    for (const e of l.getEntries()) window.__lt.push([e.startTime, e.duration]);
  })
    .observe({type: 'longtask'});
}"""

SNAPSHOT = """
_t = time.perf_counter()
_state = app.widget.get_state()
_t1 = time.perf_counter()
_size = len(json.dumps(_state, separators=(",", ":")))
_chars = [len(m.content) for m in app.messages]
print(json.dumps({"get_state_s": _t1 - _t, "state_json_bytes": _size, "messages": len(_chars),
                  "newest": app.messages[-1].id, "small_newest": small.messages[-1].id,
                  "mean_chars": sum(_chars) / len(_chars),
                  "code_blocks": sum("```" in m.content for m in app.messages)}))
"""


# The condition "interactive": composer enabled (textarea and send button) and the newest
# message rendered (its content has text), in the root of the given instance or index.
READY_FN = """
const ready = (root, newest) => {
  if (!root) return false;
  const input = root.querySelector('textarea.cw-input');
  const send = root.querySelector('button.cw-send');
  if (!input || input.disabled || !send || send.disabled) return false;
  const m = root.querySelector(`.cw-message[data-step-id="${newest}"] .cw-content`);
  return !!m && (m.textContent || '').trim().length > 0;
};
"""

NEW_VIEW_JS = (
    "([path, code, newest]) => {"
    + _PANEL
    + READY_FN
    + """
  const R = window.__nv = {t0: null, ready: null, before: document.querySelectorAll('.cw-root').length};
  const tick = () => {
    const roots = document.querySelectorAll('.cw-root');
    if (roots.length > R.before && ready(roots[roots.length - 1], newest)) {
      R.ready = performance.now();
      return;
    }
    requestAnimationFrame(tick);
  };
  app.shell.activateById(panel.id);
  nb.activeCellIndex = nb.widgets.length - 1;
  app.commands.execute('notebook:insert-cell-below').then(() => {
    nb.activeCell.model.sharedModel.setSource(code);
    R.t0 = performance.now();
    app.commands.execute('notebook:run-cell');
    requestAnimationFrame(tick);
  });
}"""
)

RELOAD_INIT_JS = (
    "(() => {\nconst big = %s, small = %s;\n"
    + READY_FN
    + """
  const R = window.__rl = {big: null, small: null, cells: null, firstRoot: null};
  const tick = () => {
    if (R.cells === null && document.querySelector('.jp-Notebook .jp-Cell')) R.cells = performance.now();
    const roots = document.querySelectorAll('.cw-root');
    if (R.firstRoot === null && roots.length) R.firstRoot = performance.now();
    for (const root of roots) {
      if (R.big === null && ready(root, big)) R.big = performance.now();
      if (R.small === null && ready(root, small)) R.small = performance.now();
    }
    if (R.big === null || R.small === null) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();"""
)


T0 = time.monotonic()


def log(text: str) -> None:
    print(f"[{time.monotonic() - T0:6.1f} s] {text}", file=sys.stderr, flush=True)


RELOAD_STATUS_JS = """() => [...document.querySelectorAll('.cw-root')].map((root) => ({
  messages: root.querySelectorAll('.cw-message').length,
  input: !!root.querySelector('textarea.cw-input'),
  sendDisabled: (root.querySelector('button.cw-send') || {}).disabled,
  title: (root.querySelector('.cw-title') || {}).textContent,
  text: root.innerText.slice(0, 200),
}))"""


def wait_js(page: Any, expr: str, timeout_s: float) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = page.evaluate(expr)
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"waiting for {expr}")
        page.wait_for_timeout(100)


def new_views(page: Any, path: str, newest: str, runs: int = 3) -> list[float]:
    """A new cell runs app.display(): seconds from the run command to the view interactive."""
    out = []
    for _ in range(runs):
        page.evaluate(NEW_VIEW_JS, [path, "app.display()", newest])
        r = wait_js(page, "() => window.__nv.ready !== null && window.__nv", 60)
        out.append(round((r["ready"] - r["t0"]) / 1000, 3))
        Notebook(page, path).wait_idle()
        page.wait_for_timeout(500)
    return out


def typed_turns(s: Any, history: int) -> dict[str, Any]:
    """TURNS typed messages into the big chat: Enter -> reply painted, and the bytes of each turn."""
    page = s.page
    big = page.locator(".cw-root").nth(1)
    times, sizes, loads = [], [], []
    for i in range(TURNS):
        marker = f"turn{history}x{i}"
        box = big.locator("textarea.cw-input")
        box.click()
        box.fill(marker)
        mark = s.tap.mark()
        loads.append(os.getloadavg()[0])
        times.append(page.evaluate(TURN_JS, marker))
        page.wait_for_timeout(2000)
        sizes.append(sum(f.size for f in s.tap.since(mark)))
        expect_idle = "() => document.querySelectorAll('.cw-root')[1].dataset.running === 'false'"
        wait_js(page, expect_idle, 30)
    times.sort()
    sizes.sort()
    return {
        "history": history,
        "enter_to_reply_ms": [round(t, 1) for t in times],
        "ws_bytes": sizes,
        "load_1min": [round(x, 2) for x in loads],
    }


def main() -> None:
    global SIZES, TURNS
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--turns", type=int, default=TURNS, help="typed turns per history size (default 3)")
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)), help="history sizes, ascending")
    args = ap.parse_args()
    TURNS = args.turns
    SIZES = tuple(int(n) for n in args.sizes.split(","))
    t_start = time.monotonic()
    result: dict[str, Any] = {"benchmark": "history", **environment()}
    with session("history") as s:
        page = s.page
        path = write_notebook(s.lab.root, "history", [VIEWS, SETUP])
        nb = Notebook(page, path).open(s.lab, timeout=90_000)
        nb.run_all(timeout=90_000)
        Chat.find(page)

        page.evaluate(LONGTASKS_JS)
        appends = []
        turns = [typed_turns(s, 0)]
        for n in SIZES:
            log(f"history {n:,}: growing and appending")
            mark = s.tap.mark()
            out = kernel_json(nb.add_and_run(APPEND.format(n=n), timeout=180_000))
            # The append's own comm messages come after the growth's: the last comm_msg frames.
            frames = [f for f in s.tap.since(mark) if f.info[1] == "comm_msg"]
            mine = frames[-out["messages"] :] if out["messages"] else []
            # The new message is rendered in the view (the newest PAGE are).
            wait_js(
                page,
                f"() => !!document.querySelector('.cw-message[data-step-id=\"{out['id']}\"] .cw-content')",
                60,
            )
            appends.append(
                {
                    "history": n,
                    "comm_messages": out["messages"],
                    "comm_json_bytes": out["bytes"],
                    "ws_comm_msg_bytes": sum(f.size for f in mine),
                    "content_chars": out["chars"],
                }
            )
            log(f"history {n:,}: typed turns")
            turns.append(typed_turns(s, n))
        result["append"] = appends
        result["typed_turn"] = turns
        lt = page.evaluate("() => window.__lt")
        result["growth_longtask_ms_total"] = round(sum(d for _, d in lt))
        result["growth_longtask_ms_max"] = round(max((d for _, d in lt), default=0))

        snap = kernel_json(nb.add_and_run(SNAPSHOT))
        result["snapshot"] = {
            "messages": snap["messages"],
            "kernel_get_state_s": round(snap["get_state_s"], 3),
            "state_json_bytes": snap["state_json_bytes"],
            "mean_chars": round(snap["mean_chars"]),
            "code_blocks": snap["code_blocks"],
        }
        newest = snap["newest"]
        small_newest = snap["small_newest"]
        page.wait_for_timeout(1000)

        log("new views")
        result["first_view_rendered_messages"] = page.evaluate(
            "() => document.querySelectorAll('.cw-root')[1].querySelectorAll('.cw-message').length"
        )
        result["new_view_runs_s"] = new_views(page, path, newest)
        result["new_view_s"] = sorted(result["new_view_runs_s"])[1]
        page.locator(".cw-root").last.scroll_into_view_if_needed()
        page.screenshot(path=str(RESULTS / "history-new-view.png"))

        # Save (outputs reference the live widgets), then reload the page.
        page.evaluate(
            "(path) => {" + _PANEL + "return panel.context.save(); }",
            path,
        )
        page.context.add_init_script(RELOAD_INIT_JS % (repr(newest), repr(small_newest)))
        log("reload")
        page.reload()
        try:
            r = wait_js(
                page,
                "() => window.__rl && window.__rl.big !== null && window.__rl.small !== null && window.__rl",
                90,
            )
        except TimeoutError:  # report how far it got
            r = page.evaluate("() => window.__rl")
            r["views"] = page.evaluate(RELOAD_STATUS_JS)
            result["reload_timed_out"] = r
            log(f"reload: not interactive after 90 s: {r}")
            r = {k: (v if v is not None else float("nan")) for k, v in r.items()}
        nav = page.evaluate(
            "() => { const n = performance.getEntriesByType('navigation')[0];"
            " return {domContentLoaded: n.domContentLoadedEventEnd, load: n.loadEventEnd}; }"
        )
        result["reload"] = {
            "big_interactive_s": round(r["big"] / 1000, 3),
            "small_interactive_s": round(r["small"] / 1000, 3),
            "big_minus_small_s": round((r["big"] - r["small"]) / 1000, 3),
            "dom_content_loaded_s": round(nav["domContentLoaded"] / 1000, 3),
            "notebook_cells_s": round(r["cells"] / 1000, 3),
            "first_chat_view_s": round(r["firstRoot"] / 1000, 3),
        }
        page.wait_for_timeout(500)
        page.screenshot(path=str(RESULTS / "history-reload.png"))
        log("new views after the reload")
        Notebook(page, path).wait_idle(60_000)
        result["new_view_after_reload_runs_s"] = new_views(page, path, newest)
        result["new_view_after_reload_s"] = sorted(result["new_view_after_reload_runs_s"])[1]
    result["wall_s"] = round(time.monotonic() - t_start, 1)

    rows: list[tuple[str, str, str]] = []
    for a in appends:
        rows.append(
            (
                f"append 1 message to {a['history']:,} (kernel JSON / websocket)",
                f"{a['comm_json_bytes']:,} B / {a['ws_comm_msg_bytes']:,} B in {a['comm_messages']} msg",
                "<= 4 KB",
            )
        )
    empty = turns[0]["enter_to_reply_ms"][TURNS // 2]
    for t in turns:
        ms, b = t["enter_to_reply_ms"], t["ws_bytes"]
        rows.append(
            (
                f"typed turn at {t['history']:,} messages: Enter -> reply painted (min/median/max)",
                f"{ms[0]} / {ms[TURNS // 2]} / {ms[-1]} ms ({ms[TURNS // 2] / empty:.2f}x empty)",
                "<= 1.5x empty",
            )
        )
        mid = b[TURNS // 2]
        rows.append(("  websocket bytes of that turn (min/med/max)", f"{b[0]:,} / {mid:,} / {b[-1]:,} B", ""))
        rows.append(("  load average (1 min) at each turn", ", ".join(map(str, t["load_1min"])), ""))
    sn = result["snapshot"]
    rl = result["reload"]
    nv, nva = result["new_view_runs_s"], result["new_view_after_reload_runs_s"]
    rows += [
        (
            "mean characters per message (code blocks)",
            f"{sn['mean_chars']:.0f} ({sn['code_blocks']})",
            "200-500",
        ),
        ("new view of 10,000 messages interactive (median of 3)", f"{result['new_view_s']} s", "<= 1 s"),
        ("  runs", ", ".join(f"{x} s" for x in nv), ""),
        ("  messages rendered in the first (live) view", f"{result['first_view_rendered_messages']:,}", ""),
        (
            "  page long tasks while the history grew",
            f"{result['growth_longtask_ms_total'] / 1000:.1f} s (max {result['growth_longtask_ms_max']} ms)",
            "",
        ),
        ("new view after the reload (median of 3)", f"{result['new_view_after_reload_s']} s", "<= 1 s"),
        ("  runs", ", ".join(f"{x} s" for x in nva), ""),
        ("page reload: 10,000-message view interactive", f"{rl['big_interactive_s']} s", ""),
        ("  same reload: one-message view interactive", f"{rl['small_interactive_s']} s", ""),
        (
            "  DOMContentLoaded / notebook cells / first chat view",
            f"{rl['dom_content_loaded_s']} / {rl['notebook_cells_s']} / {rl['first_chat_view_s']} s",
            "",
        ),
        (
            "full snapshot (kernel get_state / JSON size)",
            f"{sn['kernel_get_state_s']} s / {sn['state_json_bytes']:,} B",
            "",
        ),
    ]
    print(f"history benchmark, {result['date']}, {result['cpus']} cpus, {result['wall_s']} s")
    print(table(rows))
    print(write_result("history", result))


if __name__ == "__main__":
    main()
