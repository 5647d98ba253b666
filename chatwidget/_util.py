from __future__ import annotations

import json
from typing import Any

from .data.types import utc_now

__all__ = ["to_text", "utc_now"]


def to_text(value: Any) -> tuple[str, str | None]:
    """Text for a step's input or output, and the language it should be shown in."""
    if isinstance(value, str):
        return value, None
    if value is None:
        return "", None
    try:
        return json.dumps(value, indent=4, ensure_ascii=False, default=str), "json"
    except (TypeError, ValueError):
        return str(value), None
