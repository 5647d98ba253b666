"""One Chainlit row into one chatwidget row, or the reason it cannot be.

Chainlit's SQL data layers store what they were given with few checks: JSON as text (SQLite)
or ``JSONB`` (PostgreSQL), sometimes encoded twice; tags as ``TEXT[]``, a JSON list or a
comma string; booleans as ``0``/``1`` or ``"true"``; timestamps as ISO 8601 text. Each
function here reads such a row leniently where the meaning is clear, and raises
:class:`Skip` with a reason where it is not. Nothing is dropped silently: a value kept in
another form is counted in :class:`Notes`.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from .._convert import timestamp, utc_now

#: The longest values the destination's columns take (``chatwidget.data.sql.models``).
ID_CHARS = 64
LIMITS = {"type": 32, "language": 64, "display": 16, "mime": 255, "size": 16, "identifier": 255}
#: Characters PostgreSQL cannot store in text or JSONB; replaced so that the text is kept.
NUL, REPLACEMENT = "\x00", "\ufffd"


def timestamp_now() -> str:
    return utc_now()


class Skip(Exception):  # noqa: N818 - a row to skip, with the reason: not an error of the import
    """This row cannot be imported; the message says why."""


class Notes(Counter[str]):
    """How many values were kept in another form, by what was done."""


def text_value(value: Any, notes: Notes) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    if NUL in text:
        notes["NUL characters in text replaced by U+FFFD"] += 1
        text = text.replace(NUL, REPLACEMENT)
    return text


def identifier(value: Any, what: str) -> str:
    """An id as text (a PostgreSQL ``UUID`` comes as an object); ``Skip`` if unusable."""
    if value is None or str(value) == "":
        raise Skip(f"no {what}")
    text = str(value)
    if len(text) > ID_CHARS:
        raise Skip(f"{what} longer than {ID_CHARS} characters")
    if NUL in text:
        raise Skip(f"{what} contains a NUL character")
    return text


def optional_id(value: Any, what: str) -> str | None:
    return None if value is None or str(value) == "" else identifier(value, what)


def limited(value: Any, column: str, notes: Notes) -> str | None:
    text = text_value(value, notes)
    if text is not None and len(text) > LIMITS[column]:
        raise Skip(f"{column} longer than {LIMITS[column]} characters")
    return text


def when(value: Any, what: str) -> str | None:
    """A canonical timestamp, or ``None`` for no value; ``Skip`` for one that is not a time."""
    if value is None or value == "":
        return None
    try:
        return timestamp(str(value))
    except ValueError as exc:
        raise Skip(f"invalid {what} {str(value)[:40]!r} (want ISO 8601)") from exc


def json_value(value: Any, notes: Notes) -> Any:
    """JSON from a column: decoded if it is text (twice, if it was encoded twice)."""
    for _ in range(2):
        if not isinstance(value, str):
            break
        try:
            value = json.loads(value)
        except ValueError:
            notes["JSON text that did not parse kept as a string"] += 1
            break
    return _without_nul(value, notes)


def _without_nul(value: Any, notes: Notes) -> Any:
    if isinstance(value, str):
        return text_value(value, notes)
    if isinstance(value, list):
        return [_without_nul(v, notes) for v in value]
    if isinstance(value, dict):
        return {str(text_value(k, notes)): _without_nul(v, notes) for k, v in value.items()}
    if isinstance(value, float) and value != value:  # NaN has no JSON form
        notes["NaN in JSON kept as null"] += 1
        return None
    return value


def json_object(value: Any, what: str, notes: Notes) -> dict[str, Any]:
    """A JSON object; any other JSON value is kept, under ``chainlit_<what>``."""
    decoded = json_value(value, notes)
    if decoded is None:
        return {}
    if isinstance(decoded, dict):
        return decoded
    notes[f"{what} that was not a JSON object kept under 'chainlit_{what}'"] += 1
    return {f"chainlit_{what}": decoded}


def tags(value: Any, notes: Notes) -> list[str] | None:
    """``TEXT[]`` (a list), a JSON list, PostgreSQL's ``{a,b}`` text, or one tag."""
    if value is None:
        return None
    decoded = json_value(value, notes) if isinstance(value, str) else value
    if isinstance(decoded, str):
        text = decoded.strip()
        if text.startswith("{") and text.endswith("}"):
            decoded = [t.strip().strip('"') for t in text[1:-1].split(",") if t.strip()]
        else:
            decoded = [text] if text else []
    if not isinstance(decoded, list):
        decoded = [decoded]
    return [str(text_value(t, notes)) for t in decoded if t is not None]


def boolean(value: Any) -> bool | None:
    """``True``/``False`` from a boolean, ``0``/``1`` or their text; ``None`` otherwise."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "t", "1", "false", "f", "0"):
        return value.strip().lower() in ("true", "t", "1")
    return None


def show_input(value: Any) -> bool | str | None:
    """Chainlit's ``showInput`` text: ``"true"``/``"false"``, or a language such as ``"json"``."""
    flag = boolean(value)
    if flag is not None or value is None:
        return flag
    return str(value)


def integer(value: Any, what: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise Skip(f"{what} {str(value)[:20]!r} is not a number") from exc


def web_url(value: Any, notes: Notes) -> str | None:
    """An http(s) URL, kept as a link; any other scheme is dropped (it could run script)."""
    if value is None or value == "":
        return None
    text = str(value)
    if urlsplit(text).scheme.lower() in ("http", "https"):
        return text
    notes["element URLs that were not http(s) dropped"] += 1
    return None


# -- the five tables ------------------------------------------------------------------


def user(row: dict[str, Any], identifier_for: dict[str, str], prefix: str, notes: Notes) -> dict[str, Any]:
    """A ``users`` row; its ``identifier`` is mapped (``identifier_for``, else ``prefix``)."""
    source_identifier = text_value(row.get("identifier"), notes)
    if not source_identifier:
        raise Skip("no identifier")
    mapped = identifier_for.get(source_identifier, prefix + source_identifier)
    if len(mapped) > LIMITS["identifier"]:
        raise Skip(f"identifier longer than {LIMITS['identifier']} characters")
    metadata = json_object(row.get("metadata"), "metadata", notes)
    name = metadata.get("display_name") or metadata.get("name")
    return {
        "id": optional_id(row.get("id"), "id") or str(uuid.uuid4()),
        "identifier": mapped,
        "display_name": name if isinstance(name, str) else None,
        "metadata": metadata,
        "created_at": when(row.get("createdAt"), "createdAt"),
    }


def thread(row: dict[str, Any], notes: Notes) -> dict[str, Any]:
    """A ``threads`` row, owner and ``updated_at`` left to the caller."""
    metadata = json_object(row.get("metadata"), "metadata", notes)
    shared = metadata.pop("is_shared", None) is True
    shared_at = metadata.pop("shared_at", None)
    return {
        "id": identifier(row.get("id"), "id"),
        "created_at": when(row.get("createdAt"), "createdAt"),
        "name": text_value(row.get("name"), notes),
        "tags": tags(row.get("tags"), notes),
        "metadata": metadata,
        "is_shared": shared,
        "shared_at": when(shared_at, "shared_at") if shared else None,
    }


def step(row: dict[str, Any], thread_id: str, thread_created: str | None, notes: Notes) -> dict[str, Any]:
    created = when(row.get("createdAt"), "createdAt")
    start, end = when(row.get("start"), "start"), when(row.get("end"), "end")
    if created is None:
        created = start or end or thread_created
        if created is None:
            raise Skip("no createdAt, start or end, and its thread has no createdAt")
        notes["steps without createdAt given their start (or their thread's) time"] += 1
    generation = json_value(row.get("generation"), notes)
    if generation is not None and not isinstance(generation, dict):
        notes["generation that was not a JSON object kept under 'chainlit_generation'"] += 1
        generation = {"chainlit_generation": generation}
    metadata = row.get("metadata")
    return {
        "id": identifier(row.get("id"), "id"),
        "thread_id": thread_id,
        "parent_id": optional_id(row.get("parentId"), "parentId"),
        "name": text_value(row.get("name"), notes),
        "type": limited(row.get("type"), "type", notes) or "undefined",
        "streaming": boolean(row.get("streaming")),
        "metadata": None if metadata is None else json_object(metadata, "metadata", notes),
        "tags": tags(row.get("tags"), notes),
        "input": text_value(row.get("input"), notes),
        "output": text_value(row.get("output"), notes),
        "is_error": boolean(row.get("isError")),
        "created_at": created,
        "start_time": start,
        "end_time": end,
        "language": limited(row.get("language"), "language", notes),
        "default_open": boolean(row.get("defaultOpen")),
        "show_input": show_input(row.get("showInput")),
        "generation": generation,
        "command": text_value(row.get("command"), notes),
    }


def element(row: dict[str, Any], thread_id: str, notes: Notes) -> dict[str, Any]:
    """An ``elements`` row without its bytes (``object_key`` and ``url`` are the caller's)."""
    props = row.get("props")
    return {
        "id": identifier(row.get("id"), "id"),
        "thread_id": thread_id,
        "for_id": optional_id(row.get("forId"), "forId"),
        "type": limited(row.get("type"), "type", notes),
        "name": text_value(row.get("name"), notes),
        "display": limited(row.get("display"), "display", notes),
        "mime": limited(row.get("mime"), "mime", notes),
        "size": limited(row.get("size"), "size", notes),
        "language": limited(row.get("language"), "language", notes),
        "page": integer(row.get("page"), "page"),
        "props": None if props is None else json_object(props, "props", notes),
    }


def feedback(row: dict[str, Any], thread_id: str, notes: Notes) -> dict[str, Any]:
    value = integer(row.get("value"), "value")
    if value == -1:  # Chainlit 1.x: -1 was negative, 1 positive
        notes["feedback values -1 (Chainlit 1.x) stored as 0 (negative)"] += 1
        value = 0
    if value not in (0, 1):
        raise Skip(f"value {row.get('value')!r} is not 0 or 1")
    return {
        "id": optional_id(row.get("id"), "id") or str(uuid.uuid4()),
        "for_id": identifier(row.get("forId"), "forId"),
        "thread_id": thread_id,
        "value": value,
        "comment": text_value(row.get("comment"), notes),
    }
