"""``get_thread`` read fast: plain SQL, raw values, one small function per step.

A thread of thousands of steps is bound by per-row work in Python. So the steps are read
with their feedback in one statement of plain columns (no ORM objects, no result
processing: JSON columns come as text on both backends, ``::text`` on PostgreSQL, which
also spares asyncpg's per-value JSON decoding; on SQLite the rows come straight from the
driver as tuples, see :func:`_rows`), and each row becomes a ``StepDict``
in :func:`_steps`; the JSON values almost always are ``{}`` or ``null``, which are not
parsed.

A page of steps is the newest ``limit`` steps before a position (or the newest of all), in
creation order, with the elements of those steps. The position ``(created_at, pk)`` is
served by the index ``(thread_id, created_at, pk)``, so the newest page of a long thread
costs what a short thread costs; one row more than the page says whether older steps exist.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from ..types import ElementDict, StepDict, ThreadDict

#: A position in a thread's steps: ``(created_at, pk)`` of a step.
StepKey = tuple[str, int]

_THREAD = (
    "SELECT id, created_at, updated_at, name, user_id, user_identifier, tags{j}, metadata{j}, "
    "is_shared, shared_at, app FROM threads WHERE id = :thread_id"
)
_STEP_COLUMNS = (
    "s.id, s.thread_id, s.parent_id, s.name, s.type, s.streaming, s.metadata{j}, s.tags{j}, "
    "s.input, s.output, s.is_error, s.created_at, s.start_time, s.end_time, s.language, "
    "s.default_open, s.show_input{j}, s.generation{j}, s.command, s.icon, s.auto_collapse, "
    "f.id, f.value, f.comment, s.pk"
)
_STEPS = (
    "SELECT {columns} FROM steps s LEFT JOIN feedbacks f ON f.for_id = s.id WHERE s.thread_id = :thread_id"
)
#: The page is cut before the join: a plan that joins first would read every step of the thread.
_PAGE = (
    "SELECT {columns} FROM (SELECT * FROM steps s WHERE s.thread_id = :thread_id{after} "
    "ORDER BY s.created_at DESC, s.pk DESC LIMIT :limit) s LEFT JOIN feedbacks f ON f.for_id = s.id "
    "ORDER BY s.created_at DESC, s.pk DESC"
)
_ELEMENTS = (
    "SELECT e.id, e.thread_id, e.for_id, e.type, e.name, e.display, e.mime, e.size, e.language, "
    "e.page, e.props{j}, e.object_key, e.url FROM elements e"
)
_BEFORE = " AND (s.created_at, s.pk) < (:before_at, :before_pk)"
#: How many steps lie before a page: counted on the index, no row is read.
_OLDER_COUNT = text(
    "SELECT count(*) FROM steps s WHERE s.thread_id = :thread_id"
    " AND (s.created_at, s.pk) < (:oldest_at, :oldest_pk)"
)


@cache
def _statements(dialect: str, paged: bool, before: bool) -> tuple[str, str, str]:
    j = "::text" if dialect == "postgresql" else ""
    columns = _STEP_COLUMNS.format(j=j)
    thread = _THREAD.format(j=j)
    after = _BEFORE if before else ""
    if not paged:
        steps = _STEPS.format(columns=columns) + " ORDER BY s.created_at, s.pk"
        elements = _ELEMENTS.format(j=j) + " WHERE e.thread_id = :thread_id ORDER BY e.id"
        return thread, steps, elements
    steps = _PAGE.format(columns=columns, after=after)
    # the elements of the page's steps: those whose step lies in the page's range
    elements = (
        _ELEMENTS.format(j=j) + " JOIN steps s ON s.id = e.for_id WHERE e.thread_id = :thread_id "
        "AND s.thread_id = :thread_id AND (s.created_at, s.pk) >= (:oldest_at, :oldest_pk)"
        + after
        + " ORDER BY e.id"
    )
    return thread, steps, elements


_text = cache(text)


async def _rows(session: AsyncSession, dialect: str, sql: str, params: dict[str, Any]) -> Sequence[Any]:
    """The rows of ``sql``, in the session's transaction, as plain tuples.

    On SQLite they come from the driver itself: SQLAlchemy would wrap each of a long
    thread's thousands of rows in a ``Row`` first, a third of the read's time. The
    session's connection is taken first, so its ``BEGIN`` has run (see ``engine.py``).
    """
    if dialect == "sqlite":
        connection = await (await session.connection()).get_raw_connection()
        driver = connection.driver_connection
        if driver is not None:
            async with driver.execute(sql, params) as cursor:
                return list(await cursor.fetchall())
    return (await session.execute(_text(sql), params)).all()


_loads = json.loads
#: JSON values common in ``show_input`` and the like, decoded once (immutable, so shared).
_SCALARS: dict[str, Any] = {"true": True, "false": False, '"json"': "json", '"text"': "text", "null": None}


def _json(value: str | None) -> Any:
    if value is None or value == "null":
        return None
    if value == "{}":
        return {}
    return _loads(value)


def _bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _steps(rows: Sequence[Any]) -> list[StepDict]:
    """``StepDict`` of each row: one loop, no call per row (this is the hot part of a read)."""
    loads, scalars = json.loads, _SCALARS
    nothing = (None, "null")
    steps: list[StepDict] = []
    append = steps.append
    for (step_id, thread_id, parent_id, name, kind, streaming, metadata, tags, input_, output, is_error,
         created_at, start, end, language, default_open, show_input, generation, command, icon, auto_collapse,
         feedback_id, feedback_value, feedback_comment, _pk) in rows:  # fmt: skip
        step: StepDict = {
            "id": step_id,
            "threadId": thread_id,
            "parentId": parent_id,
            "name": name or "",
            "type": kind,
            "streaming": bool(streaming),
            "metadata": {} if metadata == "{}" or metadata in nothing else loads(metadata),
            "tags": None if tags in nothing else loads(tags),
            "input": input_ or "",
            "output": output or "",
            "isError": None if is_error is None else bool(is_error),
            "createdAt": created_at,
            "start": start,
            "end": end,
            "language": language,
            "defaultOpen": None if default_open is None else bool(default_open),
            "showInput": None
            if show_input is None
            else scalars[show_input]
            if show_input in scalars
            else loads(show_input),
            "generation": None if generation in nothing else loads(generation),
        }
        if command is not None:
            step["command"] = command
        if icon is not None:
            step["icon"] = icon
        if auto_collapse:
            step["autoCollapse"] = True
        if feedback_id is not None:
            step["feedback"] = {  # type: ignore[typeddict-unknown-key]
                "id": feedback_id,
                "forId": step_id,
                "threadId": thread_id,
                "value": 1 if feedback_value else 0,
                "comment": feedback_comment,
            }
        append(step)
    return steps


def _element(row: Any) -> ElementDict:
    (element_id, thread_id, for_id, kind, name, display, mime, size, language, page, props,
     object_key, url) = row  # fmt: skip
    return {
        "id": element_id,
        "threadId": thread_id,
        "forId": for_id,
        "type": kind or "file",
        "name": name or "",
        "display": display or "inline",
        "mime": mime,
        "size": size,
        "language": language,
        "page": page,
        "props": _json(props),
        "objectKey": object_key,
        "url": url,
    }


def _thread(row: Any) -> ThreadDict:
    (
        thread_id,
        created_at,
        updated_at,
        name,
        user_id,
        user_identifier,
        tags,
        metadata,
        shared,
        shared_at,
        app,
    ) = row
    merged = dict(_json(metadata) or {})
    merged["is_shared"] = bool(shared)
    merged["shared_at"] = shared_at
    if app is not None:
        merged["app"] = app
    return {
        "id": thread_id,
        "createdAt": created_at,
        "updatedAt": updated_at,
        "name": name,
        "userId": user_id,
        "userIdentifier": user_identifier,
        "tags": _json(tags),
        "metadata": merged,
    }


@dataclass
class ThreadRead:
    """A thread as read, and the position of its oldest step read when older ones exist
    (with how many they are)."""

    thread: ThreadDict
    older: StepKey | None
    older_count: int = 0


async def read_thread(
    session: AsyncSession, dialect: str, thread_id: str, limit: int | None, before: StepKey | None
) -> ThreadRead | None:
    """The thread with all its steps (``limit=None``), or with the newest ``limit`` before
    ``before``; ``None`` if there is no such thread."""
    thread_sql, steps_sql, elements_sql = _statements(dialect, limit is not None, before is not None)
    params: dict[str, Any] = {"thread_id": thread_id}
    if before is not None:
        params["before_at"], params["before_pk"] = before
    found = await _rows(session, dialect, thread_sql, params)
    if not found:
        return None
    thread = _thread(found[0])
    if limit is None:
        rows = await _rows(session, dialect, steps_sql, params)
        older = None
    else:
        rows = list(await _rows(session, dialect, steps_sql, {**params, "limit": limit + 1}))
        older_exists = len(rows) > limit
        rows = rows[:limit][::-1]
        older = (rows[0][11], rows[0][-1]) if older_exists else None
    thread["steps"] = _steps(rows)
    older_count = 0
    if limit is not None and not rows:
        thread["elements"] = []
    else:
        if limit is not None:
            params["oldest_at"], params["oldest_pk"] = rows[0][11], rows[0][-1]
        thread["elements"] = [_element(r) for r in await _rows(session, dialect, elements_sql, params)]
        if older is not None:
            older_count = int((await session.execute(_OLDER_COUNT, params)).scalar_one())
    return ThreadRead(thread=thread, older=older, older_count=older_count)
