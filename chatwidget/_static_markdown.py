"""Markdown for the saved-notebook copy, a long text in parts rendered one at a time.

A message of megabytes takes the kernel a second or more to render whole, and its event
loop runs nothing else meanwhile (not the next message, not the page's requests). Its
source is therefore cut between top-level blocks into parts of about ``PART_BYTES``, each
parsed and rendered on its own, so that the copy can be written a slice at a time. A cut
is made only where parsing the parts apart gives what parsing the whole gives: after a
blank line outside a code fence, before a line that starts a block of its own (not
indented, not a list item that could continue a list). Link reference definitions are
collected from the whole text first, so a reference resolves in every part.

Raw HTML is disabled, so the content is escaped rather than trusted; links open with
``rel="noopener noreferrer"``, and images from other hosts become links (loading them would
tell the host who reads the notebook).
"""

from __future__ import annotations

import bisect
import html
import re
from collections.abc import Iterator, Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

#: A long text's HTML is cut into parts of about this size, each an output of its own: a
#: page parses an output at once (a part of megabytes would hold it), and it handles each
#: output with a cost of its own (a part of kilobytes would make thousands of them).
PART_BYTES = 64_000

#: A line that opens or closes a code fence at the top level (at most three spaces in).
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})([^\n]*)")
#: A line that may start a list item: after a blank line it would continue a list.
_LIST_ITEM = re.compile(r"(?:[-+*]|\d{1,9}[.)])(?:[ \t\r\n]|$)")
#: Blank lines in a row (the next block starts after them).
_NEWLINE_RUN = re.compile(r"\n+")
#: Line ends the parser reads as "\n".
_NEWLINES = re.compile(r"\r\n?")
#: A line that may hold a link reference definition, `[label]: destination`.
_DEFINITION = re.compile(r" {0,3}\[(?:[^\]\\\n]|\\.){1,999}\]:")


def _safe_image(renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = html.escape(token.content or "image")
    # Local: data:image, or a path on the notebook's own server (`//host/...` is another host).
    local = src.startswith("data:image/") or not (src.startswith("//") or ":" in src.split("/")[0])
    if local:
        return f'<img src="{html.escape(src)}" alt="{alt}">'
    return f'<a href="{html.escape(src)}" rel="noopener noreferrer">[{alt}]</a>'


def _safe_link(renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    tokens[idx].attrSet("rel", "noopener noreferrer")
    tokens[idx].attrSet("target", "_blank")
    return str(renderer.renderToken(tokens, idx, options, env))


_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_markdown.add_render_rule("image", _safe_image)
_markdown.add_render_rule("link_open", _safe_link)


def render_markdown(text: str) -> str:
    """The HTML of ``text`` in one piece."""
    return str(_markdown.render(text))


def _lines_with(text: str, needle: str, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
    """Lines of ``text`` that hold ``needle`` and match ``pattern`` from their start, found
    with ``str.find`` (a line-anchored pattern tried at every offset of megabytes is slow)."""
    at = text.find(needle)
    while at >= 0:
        start = text.rfind("\n", 0, at) + 1
        end = text.find("\n", at)
        end = len(text) if end < 0 else end
        m = pattern.match(text, start, end)
        if m is not None:
            yield m
        at = text.find(needle, end)


def _fenced(text: str) -> list[tuple[int, int]]:
    """Where the top-level code fences of ``text`` are, as (start, end) offsets."""
    found = {m.start(): m for needle in ("```", "~~~") for m in _lines_with(text, needle, _FENCE)}
    spans: list[tuple[int, int]] = []
    opener: re.Match[str] | None = None
    for start in sorted(found):
        m = found[start]
        marker, rest = m.group(1), m.group(2)
        if opener is None:
            if not (marker[0] == "`" and "`" in rest):  # a backtick fence's info has no backtick
                opener = m
        elif marker[0] == opener.group(1)[0] and len(marker) >= len(opener.group(1)) and not rest.strip():
            spans.append((opener.start(), m.end()))
            opener = None
    if opener is not None:  # an open fence runs to the end
        spans.append((opener.start(), len(text)))
    return spans


def _inside(spans: list[tuple[int, int]], starts: list[int], at: int) -> tuple[int, int] | None:
    i = bisect.bisect_right(starts, at) - 1
    return spans[i] if i >= 0 and spans[i][0] <= at < spans[i][1] else None


def cuts(text: str, every: int = PART_BYTES, spans: list[tuple[int, int]] | None = None) -> list[int]:
    """Offsets that cut ``text`` into parts of about ``every`` characters (the last one is
    ``len(text)``); a part may be longer where no safe cut comes sooner. ``spans``: its
    code fences, if known."""
    spans = _fenced(text) if spans is None else spans
    starts = [s for s, _ in spans]
    out: list[int] = []
    pos = 0
    at = text.find("\n\n", every)
    while at >= 0 and len(text) - pos > every:
        run = _NEWLINE_RUN.match(text, at)  # "\n\n" at `at`, and any more after it
        cut = run.end() if run else at + 2
        fence = _inside(spans, starts, at)
        if fence is not None:
            at = text.find("\n\n", fence[1])
            continue
        if cut < len(text) and not text[cut].isspace() and not _LIST_ITEM.match(text, cut):
            out.append(cut)
            pos = cut
            at = text.find("\n\n", cut + every)
        else:
            at = text.find("\n\n", cut)
    out.append(len(text))
    return out


def _definition_blocks(text: str, spans: list[tuple[int, int]]) -> list[str]:
    """The paragraphs of ``text`` that may hold a link reference definition, in order."""
    starts = [s for s, _ in spans]
    blocks: list[str] = []
    seen = -1
    for m in _lines_with(text, "]:", _DEFINITION):
        if m.start() < seen or _inside(spans, starts, m.start()) is not None:
            continue
        start = text.rfind("\n\n", 0, m.start()) + 1
        end = text.find("\n\n", m.end())
        seen = len(text) if end < 0 else end
        blocks.append(text[start:seen])
    return blocks


def markdown_parts(text: str) -> Iterator[str | None]:
    """The HTML of ``text``, a part of about ``PART_BYTES`` at a time, rendered as each is
    asked for. ``None`` is a step that gives no part yet: the definitions of a long text's
    link references are collected first (parsed in batches of about ``PART_BYTES``, in
    order, so the first definition of a label wins) for every part to resolve them."""
    if len(text) <= PART_BYTES:
        yield render_markdown(text)
        return
    if "\r" in text:
        text = _NEWLINES.sub("\n", text)  # as the parser reads it: blank lines are "\n\n"
    spans = _fenced(text)
    env: dict[str, Any] = {}  # shared by the parts: the references found
    batch: list[str] = []
    size = 0
    for block in _definition_blocks(text, spans):
        batch.append(block)
        size += len(block)
        if size >= PART_BYTES:
            _markdown.parse("\n\n".join(batch), env)
            batch, size = [], 0
            yield None
    if batch:
        _markdown.parse("\n\n".join(batch), env)
    start = 0
    for end in cuts(text, PART_BYTES, spans):
        yield str(_markdown.render(text[start:end], env))
        start = end


def markdown_html(text: str) -> str:
    """The HTML of ``text``, its parts joined."""
    return "".join(part for part in markdown_parts(text) if part is not None)


def code_parts(text: str) -> Iterator[str]:
    """``text`` as code, a part of about ``PART_BYTES`` at a time, cut between lines."""
    start = 0
    while True:
        at = text.find("\n", start + PART_BYTES)
        end = len(text) if at < 0 or at + 1 >= len(text) else at + 1
        yield f"<pre><code>{html.escape(text[start:end])}</code></pre>"
        if end >= len(text):
            return
        start = end
