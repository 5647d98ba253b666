"""Streaming benchmark: 100,000 tokens into one message, in a real JupyterLab page.

    .venv/bin/python benchmarks/stream.py [--tokens 100000] [--panel-seconds 60] [--no-panel]
    .venv/bin/python benchmarks/stream.py --long [--tokens 1000000] [--runs 3] [--shape prose]

A user types into the chat's composer; the `on_message` handler streams the tokens as fast
as it can, yielding to the loop every 100 tokens. Measured in the page (performance.now()
and a MutationObserver, painted = the next animation frame after the DOM change): the
time from the first token visible to the whole text in the page (a long text's end is
drawn first and what is above it after, so the last token seen is not the text complete);
on the websocket (Playwright): the bytes the page received; in the kernel: comm messages
sent and the cost per `stream_token` call. If `panel` is importable, the same tokens are streamed through
Panel's ChatInterface (`ChatMessage.stream(token)` per token) in a fresh notebook of the
same JupyterLab, bounded in time. Prints a table and one JSON line (also written to
benchmarks/results/stream.json); a screenshot of each run goes to benchmarks/results/.

`--long`: a very long message (1,000,000 tokens, 4.7 MB, by default), streamed `--runs`
times into one chat: the main thread's long tasks (a `longtask` PerformanceObserver, from
the first token until the text is complete in the DOM and the transcript copy for the saved
notebook is in the cell's outputs, plus one second) — the longest,
their count and total, min/median/max over the runs with the load average — and whether
the text in the DOM is complete (benchmarks/results/stream-long.json). `--widget-only` shows
the widget without the transcript copy that `app.display()` adds (JupyterLab renders that
HTML output itself), to tell the widget's own long tasks from JupyterLab's. `--trace` records
a Chromium trace of each run and also reports each task's CPU time (a `longtask` is wall
time, which on a loaded machine includes waiting for a core). Each run's JSON also lists the
long animation frames of the window (`long-animation-frame`): their scripts over 5 ms by
entry point and source position, and their rendering time. `--shape code` streams the same
tokens as one code fence (a line per paragraph), `--shape list` as one bulleted list
(benchmarks/results/stream-long-code.json, -list.json).
"""

from __future__ import annotations

import argparse
import bisect
import importlib.util
import json
import os
import secrets
import time
from pathlib import Path
from typing import Any

from _common import RESULTS, environment, kernel_json, session, table, write_result
from labdriver import Chat, Notebook, write_notebook

# The tokens, built identically in the kernel and here: word-like, ~5 characters, a
# paragraph break every 50 tokens, unique first and last words (markers).
TOKENS_SRC = """
def make_tokens(n, nonce):
    import random
    rnd = random.Random(7)
    words = ("the of and to in is you that it was for on are as with his they at be this have "
             "from or one had by word but not what all were we when your can said there use an "
             "each which she do how their if will up other about out many then them these so some "
             "her would make like him into time has look two more write go see number no way could "
             "people my than first water been call who oil its now find long down day did get come "
             "made may part stream token render browser kernel message widget model state").split()
    toks = ["cwbegin" + nonce]
    for i in range(1, n - 1):
        w = rnd.choice(words)
        toks.append((".\\n\\n" + w.capitalize()) if i % 50 == 0 else " " + w)
    toks.append(" cwend" + nonce + ".")
    return toks

def shape_tokens(toks, shape):
    # The same tokens as one code fence (a line per paragraph), or as one bulleted list.
    if shape == "code":
        return ["```text\\n"] + [t.replace(".\\n\\n", "\\n") for t in toks] + ["\\n```\\n"]
    if shape == "list":
        return ["- "] + [t.replace(".\\n\\n", "\\n- ") for t in toks]
    return toks
"""

SETUP = """
import asyncio, json, time
import chatwidget as cw
{tokens_src}
N = {n}
TOKENS = shape_tokens(make_tokens(N, {nonce!r}), {shape!r})
TEXT_LEN = sum(map(len, TOKENS))
"""

CHAT = """
app = cw.ChatApp(title="Stream benchmark")
SENT = []  # (time, JSON bytes) of every comm message the app sends
_send = app.widget._send
def _counting_send(msg, buffers=None):
    SENT.append((time.perf_counter(), len(json.dumps(msg, separators=(",", ":")))))
    return _send(msg, buffers=buffers)
app.widget._send = _counting_send
STATS = {{}}

@app.on_message
async def reply(message):
    STATS["emitter_before"] = app.chat.view.comm_messages
    STATS["sent_before"] = len(SENT)
    answer = cw.Message(content="")
    STATS["t0"] = time.perf_counter()
    for i, token in enumerate(TOKENS):
        await answer.stream_token(token)
        if i % 100 == 99:
            await asyncio.sleep(0)  # an LLM client yields to the loop now and then
    STATS["t1"] = time.perf_counter()
    await answer.send()
    STATS["id"] = answer.id

app.display()
"""

KERNEL_STATS = """
await app.wait()
await asyncio.sleep(0.2)
_sent = SENT[STATS["sent_before"]:]
print(json.dumps({
    "stream_s": STATS["t1"] - STATS["t0"],
    "emitter_messages": app.chat.view.comm_messages - STATS["emitter_before"],
    "app_messages": len(_sent),
    "app_bytes": sum(b for _, b in _sent),
    "step_id": STATS["id"],
    "text_len": TEXT_LEN,
}))
"""

# The kernel-side cost of stream_token on a displayed app: a tight loop, flushes included.
COST_APP = """
bench = cw.ChatApp(title="stream_token cost")
bench.display()
"""

COST = """
import statistics
async def _noop(t):
    pass

async def _cost(n):
    toks = (TOKENS * (n // len(TOKENS) + 1))[:n]
    msg = cw.Message(content="")
    msg.bind(bench.chat)
    c0 = bench.chat.view.comm_messages
    t0 = time.perf_counter()
    for t in toks:
        await msg.stream_token(t)
    await msg.send()
    bench.flush()
    t1 = time.perf_counter()
    return (t1 - t0) / n * 1e6, bench.chat.view.comm_messages - c0

async def _loop_only(n):
    toks = (TOKENS * (n // len(TOKENS) + 1))[:n]
    t0 = time.perf_counter()
    for t in toks:
        await _noop(t)
    return (time.perf_counter() - t0) / n * 1e6

async def _paced(seconds, per_s):
    # A sustained stream at an LLM-like pace (per_s tokens/s, in bursts of 100): the
    # steady-state comm message rate, which a 100k stream finished in well under 1 s hides.
    msg = cw.Message(content="")
    msg.bind(bench.chat)
    c0 = bench.chat.view.comm_messages
    t0 = time.perf_counter()
    i = 0
    while time.perf_counter() - t0 < seconds:
        for _ in range(100):
            await msg.stream_token(TOKENS[i % len(TOKENS)])
            i += 1
        await asyncio.sleep(100 / per_s)
    dt = time.perf_counter() - t0
    await msg.send()
    bench.flush()
    return (bench.chat.view.comm_messages - c0) / dt

_runs = []
for _ in range({reps}):
    _runs.append(await _cost({n}))
    await asyncio.sleep(0.3)
_base = statistics.median([await _loop_only({n}) for _ in range(3)])
_sustained = await _paced(3.0, 50_000)
print(json.dumps({{"us_per_token": [r[0] for r in _runs], "messages": [r[1] for r in _runs],
                  "loop_us": _base, "n": {n}, "sustained_msgs_per_s": _sustained}}))
"""

PANEL_SETUP = """
import asyncio, json, time
import panel as pn
pn.extension(inline=True)  # no CDN: the JS is inlined in the notebook
{tokens_src}
N = {n}
TOKENS = make_tokens(N, {nonce!r})
PANEL = {{"stop": False, "streamed": 0, "t0": None, "t1": None, "error": None}}

async def callback(contents, user, instance):
    try:
        PANEL["t0"] = time.perf_counter()
        message = instance.stream(TOKENS[0], user="Assistant")
        PANEL["streamed"] = 1
        for i, token in enumerate(TOKENS[1:], 1):
            if PANEL["stop"]:
                break
            message.stream(token)  # as Panel's docs show: one .stream(token) per token
            PANEL["streamed"] = i + 1
            if i % 100 == 99:
                await asyncio.sleep(0)
        PANEL["t1"] = time.perf_counter()
    except Exception as exc:
        PANEL["error"] = repr(exc)
        raise

chat = pn.chat.ChatInterface(callback=callback, height=600, callback_exception="verbose")
chat
"""

# ---------------------------------------------------------------------------- page side
# Installed on the chat's message list before the user types: records when the answer's
# first text and its last token enter the DOM (and the next frame after, "painted"), when
# the message is rendered final (its cw-streaming class dropped), and long tasks.
HOOK_JS = """([nonce]) => {
  const begin = 'cwbegin' + nonce, end = 'cwend' + nonce;
  const root = document.querySelector('.cw-root');
  const R = window.__cwb = {first: null, firstPaint: null, last: null, lastPaint: null,
                            final: null, finalPaint: null, complete: null, completePaint: null,
                            mutations: 0, longtasks: []};
  const painted = (key) => requestAnimationFrame(() => setTimeout(() => { R[key] = performance.now(); }, 0));
  const mo = new MutationObserver((records) => {
    const now = performance.now();
    R.mutations += records.length;
    for (const r of records) {
      if (r.type === 'attributes') continue;
      const texts = r.type === 'characterData'
        ? [r.target.data] : [...r.addedNodes].map(n => n.textContent || '');
      // First: the answer's first text in the DOM (its first token, or when the answer came
      // all at once, whatever of it is drawn first: a long text is drawn from its end).
      const host = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      const answer = host && host.closest('.cw-message.cw-assistant');
      for (const s of texts) {
        if (R.first === null && (s.includes(begin) || (answer && s.trim()))) {
          R.first = now;
          painted('firstPaint');
        }
        if (R.last === null && s.includes(end)) { R.last = now; painted('lastPaint'); }
      }
    }
    if (R.last !== null && R.final === null) {
      // Final: the message holding the last token is no longer streaming (it may have
      // arrived final in one piece when the stream is shorter than one flush period).
      const msgs = root.querySelectorAll('.cw-message.cw-assistant');
      const m = msgs[msgs.length - 1];
      if (m && !m.classList.contains('cw-streaming')) { R.final = now; painted('finalPaint'); }
    }
    // Complete: final, and no message still rendering its text in slices.
    if (R.final !== null && R.complete === null && !root.querySelector('.cw-markdown[aria-busy]')) {
      R.complete = now;
      painted('completePaint');
    }
  });
  mo.observe(root.querySelector('.cw-messages'),
             {subtree: true, childList: true, characterData: true,
              attributes: true, attributeFilter: ['class', 'aria-busy']});
  window.__cwbStop = () => mo.disconnect();
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) R.longtasks.push([e.startTime, e.duration]);
    }).observe({type: 'longtask'});
  } catch (e) {}
  // What a long frame held (the long-animation-frame entries): its scripts over 5 ms, by
  // entry point and source position, and its rendering time.
  R.frames = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if (e.duration <= 50) continue;
        const end = e.startTime + e.duration;
        R.frames.push({start: e.startTime, ms: Math.round(e.duration),
          // from the frame's animation callbacks on, and from its style and layout on
          render_ms: e.renderStart ? Math.round(end - e.renderStart) : 0,
          style_layout_ms: e.styleAndLayoutStart ? Math.round(end - e.styleAndLayoutStart) : 0,
          scripts: e.scripts.map((x) => [Math.round(x.duration), x.invoker, (x.sourceFunctionName || '')
            + '@' + (x.sourceURL || '').split('/').pop() + ':' + x.sourceCharPosition])});
      }
    }).observe({type: 'long-animation-frame'});
  } catch (e) {}
  return performance.now();
}"""

CW_RESULT_JS = """([stepId]) => {
  const R = window.__cwb;
  window.__cwbStop();
  const root = document.querySelector('.cw-root');
  const store = root.__chatwidget.store;
  const el = root.querySelector(`.cw-message[data-step-id="${stepId}"] .cw-content`);
  const dom = el ? el.textContent : '';
  // A code block's header (its language, a copy button) is the page's, not the message's.
  const header = el ? [...el.querySelectorAll('.cw-code-header')].map(h => h.textContent).join('') : '';
  return {...R, storeLen: store.textOf(stepId).length,
          domNonWs: dom.replace(/\\s+/g, '').length - header.replace(/\\s+/g, '').length,
          streamMessages: store.streamMessages, lastSeq: store.lastSeq, resyncs: store.resyncs,
          longtasks: R.longtasks.filter(([s]) => s >= R.first - 50 && (R.end === undefined || s < R.end))};
}"""

# Panel renders inside shadow roots: poll every animation frame for the element holding
# the first token, then follow the length of its container's text.
PANEL_HOOK_JS = """([nonce, total]) => {
  const begin = 'cwbegin' + nonce, end = 'cwend' + nonce;
  const R = window.__pnb = {first: null, last: null, lastGrowth: null, len: 0, done: false,
                            samples: [], refinds: 0};
  let box = null;
  const roots = () => {
    const out = [document], stack = [document];
    while (stack.length) {
      const r = stack.pop();
      for (const e of r.querySelectorAll('*')) {
        if (e.shadowRoot) { out.push(e.shadowRoot); stack.push(e.shadowRoot); }
      }
    }
    return out;
  };
  const find = () => {
    for (const r of roots()) for (const p of r.querySelectorAll('p')) {
      if ((p.textContent || '').includes(begin)) return p.parentNode;
    }
    return null;
  };
  window.__pnbBox = () => box;
  let lastSample = 0;
  const tick = () => {
    if (R.done) return;
    const now = performance.now();
    if (!box || !box.isConnected) { const b = find(); if (b && box) R.refinds++; box = b; }
    if (box) {
      if (R.first === null) R.first = now;
      const len = (box.textContent || '').length;
      if (len > R.len) { R.len = len; R.lastGrowth = now; }
      if (R.last === null && (box.textContent || '').includes(end)) { R.last = now; R.done = true; }
      if (now - lastSample > 500) { R.samples.push([Math.round(now), len]); lastSample = now; }
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  return performance.now();
}"""

PANEL_RESULT_JS = """() => {
  const R = window.__pnb;
  R.done = true;
  const box = window.__pnbBox();
  const text = box ? (box.textContent || '') : '';
  return {...R, domNonWs: text.replace(/\\s+/g, '').length};
}"""


STATUS_JS = """() => {
  const R = window.__cwb; const store = document.querySelector('.cw-root').__chatwidget.store;
  return {first: R.first, last: R.last, final: R.final, mutations: R.mutations,
          streamMessages: store.streamMessages, lastSeq: store.lastSeq, resyncs: store.resyncs};
}"""


def wait_page(page: Any, done_js: str, status_js: str, timeout_s: float) -> None:
    """Wait for `done_js` in the page; on timeout, raise with the page's status."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(done_js):
        if time.monotonic() > deadline:
            page.screenshot(path=str(RESULTS / "stream-timeout.png"))
            raise TimeoutError(f"page not done after {timeout_s} s: {page.evaluate(status_js)}")
        page.wait_for_timeout(250)


def make_tokens(n: int, nonce: str, shape: str = "prose") -> list[str]:
    scope: dict[str, Any] = {}
    exec(TOKENS_SRC, scope)  # noqa: S102 -- our own source, the same the kernel runs
    tokens: list[str] = scope["shape_tokens"](scope["make_tokens"](n, nonce), shape)
    return tokens


def markup_chars(text: str, shape: str) -> int:
    """Characters of ``text`` (not spaces) that are markdown's, not shown as text: a fence's
    lines, a list's markers."""
    if shape == "code":
        return len("```text") + len("```")
    if shape == "list":
        return text.count("\n- ") + 1
    return 0


def run_chatwidget(s: Any, n: int, nonce: str, cost_tokens: int) -> dict[str, Any]:
    page = s.page
    path = write_notebook(
        s.lab.root,
        "stream_chatwidget",
        [SETUP.format(tokens_src=TOKENS_SRC, n=n, nonce=nonce, shape="prose"), CHAT.format()],
    )
    nb = Notebook(page, path).open(s.lab, timeout=90_000)
    nb.run_all(timeout=90_000)
    chat = Chat.find(page)
    page.wait_for_timeout(500)
    page.evaluate(HOOK_JS, [nonce])
    mark = s.tap.mark()
    chat.send("Stream 100,000 tokens, please.")
    wait_page(page, DONE_JS, STATUS_JS, 150)
    end = s.tap.mark()
    ks = kernel_json(nb.add_and_run(KERNEL_STATS))
    page_r = page.evaluate(CW_RESULT_JS, [ks["step_id"]])
    chat.root.locator(".cw-message.cw-assistant").last.scroll_into_view_if_needed()
    page.screenshot(path=str(RESULTS / "stream-chatwidget.png"))
    frames = s.tap.since(mark, end)

    nb.add_and_run(COST_APP)
    page.wait_for_timeout(500)
    cost = kernel_json(nb.add_and_run(COST.format(n=cost_tokens, reps=3), timeout=120_000))
    s.lab.shutdown_sessions()

    expected = make_tokens(n, nonce)
    text = "".join(expected)
    nonws = len("".join(text.split()))
    seconds = (page_r["completePaint"] - page_r["firstPaint"]) / 1000
    last_s = (page_r["lastPaint"] - page_r["firstPaint"]) / 1000
    final_s = (page_r["finalPaint"] - page_r["firstPaint"]) / 1000
    us = sorted(cost["us_per_token"])[len(cost["us_per_token"]) // 2]
    long_ms = [d for _, d in page_r["longtasks"]]
    return {
        "tokens": n,
        "chars": len(text),
        "chars_per_token": round(len(text) / n, 2),
        "first_token_to_text_complete_s": round(seconds, 3),
        "first_to_last_token_s": round(last_s, 3),
        "first_token_to_final_render_s": round(final_s, 3),
        "tokens_per_s_rendered": round(n / seconds),
        "tokens_per_s_to_final_render": round(n / final_s),
        "kernel_stream_s": round(ks["stream_s"], 3),
        "kernel_tokens_per_s": round(n / ks["stream_s"]),
        "comm_messages_emitter": ks["emitter_messages"],
        "comm_messages_all": ks["app_messages"],
        "comm_json_bytes": ks["app_bytes"],
        "comm_messages_per_s": round(ks["emitter_messages"] / ks["stream_s"], 1),
        "comm_messages_per_s_sustained_3s": round(cost["sustained_msgs_per_s"], 1),
        "comm_messages_per_s_browser_window": round(ks["app_messages"] / final_s, 1),
        "ws_frames": len(frames),
        "ws_bytes": sum(f.size for f in frames),
        "ws_comm_msg_frames": sum(1 for f in frames if f.info[1] == "comm_msg"),
        "store_stream_messages": page_r["streamMessages"],
        "resyncs": page_r["resyncs"],
        "complete_store": page_r["storeLen"] == ks["text_len"] == len(text),
        "complete_dom": page_r["domNonWs"] == nonws,
        "store_len": page_r["storeLen"],
        "expected_len": len(text),
        "dom_nonws": page_r["domNonWs"],
        "expected_nonws": nonws,
        "longtasks_during_stream": len(long_ms),
        "longtask_ms_total": round(sum(long_ms)),
        "longtask_ms_max": round(max(long_ms, default=0)),
        "stream_token_us": round(us, 2),
        "stream_token_us_runs": [round(x, 2) for x in cost["us_per_token"]],
        "stream_token_loop_baseline_us": round(cost["loop_us"], 2),
        "stream_token_cost_tokens": cost["n"],
        "stream_token_cost_messages": cost["messages"],
    }


def run_panel(s: Any, n: int, nonce: str, bound_s: float) -> dict[str, Any]:
    page = s.page
    path = write_notebook(
        s.lab.root, "stream_panel", [PANEL_SETUP.format(tokens_src=TOKENS_SRC, n=n, nonce=nonce)]
    )
    nb = Notebook(page, path).open(s.lab, timeout=90_000)
    nb.run_all(timeout=120_000)
    box = page.locator("textarea:not(.cw-input)").last
    box.wait_for(state="visible", timeout=60_000)
    page.wait_for_timeout(1000)
    page.evaluate(PANEL_HOOK_JS, [nonce, n])
    mark = s.tap.mark()
    t_send = time.monotonic()
    box.click()
    box.fill("Stream 100,000 tokens, please.")
    box.press("Enter")
    stalled = False
    deadline = t_send + bound_s
    while True:
        r = page.evaluate("() => ({last: window.__pnb.last, first: window.__pnb.first})")
        if r["last"] is not None:
            break
        if time.monotonic() > deadline:
            stalled = True
            break
        page.wait_for_timeout(500)
    end = s.tap.mark()
    elapsed_s = time.monotonic() - t_send
    page_r = page.evaluate(PANEL_RESULT_JS)
    page.screenshot(path=str(RESULTS / "stream-panel.png"))
    frames = s.tap.since(mark, end)
    kernel: dict[str, Any] = {}
    try:
        kernel = kernel_json(
            nb.add_and_run(
                'PANEL["stop"] = True\nprint(json.dumps({k: v for k, v in PANEL.items() if k != "stop"}))',
                timeout=45_000,
            )
        )
    except Exception as exc:  # a kernel too busy to answer is a result too
        kernel = {"unavailable": f"{type(exc).__name__}: {str(exc)[:200]}"}
    s.lab.shutdown_sessions()

    expected = make_tokens(n, nonce)
    cum_nonws: list[int] = []
    total = 0
    for t in expected:
        total += len("".join(t.split()))
        cum_nonws.append(total)
    visible_tokens = bisect.bisect_right(cum_nonws, page_r["domNonWs"])
    complete = page_r["last"] is not None and page_r["domNonWs"] == cum_nonws[-1]
    span_end = page_r["last"] if page_r["last"] is not None else page_r["lastGrowth"]
    span_s = (span_end - page_r["first"]) / 1000 if page_r["first"] is not None and span_end else None
    rate = round(visible_tokens / span_s) if span_s else 0
    ws = [f.info for f in frames]
    return {
        "tokens": n,
        "bound_s": bound_s,
        "elapsed_s": round(elapsed_s, 1),
        "stalled_or_timed_out": stalled,
        "complete": complete,
        "tokens_visible": visible_tokens,
        "first_to_last_visible_s": round(span_s, 3) if span_s else None,
        "tokens_per_s_rendered": rate,
        "ws_frames": len(frames),
        "ws_bytes": sum(f.size for f in frames),
        "ws_comm_msg_frames": sum(1 for i in ws if i[1] == "comm_msg"),
        "kernel": kernel,
        "kernel_tokens_streamed": kernel.get("streamed"),
        "page_samples": page_r["samples"][-8:],
    }


# Done: the final render painted and no text still rendering in slices (aria-busy): the
# whole text is in the page (a long one's end is drawn first, the rest above it after).
DONE_JS = "() => window.__cwb.completePaint !== null"


# The message is typed into the composer found by the page's own querySelector, then sent
# with the Enter key: Playwright's locator actions resolve and preview elements in the page,
# which over the megabytes of earlier runs' messages is itself a long task in the window.
TYPE_JS = """(text) => {
  const input = document.querySelector('.cw-root textarea.cw-input');
  input.focus();
  input.value = text;
  input.dispatchEvent(new Event('input', {bubbles: true}));
}"""


def wait_outputs_settled(nb: Notebook, cell: int, quiet_s: float = 1.5, timeout_s: float = 120) -> int:
    """Wait until the outputs of the chat's cell stop changing for `quiet_s` (the transcript
    copy for the saved notebook arrives there after the answer, and is part of what the
    stream costs the page); returns their size in characters."""
    deadline = time.monotonic() + timeout_s
    size, since = nb.outputs_size(cell), time.monotonic()
    while time.monotonic() - since < quiet_s and time.monotonic() < deadline:
        nb.page.wait_for_timeout(250)
        now = nb.outputs_size(cell)
        if now != size:
            size, since = now, time.monotonic()
    return size


def type_and_send(page: Any, text: str) -> None:
    page.evaluate(TYPE_JS, text)
    page.keyboard.press("Enter")


def thread_time_tasks(trace: Path) -> list[float]:
    """Milliseconds of CPU time of each task of the page's main thread, from a Chromium trace.

    A `longtask` entry is wall time: on a machine whose cores are shared, a task is long
    also while the thread waits for a core. The trace tells the time it ran."""
    events = json.loads(trace.read_text())["traceEvents"]
    names = {(e["pid"], e["tid"]): e["args"]["name"] for e in events if e.get("name") == "thread_name"}
    tasks: dict[tuple[int, int], list[float]] = {}
    for e in events:
        key = (e.get("pid"), e.get("tid"))
        if e.get("ph") == "X" and e.get("name") == "RunTask" and names.get(key) == "CrRendererMain":
            tasks.setdefault(key, []).append(e.get("tdur", 0) / 1000)
    return max(tasks.values(), key=len, default=[])


def run_long(
    s: Any, n: int, nonce: str, runs: int, widget_only: bool, trace: bool = False, shape: str = "prose"
) -> list[dict[str, Any]]:
    """Stream `n` tokens into one message, `runs` times in one chat; long tasks per run.
    `shape`: the message as paragraphs, one code fence or one bulleted list (`shape_tokens`).

    `widget_only`: show the widget alone, without the transcript copy `app.display()` puts
    next to it for readers of the saved notebook (JupyterLab renders that HTML output
    itself: its sanitizer, table of contents and MathJax run over the whole transcript)."""
    page = s.page
    chat_cell = CHAT.format()
    if widget_only:
        alone = "from IPython.display import display\ndisplay(app.widget)"
        chat_cell = chat_cell.replace("app.display()", alone)
    setup = SETUP.format(tokens_src=TOKENS_SRC, n=n, nonce=nonce, shape=shape)
    path = write_notebook(s.lab.root, "stream_long", [setup, chat_cell])
    nb = Notebook(page, path).open(s.lab, timeout=90_000)
    nb.run_all(timeout=180_000)
    Chat.find(page)  # the chat is shown before the first message is typed
    expected = "".join(make_tokens(n, nonce, shape))
    nonws = len("".join(expected.split())) - markup_chars(expected, shape)
    out = []
    for i in range(runs):
        page.wait_for_timeout(1000)
        page.evaluate(HOOK_JS, [nonce])
        load = os.getloadavg()[0]
        trace_path = RESULTS / f"stream-long-trace-{i + 1}.json"
        if trace:
            categories = ["devtools.timeline", "disabled-by-default-devtools.timeline"]
            page.context.browser.start_tracing(page=page, path=str(trace_path), categories=categories)
        try:
            type_and_send(page, f"Stream {n:,} tokens, please ({i + 1}).")
            wait_page(page, DONE_JS, STATUS_JS, 600)
            # The window: until the transcript copy is in the cell's outputs, plus one second
            # (long tasks right after the text is complete count too); nothing after it.
            outputs = wait_outputs_settled(nb, 1)
            page.wait_for_timeout(1000)
            page.evaluate("() => { window.__cwb.end = performance.now(); }")
        finally:
            if trace:
                page.context.browser.stop_tracing()
        ks = kernel_json(nb.add_and_run(KERNEL_STATS, timeout=120_000))
        r = page.evaluate(CW_RESULT_JS, [ks["step_id"]])
        long_ms = [d for _, d in r["longtasks"]]
        cpu = thread_time_tasks(trace_path) if trace else []
        out.append(
            {
                "run": i + 1,
                "load_1min": round(load, 2),
                "longtask_ms_max": round(max(long_ms, default=0)),
                "longtasks": len(long_ms),
                "longtask_ms_total": round(sum(long_ms)),
                "first_token_to_final_s": round((r["finalPaint"] - r["firstPaint"]) / 1000, 2),
                "first_token_to_complete_s": round((r["completePaint"] - r["firstPaint"]) / 1000, 2),
                "complete_dom": r["domNonWs"] == nonws,
                "complete_store": r["storeLen"] == len(expected),
                "resyncs": r["resyncs"],
                # when each long task started, s after the first token; and how long it took
                "longtasks_at": [[round((t - r["first"]) / 1000, 2), round(d)] for t, d in r["longtasks"]],
                "final_at_s": round((r["final"] - r["first"]) / 1000, 2),
                # long animation frames in the window: s after the first token, and what they held
                "long_frames": [
                    {**f, "start": round((f["start"] - r["first"]) / 1000, 2)}
                    for f in r["frames"]
                    if r["first"] - 50 <= f["start"] < r["end"]
                ],
                "window_s": round((r["end"] - r["first"]) / 1000, 2),
                "chat_cell_output_chars": outputs,
                **(
                    {
                        "cpu_task_ms_max": round(max(cpu, default=0), 1),
                        "cpu_tasks_over_50ms": sum(c > 50 for c in cpu),
                    }
                    if trace
                    else {}
                ),
            }
        )
        print(json.dumps(out[-1]), flush=True)
    page.screenshot(path=str(RESULTS / "stream-long.png"))
    s.lab.shutdown_sessions()
    return out


def long_main(args: argparse.Namespace) -> None:
    nonce = secrets.token_hex(4)
    result: dict[str, Any] = {"benchmark": "stream-long", **environment(), "tokens": args.tokens}
    result["shape"] = args.shape
    with session("stream-long", tap=False) as s:  # its figures are the page's, not bytes
        runs = run_long(s, args.tokens, nonce, args.runs, args.widget_only, args.trace, args.shape)
    result["runs"] = runs
    result["widget_only"] = args.widget_only

    def spread(key: str) -> str:
        v = sorted(r[key] for r in runs)
        return f"{v[0]} / {v[len(v) // 2]} / {v[-1]}"

    rows = [
        ("tokens in one message, runs, shape", f"{args.tokens:,}, {len(runs)}, {args.shape}", ""),
        ("shown with", "the widget alone" if args.widget_only else "app.display() (+ transcript copy)", ""),
        ("longest main-thread task, ms (min / median / max)", spread("longtask_ms_max"), "<= 50"),
        ("long tasks per run (min / median / max)", spread("longtasks"), ""),
        ("long tasks' total per run, ms (min / median / max)", spread("longtask_ms_total"), ""),
        ("first token -> final state painted, s (min / median / max)", spread("first_token_to_final_s"), ""),
        ("first token -> text in the DOM, s (min / median / max)", spread("first_token_to_complete_s"), ""),
        ("text complete in the DOM, every run", "yes" if all(r["complete_dom"] for r in runs) else "NO", ""),
        ("load average (1 min) at each start", ", ".join(str(r["load_1min"]) for r in runs), ""),
    ]
    if args.trace:
        rows += [
            ("longest task in CPU time (trace), ms (min / median / max)", spread("cpu_task_ms_max"), "<= 50"),
            ("tasks over 50 ms of CPU time per run (min / median / max)", spread("cpu_tasks_over_50ms"), ""),
        ]
    print(table(rows))
    name = "stream-long-widget" if args.widget_only else "stream-long"
    print(write_result(name if args.shape == "prose" else f"{name}-{args.shape}", result))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokens", type=int, default=None, help="default: 100,000; 1,000,000 with --long")
    ap.add_argument("--cost-tokens", type=int, default=200_000)
    ap.add_argument("--panel-seconds", type=float, default=60.0)
    ap.add_argument("--no-panel", action="store_true")
    ap.add_argument("--long", action="store_true", help="one very long message, long tasks measured")
    ap.add_argument("--runs", type=int, default=3, help="with --long: how many messages")
    ap.add_argument("--widget-only", action="store_true", help="with --long: no transcript copy")
    ap.add_argument(
        "--shape", choices=("prose", "code", "list"), default="prose", help="with --long: the message's form"
    )
    ap.add_argument(
        "--trace", action="store_true", help="with --long: also the tasks' CPU time, from a trace"
    )
    args = ap.parse_args()
    if args.long:
        args.tokens = args.tokens or 1_000_000
        long_main(args)
        return
    args.tokens = args.tokens or 100_000
    nonce = secrets.token_hex(4)
    has_panel = importlib.util.find_spec("panel") is not None and not args.no_panel
    t0 = time.monotonic()
    result: dict[str, Any] = {"benchmark": "stream", **environment()}
    with session("stream") as s:
        cw = run_chatwidget(s, args.tokens, nonce, args.cost_tokens)
        result["chatwidget"] = cw
        if has_panel:
            result["panel"] = run_panel(s, args.tokens, nonce, args.panel_seconds)
    result["wall_s"] = round(time.monotonic() - t0, 1)

    def yes(ok: bool) -> str:
        return "yes" if ok else "NO"

    rows = [
        ("tokens streamed (chars)", f"{cw['tokens']:,} ({cw['chars']:,})", ""),
        ("tokens/s rendered (first token -> all text painted)", f"{cw['tokens_per_s_rendered']:,}", ">= 50k"),
        ("  first token -> all text painted", f"{cw['first_token_to_text_complete_s']} s", ""),
        ("  first -> last token painted", f"{cw['first_to_last_token_s']} s", ""),
        ("  first token -> final render painted", f"{cw['first_token_to_final_render_s']} s", ""),
        ("  kernel streaming time (100k stream_token)", f"{cw['kernel_stream_s']} s", ""),
        (
            "comm messages for the stream (emitter / all)",
            f"{cw['comm_messages_emitter']} / {cw['comm_messages_all']}",
            "",
        ),
        ("comm messages per s of streaming (this stream)", f"{cw['comm_messages_per_s']}", "<= 40"),
        ("  sustained: 3 s at 50,000 tokens/s", f"{cw['comm_messages_per_s_sustained_3s']}", "<= 40"),
        ("bytes received on the kernel websocket", f"{cw['ws_bytes']:,} in {cw['ws_frames']} frames", ""),
        ("kernel cost per stream_token (median of 3)", f"{cw['stream_token_us']} us", "<= 5 us"),
        ("  (bare loop of awaits, same tokens)", f"{cw['stream_token_loop_baseline_us']} us", ""),
        (
            "final text complete (store / DOM)",
            f"{yes(cw['complete_store'])} / {yes(cw['complete_dom'])}",
            "yes",
        ),
        ("stream messages / resyncs in the page", f"{cw['store_stream_messages']} / {cw['resyncs']}", ""),
        (
            "long tasks in the page (count, total, max)",
            f"{cw['longtasks_during_stream']}, {cw['longtask_ms_total']} ms, {cw['longtask_ms_max']} ms",
            "",
        ),
    ]
    if "panel" in result:
        p = result["panel"]
        status = (
            "complete"
            if p["complete"]
            else (
                f"INCOMPLETE: {p['tokens_visible']:,} of {p['tokens']:,} tokens visible"
                f" after {p['elapsed_s']} s"
            )
        )
        rows += [
            ("Panel ChatInterface: tokens/s rendered", f"{p['tokens_per_s_rendered']:,}", ""),
            ("Panel: all text arrived", status, ""),
            ("Panel: kernel tokens streamed in the bound", f"{p['kernel_tokens_streamed']}", ""),
            (
                "Panel: websocket bytes / comm_msg frames",
                f"{p['ws_bytes']:,} / {p['ws_comm_msg_frames']:,}",
                "",
            ),
        ]
        if p["tokens_per_s_rendered"]:
            ratio = cw["tokens_per_s_rendered"] / p["tokens_per_s_rendered"]
            result["ratio_chatwidget_over_panel"] = round(ratio, 1)
            rows.append(("ratio chatwidget / Panel (tokens/s rendered)", f"{ratio:,.1f}x", ""))
        else:
            result["ratio_chatwidget_over_panel"] = None
            rows.append(("ratio chatwidget / Panel", "n/a: Panel rendered no token within the bound", ""))
    elif not args.no_panel:
        rows.append(("Panel comparison", "skipped: panel not importable (pip install -e .[bench])", ""))
    print(f"stream benchmark, {result['date']}, {result['cpus']} cpus, {result['wall_s']} s")
    print(table(rows))
    print(write_result("stream", result))


if __name__ == "__main__":
    main()
