"""A static HTML rendering of the conversation, for where no kernel runs.

``app.display()`` shows, next to the live widget, an HTML output holding this rendering,
updated after each answer. While the widget is live its stylesheet hides the copy; in a
notebook reopened without a kernel, on GitHub or nbviewer, or in ``jupyter nbconvert --to
html`` output, the copy is what readers see.

Markdown is rendered by markdown-it-py with raw HTML disabled, so the content is escaped
rather than trusted (links are limited to safe schemes by markdown-it's own validation).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import time
from collections.abc import Callable
from typing import Any

from markdown_it import MarkdownIt

from ._protocol import MESSAGE_TYPES
from .conversation import Conversation, ConversationListener

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")

STATIC_CLASS = "cw-static"

_STYLE = """<style>
.cw-static{font-family:system-ui,sans-serif;font-size:14px;max-width:900px;border:1px solid #ddd;
border-radius:8px;padding:8px 12px}
.cw-static .cw-s-title{font-weight:600;margin-bottom:6px}
.cw-static .cw-s-msg{margin:8px 0}.cw-static .cw-s-author{font-weight:600;font-size:12px;color:#555}
.cw-static .cw-s-user{background:#f0f4ff;border-radius:8px;padding:4px 10px}
.cw-static .cw-s-error{color:#b00020}
.cw-static details{border-left:2px solid #ccc;margin:4px 0 4px 12px;padding-left:8px}
.cw-static summary{cursor:pointer;color:#444;font-size:13px}
.cw-static pre{background:#f6f6f6;padding:6px;overflow:auto;white-space:pre-wrap}
.cw-static table{border-collapse:collapse}.cw-static td,.cw-static th{border:1px solid #ccc;padding:2px 6px}
</style>"""


def _markdown_html(text: str, language: str | None) -> str:
    if language:
        return f"<pre><code>{html.escape(text)}</code></pre>"
    return str(_markdown.render(text))


def _block(label: str, text: str) -> str:
    if not text:
        return ""
    with contextlib.suppress(ValueError):  # JSON is pretty-printed, anything else shown as is
        text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    return f"<div><em>{label}</em><pre>{html.escape(text)}</pre></div>"


def render_static(title: str, history: Conversation, shows_text: object) -> str:
    """The conversation as self-contained HTML: messages in order, steps as ``<details>``."""
    visible = shows_text if callable(shows_text) else (lambda step: True)
    parts = [_STYLE, f'<div class="{STATIC_CLASS}">', f'<div class="cw-s-title">{html.escape(title)}</div>']
    for step in history.steps():
        if step.ephemeral:  # a traceback is for the live views, not for readers of the notebook
            continue
        if step.type in MESSAGE_TYPES:
            role = "cw-s-user" if step.type == "user_message" else ""
            error = " cw-s-error" if step.is_error else ""
            parts.append(
                f'<div class="cw-s-msg {role}{error}"><div class="cw-s-author">{html.escape(step.name)}</div>'
                f"{_markdown_html(step.output, step.language)}</div>"
            )
        elif visible(step):
            depth = history.depth(step)
            flag = " (error)" if step.is_error else ""
            parts.append(
                f'<details style="margin-left:{12 * depth}px"><summary>{html.escape(step.name)} '
                f"[{html.escape(step.type)}]{flag}</summary>"
                f"{_block('input', step.input)}{_block('output', step.output)}</details>"
            )
    parts.append("</div>")
    return "".join(parts)


class StaticCopies(ConversationListener):
    """The static copies one app has shown (one per ``display()``), kept up to date after
    each answer (:meth:`idle`)."""

    #: At most one refresh per this many seconds: rendering costs O(conversation).
    INTERVAL = 1.0

    def __init__(self, render: Callable[[], str]) -> None:
        self._render = render
        self._handles: list[Any] = []
        self._timer: asyncio.TimerHandle | None = None
        self._written_at = 0.0

    def show(self) -> None:
        from IPython.display import HTML, display

        handle = display(HTML(self._render()), display_id=True)  # type: ignore[no-untyped-call]
        if handle is not None:
            self._handles.append(handle)

    def idle(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Update the copies soon (after an answer), at most once per ``INTERVAL``."""
        if not self._handles or self._timer is not None:
            return
        delay = max(0.0, self._written_at + self.INTERVAL - time.monotonic())
        try:
            self._timer = asyncio.get_running_loop().call_later(delay, self.write)
        except RuntimeError:
            self.write()

    def write(self) -> None:
        """Update the copies now."""
        if not self._handles:
            return
        from IPython.display import HTML

        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._written_at = None, time.monotonic()
        page = HTML(self._render())  # type: ignore[no-untyped-call]
        for handle in self._handles:
            handle.update(page)
