"""Text from the browser made storable: a lone surrogate is replaced, and the caller says so.

JSON can carry ``"\\ud800"``, which Python decodes into a ``str`` that no UTF-8 database
accepts: stored as it is, the write fails (a 500, or a writer that stops). Such code points
become U+FFFD before anything is stored, and the answer tells the client what was changed.
"""

from __future__ import annotations

REPLACEMENT = "\ufffd"
NOTICE = "characters that cannot be stored (lone surrogates) were replaced with U+FFFD"


def storable(text: str) -> tuple[str, bool]:
    """``text`` with every lone surrogate replaced by U+FFFD, and whether any was."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join(REPLACEMENT if 0xD800 <= ord(c) <= 0xDFFF else c for c in text), True
    return text, False
