"""Text that a database can store: lone surrogates replaced by U+FFFD.

Python strings may hold a lone surrogate (``"\\ud800"``, from JSON sent by a browser or from
an app's own code) that no UTF-8 database accepts. The thread writer passes every record
through :func:`storable` before writing it, so one such character costs a replacement
character, not the record and every record queued after it.
"""

from __future__ import annotations

from typing import Any

REPLACEMENT = "\ufffd"


def storable_text(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join(REPLACEMENT if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)
    return text


def storable(value: Any) -> Any:
    """``value`` with every string in it (keys too, in dicts and lists) made storable."""
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [storable(v) for v in value]
    return value
