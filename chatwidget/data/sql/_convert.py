"""Mapping between the API shapes (``StepDict``, ``ThreadDict``...) and rows."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime, timezone
from typing import Any, cast

from ..types import ElementDict, StepDict, ThreadDict
from .models import ElementRow, ThreadRow

#: StepDict key -> steps column (attribute) name; ``slot`` is wire-only and not stored.
STEP_COLUMNS: dict[str, str] = {
    "threadId": "thread_id",
    "parentId": "parent_id",
    "name": "name",
    "type": "type",
    "streaming": "streaming",
    "metadata": "metadata",
    "tags": "tags",
    "input": "input",
    "output": "output",
    "isError": "is_error",
    "createdAt": "created_at",
    "start": "start_time",
    "end": "end_time",
    "language": "language",
    "defaultOpen": "default_open",
    "showInput": "show_input",
    "generation": "generation",
    "command": "command",
    "icon": "icon",
    "autoCollapse": "auto_collapse",
}
_TIMESTAMP_KEYS = ("createdAt", "start", "end")


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def timestamp(value: str | None) -> str | None:
    """The canonical form ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (UTC) of an ISO 8601 timestamp."""
    if value is None:
        return None
    if len(value) == 24 and value[10] == "T" and value[19] == "." and value[23] == "Z":
        return value  # already canonical: the kernel's own form, the common case
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"invalid timestamp {str(value)[:40]!r} (want ISO 8601)") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def step_row(step: StepDict) -> tuple[dict[str, Any], frozenset[str]]:
    """Column values for a step, and the columns an existing row takes from them.

    Only the keys present in ``step`` update a stored step; ``created_at`` and ``type``
    get defaults (``start``, else now; ``"undefined"``) that only a new row takes.
    """
    if not step.get("id"):
        raise ValueError("a step needs an 'id'")
    if not step.get("threadId"):
        raise ValueError(f"step {step['id']!r} has no 'threadId'")
    data = cast(dict[str, Any], step)
    if data.get("icon") is not None and not isinstance(data["icon"], str):
        raise ValueError(f"step {step['id']!r}: 'icon' must be a string")
    row: dict[str, Any] = {"id": data["id"]}
    for key, column in STEP_COLUMNS.items():
        if key in data:
            value = data[key]
            row[column] = timestamp(value) if key in _TIMESTAMP_KEYS else value
    if row.get("created_at") is None:
        row.pop("created_at", None)
    if row.get("type") is None:
        row.pop("type", None)
    updates = frozenset(row) - {"id"}
    row.setdefault("created_at", row.get("start_time") or utc_now())
    row.setdefault("type", "undefined")
    return row, updates


def element_dict(row: ElementRow) -> ElementDict:
    return {
        "id": row.id,
        "threadId": row.thread_id,
        "forId": row.for_id,
        "type": row.type or "file",
        "name": row.name or "",
        "display": row.display or "inline",
        "mime": row.mime,
        "size": row.size,
        "language": row.language,
        "page": row.page,
        "props": row.props,
        "objectKey": row.object_key,
        "url": row.url,
    }


def thread_dict(row: ThreadRow) -> ThreadDict:
    metadata = dict(row.metadata_ or {})
    metadata["is_shared"] = bool(row.is_shared)
    metadata["shared_at"] = row.shared_at
    if row.app is not None:
        metadata["app"] = row.app
    return {
        "id": row.id,
        "createdAt": row.created_at,
        "updatedAt": row.updated_at,
        "name": row.name,
        "userId": row.user_id,
        "userIdentifier": row.user_identifier,
        "tags": row.tags,
        "metadata": metadata,
    }


def encode_cursor(updated_at: str, thread_id: str) -> str:
    raw = json.dumps([updated_at, thread_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    """The sort key in a cursor from :func:`encode_cursor`; ``ValueError`` if it is not one."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise ValueError("invalid pagination cursor") from exc
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
        raise ValueError("invalid pagination cursor")
    return value[0], value[1]
