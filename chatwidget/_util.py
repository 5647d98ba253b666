from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any


def utc_now() -> str:
    """An ISO 8601 timestamp in UTC with millisecond precision, as the reference writes them."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


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
