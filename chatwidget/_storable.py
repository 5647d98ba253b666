"""Text that a database can store: lone surrogates and NUL characters replaced by U+FFFD.

Python strings may hold a lone surrogate (``"\\ud800"``, from JSON sent by a browser or from
an app's own code) that no UTF-8 database accepts, or a NUL (``"\\x00"``) that PostgreSQL
refuses in ``TEXT`` and ``JSONB``. Requests from the browser are made storable when they
arrive (:func:`replace_unstorable`; the reply tells the user, see :func:`notice`), and the
thread writer passes every record through :func:`storable` before writing it, so such a
character costs a replacement character, not the record and every record queued after it.
"""

from __future__ import annotations

from typing import Any

REPLACEMENT = "\ufffd"
NUL = "\x00"


def _is_surrogate(char: str) -> bool:
    return "\ud800" <= char <= "\udfff"


def _replaced_text(text: str) -> tuple[str, int]:
    """``text`` made storable, and how many characters were replaced."""
    replaced = text.count(NUL)
    if replaced:
        text = text.replace(NUL, REPLACEMENT)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        replaced += sum(map(_is_surrogate, text))
        text = "".join(REPLACEMENT if _is_surrogate(c) else c for c in text)
    return text, replaced


def replace_unstorable(value: Any) -> tuple[Any, int]:
    """``value`` with every string in it (keys too, in dicts and lists) made storable, and
    how many characters were replaced."""
    if isinstance(value, str):
        return _replaced_text(value)
    if isinstance(value, dict):
        pairs = [(replace_unstorable(k), replace_unstorable(v)) for k, v in value.items()]
        return {k: v for (k, _), (v, _) in pairs}, sum(a + b for (_, a), (_, b) in pairs)
    if isinstance(value, (list, tuple)):
        items = [replace_unstorable(v) for v in value]
        return [v for v, _ in items], sum(n for _, n in items)
    return value, 0


def storable(value: Any) -> Any:
    """``value`` with every string in it (keys too, in dicts and lists) made storable."""
    return replace_unstorable(value)[0]


def notice(replaced: int) -> str:
    """What the user is told when ``replaced`` characters of a request were replaced."""
    if replaced == 1:
        return f"1 character that could not be stored was replaced by {REPLACEMENT}"
    return f"{replaced} characters that could not be stored were replaced by {REPLACEMENT}"
