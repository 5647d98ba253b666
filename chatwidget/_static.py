"""A static HTML rendering of the conversation, for where no kernel runs.

``app.display()`` shows, next to the live widget, HTML outputs holding this rendering. While
the widget is live its stylesheet hides them; in a notebook reopened without a kernel, on
GitHub or nbviewer, or in ``jupyter nbconvert --to html`` output, they are what readers see.

The copy costs what changed, not the length of the conversation: each step's HTML is kept
until the step changes, and the copy is cut into chunks of about ``CHUNK_BYTES`` that are
outputs of their own (a long message is cut into parts of about ``PART_BYTES`` first).
After an answer only the chunks holding a changed step are sent again (usually the last
one); a new chunk is appended to the output area of the cell that displayed the app,
through that cell's context (outputs published in it go to that cell).

The outputs hold ``text/html``, or the live form of :mod:`chatwidget.saved_copy` once the
views say that their server writes it as HTML when it saves (:meth:`StaticCopies.view_saves`).

Markdown is rendered by markdown-it-py with raw HTML disabled, so the content is escaped
rather than trusted; links open with ``rel="noopener noreferrer"``, images from other hosts
become links (loading them would tell the host who reads the notebook), and the copy is kept
out of MathJax (``tex2jax_ignore``) so that reopening a notebook never typesets chat text.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import contextvars
import html
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

from ._base import StepBase
from ._protocol import MESSAGE_TYPES
from ._static_markdown import code_parts, markdown_parts
from .conversation import Conversation, ConversationListener
from .saved_copy import HTML_MIME, LIVE_MIME

STATIC_CLASS = "cw-static"
#: The output metadata of every chunk: how nbval (through chatwidget's pytest plugin) knows
#: an output that the chat rewrites after its cell ran.
OUTPUT_METADATA = {"chatwidget": {"transcript": True}}
CHUNK_BYTES = 12_000
_END = object()  # a step's parts are all rendered

_STYLE = """<style>
.cw-static{font-family:system-ui,sans-serif;font-size:14px;max-width:900px;border:1px solid #ddd;
border-radius:8px;padding:8px 12px}
.cw-static+.cw-static,.cw-static.cw-s-more{border-top:none;border-radius:0 0 8px 8px}
.cw-static .cw-s-title{font-weight:600;margin-bottom:6px}
.cw-static .cw-s-msg{margin:8px 0}.cw-static .cw-s-author{font-weight:600;font-size:12px;color:#555}
.cw-static .cw-s-user{background:#f0f4ff;border-radius:8px;padding:4px 10px}
.cw-static .cw-s-error{color:#b00020}
.cw-static details{border-left:2px solid #ccc;margin:4px 0 4px 12px;padding-left:8px}
.cw-static summary{cursor:pointer;color:#444;font-size:13px}
.cw-static pre{background:#f6f6f6;padding:6px;overflow:auto;white-space:pre-wrap}
.cw-static table{border-collapse:collapse}.cw-static td,.cw-static th{border:1px solid #ccc;padding:2px 6px}
</style>"""


def _block(label: str, text: str) -> str:
    if not text:
        return ""
    with contextlib.suppress(ValueError):  # JSON is pretty-printed, anything else shown as is
        text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    return f"<div><em>{label}</em><pre>{html.escape(text)}</pre></div>"


def step_html(step: StepBase, depth: int, visible: bool) -> str:
    """One entry of the copy ("" for what readers of the notebook must not see)."""
    return "".join(step_parts(step, depth, visible))


def step_parts(step: StepBase, depth: int, visible: bool) -> list[str]:
    """One entry of the copy, a long message in several parts (each complete HTML)."""
    return [part for part in iter_step_parts(step, depth, visible) if part is not None]


def iter_step_parts(step: StepBase, depth: int, visible: bool) -> Iterator[str | None]:
    """The parts of one entry, each rendered as it is asked for, of the step as it is now
    (what is read of it is read at once); ``None`` is a step of the work without a part."""
    if step.ephemeral:  # a traceback is for the live views, not for readers of the notebook
        return iter(())
    if step.type in MESSAGE_TYPES:
        role = "cw-s-user" if step.type == "user_message" else ""
        error = " cw-s-error" if step.is_error else ""
        pieces = code_parts(step.output) if step.language else markdown_parts(step.output)
        author = f'<div class="cw-s-author">{html.escape(step.name)}</div>'
        return _message_parts(pieces, author, f"{role}{error}")
    if not visible:
        return iter(())
    flag = " (error)" if step.is_error else ""
    return iter(
        [
            f'<details style="margin-left:{12 * depth}px"><summary>{html.escape(step.name)} '
            f"[{html.escape(step.type)}]{flag}</summary>"
            f"{_block('input', step.input)}{_block('output', step.output)}</details>"
        ]
    )


def _message_parts(pieces: Iterator[str | None], author: str, classes: str) -> Iterator[str | None]:
    """A message's first part shows its author; the others continue it."""
    first = True
    for piece in pieces:
        if piece is None:
            yield None
        elif first:
            first = False
            yield f'<div class="cw-s-msg {classes}">{author}{piece}</div>'
        else:
            yield f'<div class="cw-s-msg cw-s-cont {classes}">{piece}</div>'


def _frame(title: str | None, body: str) -> str:
    """A chunk as an output: the first one carries the style and the title."""
    if title is None:
        return f'<div class="{STATIC_CLASS} cw-s-more tex2jax_ignore mathjax_ignore">{body}</div>'
    head = f'<div class="cw-s-title">{html.escape(title)}</div>'
    return f'{_STYLE}<div class="{STATIC_CLASS} tex2jax_ignore mathjax_ignore">{head}{body}</div>'


def render_static(title: str, history: Conversation, shows_text: Callable[[StepBase], bool]) -> str:
    """The whole conversation as one self-contained HTML document."""
    body = "".join(step_html(s, history.depth(s), shows_text(s)) for s in history.steps())
    return _frame(title, body)


#: Where an entry's part sits in the copy: its step's slot, then the part's number.
_Key = tuple[int, int]


class _Chunks:
    """The copy cut into chunks of consecutive entries; each step's HTML is kept until it
    changes. A long message is several parts, which may fall in several chunks.

    Slots only grow, so a new step always lands in the last chunk, and opens a new chunk when
    the last one is full (so does each part of a long one); a chunk is rendered by joining its
    own parts' HTML, never the whole conversation's.
    """

    def __init__(self) -> None:
        self.starts: list[_Key] = [(0, 0)]  # the first entry of each chunk
        self._html: list[dict[_Key, str]] = [{}]  # per chunk: (slot, part) -> HTML
        self._size = [0]  # characters of HTML per chunk
        self._chunks_of: dict[int, set[int]] = {}  # slot -> the chunks holding its parts
        self._last: _Key = (-1, 0)  # the furthest entry placed so far
        self._dirty: set[int] = set()  # chunks to send again

    def __len__(self) -> int:
        return len(self.starts)

    def set(self, slot: int, parts: list[str] | None) -> None:
        """The parts of the step in ``slot`` (``None``: it is gone)."""
        for index in self._chunks_of.pop(slot, ()):
            chunk = self._html[index]
            for key in [k for k in chunk if k[0] == slot]:
                self._size[index] -= len(chunk.pop(key))
            self._dirty.add(index)
        for number, text in enumerate(parts or ()):
            self._put((slot, number), text)

    def _put(self, key: _Key, text: str) -> None:
        index = bisect.bisect_right(self.starts, key) - 1
        chunk = self._html[index]
        # Only what goes past every entry so far opens a chunk: a step drawn again keeps its place.
        if key > self._last and index == len(self.starts) - 1 and self._size[index] > CHUNK_BYTES:
            self.starts.append(key)  # the last chunk is full: this part opens the next
            self._html.append({})
            self._size.append(0)
            index, chunk = index + 1, self._html[-1]
        self._last = max(self._last, key)
        chunk[key] = text
        self._size[index] += len(text)
        self._chunks_of.setdefault(key[0], set()).add(index)
        self._dirty.add(index)

    def body(self, index: int) -> str:
        chunk = self._html[index]
        return "".join(chunk[key] for key in sorted(chunk))

    def all_dirty(self) -> None:
        """Every chunk is to be sent again (the copy changes form)."""
        self._dirty = set(range(len(self.starts)))

    def take_dirty(self) -> list[int]:
        """The chunks changed since the last call, in order."""
        dirty, self._dirty = sorted(self._dirty), set()
        return dirty


class StaticCopies(ConversationListener):
    """The static copies one app has shown (one per ``display()``), refreshed after each
    answer (:meth:`idle`), at most once per ``INTERVAL`` seconds."""

    INTERVAL = 1.0
    #: Seconds of rendering per turn of the event loop while many steps (or a long one's
    #: parts) are out of date.
    SLICE = 0.02
    #: After an answer, the copy goes out at most ``SEND_CHARS`` per ``PACE`` seconds: the
    #: copy of a long answer (megabytes) reaches the page as a trickle of outputs rather than
    #: one burst that the kernel, the server and the page would all pay for at once.
    SEND_CHARS = 256_000
    PACE = 0.05
    #: While a view says it draws a long text, the copy waits (checked every ``DRAWING_POLL``
    #: seconds): each output that arrives makes the page lay out what it is drawing, in the
    #: middle of drawing it. Never longer than ``DRAWING_WAIT`` per write, nor for more than
    #: ``DRAWING_VIEWS`` views.
    DRAWING_POLL = 0.25
    DRAWING_WAIT = 20.0
    DRAWING_VIEWS = 64

    def __init__(
        self, title: Callable[[], str], conversation: Conversation, visible: Callable[[StepBase], bool]
    ):
        self._title = title
        self._conversation = conversation
        self._visible = visible
        self._chunks = _Chunks()
        # Steps whose HTML is out of date, rendered when the copy is next written: a resumed
        # thread of thousands of steps costs nothing until then, and then a slice per turn
        # of the event loop.
        self._stale: dict[int, StepBase] = {}
        #: The step being rendered, a part at a time: its slot, its parts to come, those done.
        self._rendering: tuple[int, Iterator[str | None], list[str]] | None = None
        #: Per copy: the cell context its outputs go to, and one display handle per chunk.
        self._copies: list[tuple[contextvars.Context, list[Any]]] = []
        self._timer: asyncio.Handle | None = None
        self._unsent: list[int] = []  # chunks still to send, in order, while the copy is paced
        self._wanted = False  # a refresh came while a paced copy was going out
        self._written_at = 0.0
        self._listening = False
        # Whether the copy goes out in its live form: every view so far said its server
        # makes it HTML at save time; one that did not keeps it HTML from then on.
        self._live = False
        self._html_only = False
        self._drawing: dict[str, float] = {}  # the views drawing a long text: since when
        self._waiting_since: float | None = None  # when this write began to wait for them

    # -- changes ------------------------------------------------------------------------
    def changed(self, slot: int, step: StepBase, restored: bool) -> None:
        self._stale[slot] = step
        if self._rendering is not None and self._rendering[0] == slot:
            self._rendering = None  # begun on the step as it was

    def removed(self, slot: int, step: StepBase, deleted: bool) -> None:
        self._stale.pop(slot, None)
        if self._rendering is not None and self._rendering[0] == slot:
            self._rendering = None
        self._chunks.set(slot, None)

    def _render_stale(self, budget: float | None) -> bool:
        """Render stale steps in slot order, a part at a time, for up to ``budget`` seconds:
        the first part always, then none that the last one's time says would end past it (a
        long message's parts may end in a later call). True when none is left."""
        deadline = None if budget is None else time.monotonic() + budget
        order = sorted(self._stale)
        if self._rendering is not None:
            order.insert(0, self._rendering[0])
        took = None  # how long the last part took: the next one likely takes as long
        for slot in order:
            if self._rendering is None or self._rendering[0] != slot:
                step = self._stale.pop(slot)
                pieces = iter_step_parts(step, self._conversation.depth(step), self._visible(step))
                self._rendering = (slot, pieces, [])
            _, pieces, parts = self._rendering
            while True:
                started = time.monotonic()
                if took is not None and deadline is not None and started + took > deadline:
                    return False
                part = next(pieces, _END)
                if part is _END:
                    break
                if isinstance(part, str):
                    parts.append(part)
                took = time.monotonic() - started
            self._rendering = None
            self._chunks.set(slot, parts)
        return True

    def idle(self) -> None:
        self.refresh()

    # -- outputs -------------------------------------------------------------------------
    def _page(self, index: int) -> dict[str, str]:
        """A chunk's output data: its HTML under ``text/html`` or under the live mime type
        (published raw: a ``text/plain`` repr would be shown where the live form is not)."""
        title = self._title() if index == 0 else None
        return {LIVE_MIME if self._live else HTML_MIME: _frame(title, self._chunks.body(index))}

    def view_drawing(self, view: str, busy: bool) -> None:
        """A view (its own id) started or ended drawing a long text."""
        if not busy:
            self._drawing.pop(view, None)
        elif view in self._drawing or len(self._drawing) < self.DRAWING_VIEWS:
            self._drawing[view] = time.monotonic()

    @property
    def views_drawing(self) -> int:
        """How many views said they draw a long text (at most ``DRAWING_VIEWS`` are heard)."""
        return len(self._drawing)

    def _wait_for_views(self, then: Callable[[], None]) -> bool:
        """While views draw (and this write has not waited ``DRAWING_WAIT`` yet), call
        ``then`` again after ``DRAWING_POLL`` and say so."""
        now = time.monotonic()
        if self._waiting_since is None:
            self._waiting_since = now
        for view, since in list(self._drawing.items()):
            if now - since > self.DRAWING_WAIT:  # a view gone while it drew says nothing more
                del self._drawing[view]
        if not self._drawing or now - self._waiting_since > self.DRAWING_WAIT:
            return False
        self._timer = asyncio.get_running_loop().call_later(self.DRAWING_POLL, then)
        return True

    def view_saves(self, html_at_save: bool) -> None:
        """A view started and said whether its page's server turns the live copy into HTML
        when it saves the notebook; the chunks sent so far are sent again in the new form."""
        self._html_only = self._html_only or not html_at_save
        live = html_at_save and not self._html_only
        if live != self._live:
            self._live = live
            self._chunks.all_dirty()
            self.refresh()

    def show(self) -> None:
        """Show a copy in the current cell's output (called by ``app.display()``)."""
        from IPython.display import display

        if not self._listening:  # what was said before the first display() is in the copy too
            self._listening = True
            for slot, step in self._conversation.items():
                self.changed(slot, step, True)
            self._conversation.add_listener(self)
        self._render_stale(None)
        self._chunks.take_dirty()
        handles = []
        for index in range(len(self._chunks)):
            page = self._page(index)
            handle = display(page, metadata=OUTPUT_METADATA, display_id=True, raw=True)  # type: ignore[no-untyped-call]
            if handle is not None:
                handles.append(handle)
        if handles:
            self._copies.append((contextvars.copy_context(), handles))

    def refresh(self) -> None:
        """Update the copies soon (after an answer)."""
        if not self._copies:
            return
        if self._timer is not None:
            self._wanted = self._wanted or bool(self._unsent)  # then once the paced copy is out
            return
        delay = max(0.0, self._written_at + self.INTERVAL - time.monotonic())
        try:
            self._timer = asyncio.get_running_loop().call_later(delay, self._write_in_slices)
        except RuntimeError:
            self.write()

    def _write_in_slices(self) -> None:
        """Render what is out of date a slice at a time, then send it. Between slices the
        kernel rests twice as long as the slice took (a slice ends after the part that
        passes ``SLICE``): the page showing the answer often shares the machine's cores, and
        a long answer's copy (seconds of rendering) would take one of them from it."""
        self._timer = None
        if self._wait_for_views(self._write_in_slices):
            return
        started = time.monotonic()
        if not self._render_stale(self.SLICE):
            rest = max(self.SLICE, 2 * (time.monotonic() - started))
            self._timer = asyncio.get_running_loop().call_later(rest, self._write_in_slices)
            return
        self.write(paced=True)

    def write(self, *, paced: bool = False) -> None:
        """Send the chunks that changed; a new chunk becomes a new output of each copy's cell.
        All of them now, or ``paced`` (see ``SEND_CHARS``)."""
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        if not self._copies:
            return
        self._render_stale(None)
        self._written_at = time.monotonic()
        self._unsent = sorted({*self._unsent, *self._chunks.take_dirty()})
        self._send(paced)

    def _send(self, paced: bool) -> None:
        from IPython.display import display

        self._timer = None
        if paced and self._wait_for_views(lambda: self._send(True)):
            return
        budget = self.SEND_CHARS
        while self._unsent and (budget > 0 or not paced):
            index = self._unsent.pop(0)
            page = self._page(index)
            budget -= sum(len(v) for v in page.values())
            for context, handles in self._copies:
                if index < len(handles):
                    handles[index].update(page, metadata=OUTPUT_METADATA, raw=True)
                else:  # published in the displaying cell's context: it lands in that cell
                    handle = context.copy().run(
                        display, page, metadata=OUTPUT_METADATA, display_id=True, raw=True
                    )
                    if handle is not None:
                        handles.append(handle)
        if self._unsent:
            self._timer = asyncio.get_running_loop().call_later(self.PACE, self._send, True)
            return
        self._waiting_since = None  # the write is out
        if self._wanted:
            self._wanted = False
            self.refresh()
