"""Markdown for the saved-notebook copy, a long text in parts rendered one at a time.

A message of megabytes takes the kernel a second or more to render whole, and its event
loop runs nothing else meanwhile (not the next message, not the page's requests). Its
source is therefore cut into parts of about ``PART_BYTES`` (where, :mod:`._markdown_cuts`
says), each parsed and rendered on its own, so that the copy can be written a slice at a
time. Link reference definitions are collected from the whole text first, so a reference
resolves in every part.

Raw HTML is disabled, so the content is escaped rather than trusted; links open with
``rel="noopener noreferrer"``, and images from other hosts become links (loading them would
tell the host who reads the notebook).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ._markdown_cuts import FENCE, Cutter, closes, definition_blocks, fenced, long_fences

#: A long text's HTML is cut into parts of about this size, each an output of its own: a
#: page parses an output at once (a part of megabytes would hold it), and it handles each
#: output with a cost of its own (a part of kilobytes would make thousands of them).
PART_BYTES = 64_000

#: Line ends the parser reads as "\n".
_NEWLINES = re.compile(r"\r\n?")


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
    spans = fenced(text)
    env: dict[str, Any] = {}  # shared by the parts: the references found
    batch: list[str] = []
    size = 0
    for block in definition_blocks(text, spans):
        batch.append(block)
        size += len(block)
        if size >= PART_BYTES:
            _markdown.parse("\n\n".join(batch), env)
            batch, size = [], 0
            yield None
    if batch:
        _markdown.parse("\n\n".join(batch), env)
    cutter = Cutter(text, spans)
    pos = 0
    number: int | None = None  # where the part's first numbered list counts from
    for fence_start, fence_end in [*long_fences(text, spans, PART_BYTES), (len(text), len(text))]:
        items = True
        while pos < fence_start:
            cut = cutter.next(pos, PART_BYTES, items)
            end = fence_start if cut is None or cut.at >= fence_start else cut.at
            tokens = _markdown.parse(text[pos:end], env)
            if number is not None and tokens and tokens[0].type == "ordered_list_open":
                _count_from(tokens[0], number)
            following = None
            if cut is not None and cut.item is not None and end == cut.at:
                following = _next_item_number(tokens, cut.item)
                if following is None:  # the part ends otherwise: cut between blocks only
                    items = False
                    continue
            yield str(_markdown.renderer.render(tokens, _markdown.options, env))
            pos, number, items = end, following if cut and cut.item in (".", ")") else None, True
        if fence_start < len(text):
            language, code = _fence_code(text[fence_start:fence_end])
            yield from code_parts(code, language)
            pos, number = fence_end, None


def _next_item_number(tokens: list[Token], marker: str) -> int | None:
    """If ``tokens`` end with a list of items marked ``marker``, the number its next item
    would have (for a bulleted list, 0); else ``None``."""
    if not tokens or tokens[-1].level != 0 or tokens[-1].markup != marker:
        return None
    if tokens[-1].type not in ("bullet_list_close", "ordered_list_close"):
        return None
    items = 0
    for token in reversed(tokens[:-1]):
        if token.level == 0:  # the list's opening
            return int(token.attrGet("start") or 1) + items if marker in ".)" else 0
        if token.type == "list_item_open" and token.level == 1:
            items += 1
    return None


def _count_from(opening: Token, number: int) -> None:
    """A numbered list that goes on from the part before: its first item is ``number``."""
    if number == 1:
        opening.attrs.pop("start", None)
    else:
        opening.attrSet("start", number)


def _fence_code(fence: str) -> tuple[str, str]:
    """A code fence's language (the info's first word) and code (without the closing line)."""
    opening, _, body = fence.partition("\n")
    m = FENCE.match(opening)
    marker, info = (m.group(1), m.group(2)) if m else ("```", "")
    last_break = body.rfind("\n")
    closing = FENCE.fullmatch(body, last_break + 1)
    if closing is not None and closes(marker, closing):
        body = body[: last_break + 1]
    return (info.split() or [""])[0], body


def markdown_html(text: str) -> str:
    """The HTML of ``text``, its parts joined."""
    return "".join(part for part in markdown_parts(text) if part is not None)


def code_parts(text: str, language: str = "") -> Iterator[str]:
    """``text`` as code, a part of about ``PART_BYTES`` at a time, cut between lines."""
    opening = f'<pre><code class="language-{html.escape(language)}">' if language else "<pre><code>"
    start = 0
    while True:
        at = text.find("\n", start + PART_BYTES)
        end = len(text) if at < 0 or at + 1 >= len(text) else at + 1
        yield f"{opening}{html.escape(text[start:end])}</code></pre>"
        if end >= len(text):
            return
        start = end
