"""``get_thread`` read fast: plain SQL, few columns, raw values, one loop over the steps.

A thread of thousands of steps is bound by per-value work in Python: every column of every
row costs about as much as building a small object, even a NULL. So the steps are read in
one statement of few columns (no ORM objects, no result processing; on both backends the
rows come straight from the driver, see :class:`_Reader`), and their feedback in another:

* the thread's id is not read again for each step;
* the four flags are one integer (``_FLAGS`` decodes it);
* the values most steps lack (tags, generation, command, icon) are one column:
  NULL when all are empty, else a JSON array of them;
* JSON columns come as text on both backends (``::text`` on PostgreSQL, which also spares
  asyncpg's per-value JSON decoding); the common ``{}`` and ``null`` are not parsed.

A page of steps is the newest ``limit`` steps before a position (or the newest of all), in
creation order, with the elements of those steps. The position ``(created_at, pk)`` is
served by the index ``(thread_id, created_at, pk)``, so the newest page of a long thread
costs what a short thread costs; one row more than the page says whether older steps exist.
"""

from __future__ import annotations

import json
import re
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
#: Each row: id, parent, name, type, flags, metadata, input, output, created, start, end,
#: language, show_input, extras, pk. ``{j}``: JSON as text; ``{i}``: a boolean as an integer.
_STEP_COLUMNS = (
    "s.id, s.parent_id, s.name, s.type, "
    "coalesce(s.streaming{i}, 0) + 2 * coalesce(s.is_error{i} + 1, 0) "
    "+ 6 * coalesce(s.default_open{i} + 1, 0) + 18 * coalesce(s.auto_collapse{i}, 0), "
    "s.metadata{j}, s.input, s.output, s.created_at, s.start_time, s.end_time, s.language, s.show_input{j}, "
    "CASE WHEN coalesce(s.tags{j}, 'null') = 'null' AND coalesce(s.generation{j}, 'null') = 'null' "
    "AND s.command IS NULL AND s.icon IS NULL THEN NULL "
    "ELSE {array}({tags}, {generation}, s.command, s.icon){j} END, "
    "s.pk"
)
_CREATED = 8  # the column of created_at
#: ``flags`` → (streaming, is_error, default_open, auto_collapse); the middle two may be NULL.
_FLAGS = [
    (bool(streaming), is_error, default_open, bool(collapse))
    for collapse in (0, 1)
    for default_open in (None, False, True)
    for is_error in (None, False, True)
    for streaming in (0, 1)
]
_STEPS = "SELECT {columns} FROM steps s WHERE s.thread_id = :thread_id ORDER BY s.created_at, s.pk"
_PAGE = (
    "SELECT {columns} FROM steps s WHERE s.thread_id = :thread_id{after} "
    "ORDER BY s.created_at DESC, s.pk DESC LIMIT :limit"
)
_ELEMENTS = (
    "SELECT e.id, e.thread_id, e.for_id, e.type, e.name, e.display, e.mime, e.size, e.language, "
    "e.page, e.props{j}, e.object_key, e.url FROM elements e"
)
#: Feedback is read on its own rather than joined to the steps: few steps have one, and
#: the join cost about a tenth of a long thread's read (3 ms of 5,000 steps).
_FEEDBACK = "SELECT f.for_id, f.id, f.value, f.comment FROM feedbacks f"
#: What ties the elements (``e``) or feedback (``f``) of a page to the page's steps.
_IN_PAGE = (
    " JOIN steps s ON s.id = {t}.for_id WHERE {t}.thread_id = :thread_id "
    "AND s.thread_id = :thread_id AND (s.created_at, s.pk) >= (:oldest_at, :oldest_pk)"
)
_BEFORE = " AND (s.created_at, s.pk) < (:before_at, :before_pk)"
#: How many steps lie before a page: counted on the index, no row is read.
_OLDER_COUNT = text(
    "SELECT count(*) FROM steps s WHERE s.thread_id = :thread_id"
    " AND (s.created_at, s.pk) < (:oldest_at, :oldest_pk)"
)


@dataclass(frozen=True)
class _Statements:
    thread: str
    steps: str
    elements: str
    feedback: str


@cache
def _statements(dialect: str, paged: bool, before: bool) -> _Statements:
    postgres = dialect == "postgresql"
    j = "::text" if postgres else ""
    # PostgreSQL's JSON columns go into the array as JSON; SQLite's are text that json() reads.
    columns = _STEP_COLUMNS.format(
        j=j,
        i="::int" if postgres else "",
        array="json_build_array" if postgres else "json_array",
        tags="s.tags" if postgres else "json(s.tags)",
        generation="s.generation" if postgres else "json(s.generation)",
    )
    elements = _ELEMENTS.format(j=j)
    if not paged:
        return _Statements(
            thread=_THREAD.format(j=j),
            steps=_STEPS.format(columns=columns),
            elements=elements + " WHERE e.thread_id = :thread_id ORDER BY e.id",
            feedback=_FEEDBACK + " WHERE f.thread_id = :thread_id",
        )
    after = _BEFORE if before else ""
    return _Statements(
        thread=_THREAD.format(j=j),
        steps=_PAGE.format(columns=columns, after=after),
        elements=elements + _IN_PAGE.format(t="e") + after + " ORDER BY e.id",
        feedback=_FEEDBACK + _IN_PAGE.format(t="f") + after,
    )


_text = cache(text)


@cache
def _numbered(sql: str) -> tuple[str, tuple[str, ...]]:
    """``sql`` with asyncpg's ``$1, $2…`` for its ``:name`` parameters, and the names in order
    (``::text`` casts are not parameters)."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match[1] not in names:
            names.append(match[1])
        return f"${names.index(match[1]) + 1}"

    return re.sub(r"(?<!:):(\w+)", number, sql), tuple(names)


class _Reader:
    """Runs the read's statements in the session's transaction and returns plain rows.

    The first statement goes through SQLAlchemy, which begins the transaction (asyncpg's
    adapter begins it only on a first statement). The others go to the driver itself:
    SQLAlchemy would wrap each of a long thread's thousands of rows in a ``Row`` first, a
    third of the read's time.
    """

    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self._session = session
        self._dialect = dialect
        self._begun = False
        self._driver: Any = None  # the driver's own connection, once the transaction has begun

    async def rows(self, sql: str, params: dict[str, Any]) -> Sequence[Any]:
        if self._driver is not None and self._dialect == "postgresql":
            numbered, names = _numbered(sql)
            records: Sequence[Any] = await self._driver.fetch(numbered, *(params[name] for name in names))
            return records
        if self._driver is not None and self._dialect == "sqlite":
            async with self._driver.execute(sql, params) as cursor:
                return list(await cursor.fetchall())
        found = (await self._session.execute(_text(sql), params)).all()
        if not self._begun:
            self._begun = True
            raw = await (await self._session.connection()).get_raw_connection()
            self._driver = raw.driver_connection
        return found


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


def _steps(rows: Sequence[Any], thread_id: str) -> list[StepDict]:
    """``StepDict`` of each row: one loop, no call per row (this is the hot part of a read)."""
    loads, scalars, flag_values = json.loads, _SCALARS, _FLAGS
    steps: list[StepDict] = []
    append = steps.append
    for (step_id, parent_id, name, kind, flags, metadata, input_, output, created_at, start, end, language,
         show_input, extras, _pk) in rows:  # fmt: skip
        streaming, is_error, default_open, auto_collapse = flag_values[flags]
        step: StepDict = {
            "id": step_id,
            "threadId": thread_id,
            "parentId": parent_id,
            "name": name or "",
            "type": kind,
            "streaming": streaming,
            "metadata": {} if metadata == "{}" or metadata is None or metadata == "null" else loads(metadata),
            "tags": None,
            "input": input_ or "",
            "output": output or "",
            "isError": is_error,
            "createdAt": created_at,
            "start": start,
            "end": end,
            "language": language,
            "defaultOpen": default_open,
            "showInput": None
            if show_input is None
            else scalars[show_input]
            if show_input in scalars
            else loads(show_input),
            "generation": None,
        }
        if auto_collapse:
            step["autoCollapse"] = True
        if extras is not None:
            _add_extras(step, loads(extras))
        append(step)
    return steps


def _add_extras(step: StepDict, extras: list[Any]) -> None:
    """The values few steps have, read from their one JSON column."""
    tags, generation, command, icon = extras
    step["tags"] = tags
    step["generation"] = generation
    if command is not None:
        step["command"] = command
    if icon is not None:
        step["icon"] = icon


def _add_feedback(steps: list[StepDict], rows: Sequence[Any]) -> None:
    """Each feedback on its step."""
    by_id = {step["id"]: step for step in steps}
    for for_id, feedback_id, value, comment in rows:
        step = by_id.get(for_id)
        if step is not None:
            step["feedback"] = {  # type: ignore[typeddict-unknown-key]
                "id": feedback_id,
                "forId": for_id,
                "threadId": step["threadId"],
                "value": 1 if value else 0,
                "comment": comment,
            }


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
    sql = _statements(dialect, limit is not None, before is not None)
    params: dict[str, Any] = {"thread_id": thread_id}
    if before is not None:
        params["before_at"], params["before_pk"] = before
    reader = _Reader(session, dialect)
    found = await reader.rows(sql.thread, params)
    if not found:
        return None
    thread = _thread(found[0])
    if limit is None:
        rows = await reader.rows(sql.steps, params)
        older = None
    else:
        rows = list(await reader.rows(sql.steps, {**params, "limit": limit + 1}))
        older_exists = len(rows) > limit
        rows = rows[:limit][::-1]
        older = (rows[0][_CREATED], rows[0][-1]) if older_exists else None
    steps = thread["steps"] = _steps(rows, thread_id)
    older_count = 0
    if limit is not None and not rows:
        thread["elements"] = []
    else:
        if limit is not None:
            params["oldest_at"], params["oldest_pk"] = rows[0][_CREATED], rows[0][-1]
        _add_feedback(steps, await reader.rows(sql.feedback, params))
        thread["elements"] = [_element(r) for r in await reader.rows(sql.elements, params)]
        if older is not None:
            older_count = int((await session.execute(_OLDER_COUNT, params)).scalar_one())
    return ThreadRead(thread=thread, older=older, older_count=older_count)
