"""The saved-notebook copy of a long answer, written while the kernel's loop keeps running.

    .venv/bin/python benchmarks/saved_copy.py [--tokens 1000000] [--runs 3] [--shape prose]

An app is displayed (its copy's outputs recorded in this process, as IPython would publish
them), a message of `--tokens` word-like tokens (a paragraph every 50) is sent, and the copy
is refreshed as the end of an answer does. `--shape list` makes the answer one bulleted
list (an item every 10 tokens), `numbered` one numbered list, `code` one code fence (a line
every 10 tokens): texts without a blank line between top-level blocks. A task on the same
loop wakes every millisecond until the last words are in the copy's outputs: the longest
gap between its wake-ups is the longest the loop was held (the next message, the page's
requests, a handler's tokens all wait that long). Prints min/median/max over the runs and one JSON line
(benchmarks/results/saved-copy.json).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import time
from typing import Any

from _common import environment, table, write_result
from IPython import display as ipy_display

import chatwidget as cw
from chatwidget import _static


class Recorded:
    """One output of the copy: its latest HTML."""

    def __init__(self, outputs: list[Recorded], data: dict[str, str]) -> None:
        self.html = "".join(data.values())
        outputs.append(self)

    def update(self, data: dict[str, str], **options: Any) -> None:
        self.html = "".join(data.values())


def long_text(tokens: int, end: str, shape: str = "prose") -> str:
    words = ["kernel", "stream", "token", "render", "message", "widget", "state"]
    if shape == "prose":
        parts = [f"{words[i % 7]}{'.' if i % 50 == 49 else ''}" for i in range(tokens - 1)]
        body = " ".join(parts).replace(". ", ".\n\n")
        return f"{body} {end}."
    lines = [" ".join(words[(i + j) % 7] for j in range(10)) for i in range(tokens // 10)]
    if shape == "code":
        return "```text\n" + "\n".join(lines) + f"\n{end}\n```\n"
    marker = (lambda i: f"{i + 1}.") if shape == "numbered" else (lambda i: "-")
    return "\n".join(f"{marker(i)} {line}" for i, line in enumerate(lines)) + f" {end}\n"


async def one_run(tokens: int, run: int, shape: str) -> dict[str, Any]:
    outputs: list[Recorded] = []

    def display(obj: Any, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("metadata") == _static.OUTPUT_METADATA:
            return Recorded(outputs, obj)
        return None  # the widget

    ipy_display.display = display
    app = cw.ChatApp(title="Saved copy", persist=False)
    try:
        app.display()
        end = f"lastword{run}"
        text = long_text(tokens, end, shape)
        await cw.Message(text).send()
        gc.collect()  # the million strings built above are not the copy's to pay for
        copies = app.static_copies
        assert copies is not None
        started = time.monotonic()
        copies.refresh()
        longest, last = 0.0, time.monotonic()
        while not any(end in o.html for o in outputs[-3:]):
            await asyncio.sleep(0.001)
            now = time.monotonic()
            longest, last = max(longest, now - last), now
        return {
            "run": run,
            "load_1min": round(os.getloadavg()[0], 2),
            "text_mb": round(len(text) / 1e6, 2),
            "copy_written_s": round(time.monotonic() - started, 2),
            "longest_loop_stall_ms": round(1000 * longest),
            "outputs": len(outputs),
        }
    finally:
        app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--shape", choices=("prose", "list", "numbered", "code"), default="prose")
    args = parser.parse_args()
    runs = [asyncio.run(one_run(args.tokens, i + 1, args.shape)) for i in range(args.runs)]

    def spread(key: str) -> str:
        v = sorted(r[key] for r in runs)
        return f"{v[0]} / {v[len(v) // 2]} / {v[-1]}"

    print(
        table(
            [
                ("tokens, MB of text, shape", f"{args.tokens:,}, {runs[0]['text_mb']}, {args.shape}", ""),
                ("longest loop stall while the copy is written, ms", spread("longest_loop_stall_ms"), ""),
                ("copy written, s (min / median / max)", spread("copy_written_s"), ""),
                ("outputs of the copy", str(runs[0]["outputs"]), ""),
                ("load average (1 min) at each end", ", ".join(str(r["load_1min"]) for r in runs), ""),
            ]
        )
    )
    result = {"benchmark": "saved-copy", **environment(), "tokens": args.tokens, "shape": args.shape}
    result["runs"] = runs
    print(write_result("saved-copy", result))


if __name__ == "__main__":
    main()
