"""Where a long markdown text may be cut into parts that are parsed one at a time.

Three kinds of place, found without parsing the text:

* between top-level blocks: after a blank line outside a code fence, before a line that
  starts a block of its own (not indented, not a list item that could continue a list).
  Parsing the parts apart gives what parsing the whole gives.
* between two items of a long list, where no such blank line comes: before a line that
  starts an item, right after a line that starts an item of the same kind. The parts show
  one list as two; the renderer checks that the first part ends with that list (and gives
  the second part's list its number), or does not cut there.
* around a long code fence that opens at the start of a line (always a top-level block):
  its code is cut between lines by the renderer.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from typing import NamedTuple

#: A line that opens or closes a code fence at the top level (at most three spaces in).
FENCE = re.compile(r" {0,3}(`{3,}|~{3,})([^\n]*)")
#: A line that may start a list item: after a blank line it would continue a list.
_LIST_ITEM = re.compile(r"(?:[-+*]|\d{1,9}[.)])(?:[ \t\r\n]|$)")
#: A line that starts a list item at its very start: the marker's kind is group 1 or 2.
_ITEM = re.compile(r"([-+*])[ \t]|\d{1,9}([.)])[ \t]")
#: A line break followed by such a line.
_ITEM_AFTER_BREAK = re.compile(r"\n(?=[-+*][ \t]|\d{1,9}[.)][ \t])")
#: A thematic break (`- - -`, `***`): it looks like a list item but is not one.
_BREAK = re.compile(r" {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*")
#: Blank lines in a row (the next block starts after them).
_NEWLINE_RUN = re.compile(r"\n+")
#: A line that may hold a link reference definition, `[label]: destination`, also inside a
#: block quote or a list item (a definition anywhere serves the whole text).
_DEFINITION = re.compile(r"[ \t>]*(?:(?:[-+*]|\d{1,9}[.)])[ \t]+)?\[(?:[^\]\\\n]|\\.){1,999}\]:")


class Cut(NamedTuple):
    at: int
    #: Between two list items: their marker (`-`, `+`, `*`, or `.`, `)` for a numbered
    #: list); ``None`` between blocks.
    item: str | None = None


def lines_with(text: str, needle: str, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
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


def closes(opener: str, line: re.Match[str]) -> bool:
    """Whether a ``FENCE`` line closes the fence that ``opener`` (its marker) opened."""
    marker, rest = line.group(1), line.group(2)
    return marker[0] == opener[0] and len(marker) >= len(opener) and not rest.strip()


def fenced(text: str) -> list[tuple[int, int]]:
    """Where the top-level code fences of ``text`` are, as (start, end) offsets: from the
    start of the opening line to the end of the closing one (or of the text)."""
    found = {m.start(): m for needle in ("```", "~~~") for m in lines_with(text, needle, FENCE)}
    spans: list[tuple[int, int]] = []
    opener: re.Match[str] | None = None
    for start in sorted(found):
        m = found[start]
        marker, rest = m.group(1), m.group(2)
        if opener is None:
            if not (marker[0] == "`" and "`" in rest):  # a backtick fence's info has no backtick
                opener = m
        elif closes(opener.group(1), m):
            spans.append((opener.start(), m.end()))
            opener = None
    if opener is not None:  # an open fence runs to the end
        spans.append((opener.start(), len(text)))
    return spans


def long_fences(text: str, spans: list[tuple[int, int]], longer_than: int) -> list[tuple[int, int]]:
    """The fences longer than ``longer_than`` that open at the start of a line: such a
    fence is a block of the top level (one indented may belong to a list item)."""
    return [(s, e) for s, e in spans if e - s > longer_than and text[s] in "`~"]


def _inside(spans: list[tuple[int, int]], starts: list[int], at: int) -> tuple[int, int] | None:
    i = bisect.bisect_right(starts, at) - 1
    return spans[i] if i >= 0 and spans[i][0] <= at < spans[i][1] else None


class Cutter:
    """Finds the cuts of one text, from a position on (see the module's docstring)."""

    def __init__(self, text: str, spans: list[tuple[int, int]]) -> None:
        self._text = text
        self._spans = spans
        self._starts = [s for s, _ in spans]
        # The last search between blocks: from where, where it stopped, the cut it found.
        self._found: tuple[int, int, int | None] | None = None

    def next(self, pos: int, every: int, items: bool = True) -> Cut | None:
        """The first cut at least ``every`` characters past ``pos`` between blocks, if one
        comes within a quarter of ``every`` more; else the first between list items
        (``items``) half as far on (a list's items take the parser about three times as
        long per character as paragraphs do), if one comes sooner. ``None`` when the rest is
        no longer than ``every`` or has no cut."""
        if len(self._text) - pos <= every:
            return None
        block = self._block_cut(pos + every)
        if block is not None and (not items or block < pos + every + every // 4):
            return Cut(block)
        if items:
            item = self._item_cut(pos + every // 2, len(self._text) if block is None else block)
            if item is not None:
                return item
        return None if block is None else Cut(block)

    def _block_cut(self, start: int) -> int | None:
        found = self._found
        if found is not None and found[0] <= start <= found[1]:
            return found[2]  # the last search passed nothing from here to what it found
        text = self._text
        at = text.find("\n\n", start)
        while at >= 0:
            run = _NEWLINE_RUN.match(text, at)  # "\n\n" at `at`, and any more after it
            end = run.end() if run else at + 2
            fence = _inside(self._spans, self._starts, at)
            if fence is not None:
                at = text.find("\n\n", fence[1])
            elif end < len(text) and not text[end].isspace() and not _LIST_ITEM.match(text, end):
                self._found = (start, at, end)
                return end
            else:
                at = text.find("\n\n", end)
        self._found = (start, len(text), None)
        return None

    def _item_cut(self, start: int, stop: int) -> Cut | None:
        text = self._text
        for m in _ITEM_AFTER_BREAK.finditer(text, max(0, start - 1), stop):
            line = m.end()
            before = text.rfind("\n", 0, m.start()) + 1
            this, last = _ITEM.match(text, line), _ITEM.match(text, before, m.start())
            if this is None or last is None:
                continue
            kind = this.group(1) or this.group(2)
            if kind != (last.group(1) or last.group(2)):
                continue
            end = text.find("\n", line)
            if _BREAK.fullmatch(text, line, len(text) if end < 0 else end) or _BREAK.fullmatch(
                text, before, m.start()
            ):
                continue
            if _inside(self._spans, self._starts, line) is None:
                return Cut(line, kind)
        return None


def cuts(text: str, every: int, spans: list[tuple[int, int]] | None = None) -> list[int]:
    """Offsets that cut ``text`` into parts of about ``every`` characters (the last one is
    ``len(text)``), between blocks or list items; a part may be longer where no cut comes
    sooner. ``spans``: its code fences, if known."""
    cutter = Cutter(text, fenced(text) if spans is None else spans)
    out: list[int] = []
    pos = 0
    while (cut := cutter.next(pos, every)) is not None:
        out.append(pos := cut.at)
    out.append(len(text))
    return out


def definition_blocks(text: str, spans: list[tuple[int, int]]) -> list[str]:
    """The paragraphs of ``text`` that may hold a link reference definition, in order."""
    starts = [s for s, _ in spans]
    blocks: list[str] = []
    seen = -1
    for m in lines_with(text, "]:", _DEFINITION):
        if m.start() < seen or _inside(spans, starts, m.start()) is not None:
            continue
        start = text.rfind("\n\n", 0, m.start()) + 1
        end = text.find("\n\n", m.end())
        seen = len(text) if end < 0 else end
        blocks.append(text[start:seen])
    return blocks
