"""Which way a page of search results is found: a lookup, a walk, or a walk then a lookup.

A lookup costs about the number of matches, wherever they are; a walk costs about the
number of threads passed before the page fills, which is small when matches are common
*among the newest threads* and huge when they are rare or old. Neither is known exactly
before the query runs, so:

* few matches (counted in the full-text index on SQLite, estimated by the planner on
  PostgreSQL): look them up;
* many: walk the next ``WALK_WINDOW`` threads (two windows if the first filled half the
  page); if the page is not full by then, the matches are sparse there, and the rest of
  the page is looked up below that point. Whether more threads follow a full page is
  learnt by a short walk, else by a lookup that stops at the first match it meets.

One user's list counts and looks up that user's matches only (each step carries its
thread's owner, migration 4), so a term common in other users' threads costs that user
little.

A walk's probe reads a thread's messages, so it costs more per thread in long threads.
What stays slow: a term with thousands of matches in the list being paged, none among
its newest threads; the walk finds nothing and the lookup costs every match of the list.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select
from sqlalchemy.ext.asyncio import AsyncSession

from ..types import ThreadFilter
from ._queries import (
    COUNT_MATCHES,
    COUNT_USER_MATCHES,
    ESTIMATE_MATCHES,
    ESTIMATE_USER_MATCHES,
    INDEXES_ARE_CHEAP,
    Key,
    any_thread,
    found_by_lookup,
    found_by_probe,
    fts_phrase,
    indexed,
    like_pattern,
    nth_thread,
    threads_page,
    window_floor,
)
from .models import ThreadRow

#: From this many matches on, a page starts with a walk.
MANY_MATCHES = 1000
#: Threads walked at a time (one or two windows): a walk that finds 21 matches in this many
#: threads is about as fast as a lookup of ``MANY_MATCHES``.
WALK_WINDOW = 1000
#: Threads walked to learn whether more follow a full page, before asking the index.
PEEK_WINDOW = 200


async def _many_matches(session: AsyncSession, dialect: str, term: str, user_id: str | None) -> bool:
    """Whether the list being paged (everyone's, or one user's) holds many matches."""
    if dialect == "sqlite":
        params: dict[str, object] = {"q": fts_phrase(term), "n": MANY_MATCHES}
        if user_id is not None:
            params["user"] = user_id
        count = await session.scalar(COUNT_MATCHES if user_id is None else COUNT_USER_MATCHES, params)
        return (count or 0) >= MANY_MATCHES
    estimate, params = ESTIMATE_MATCHES, {"pattern": like_pattern(term)}
    if user_id is not None:
        estimate, params["user"] = ESTIMATE_USER_MATCHES, user_id
    plan = (await session.execute(estimate, params)).scalar_one()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return float(plan[0]["Plan"]["Plan Rows"]) >= MANY_MATCHES


async def search_page(
    session: AsyncSession, dialect: str, filters: ThreadFilter, after: Key | None, size: int
) -> tuple[list[ThreadRow], bool]:
    """Up to ``size`` threads matching ``filters`` (with a search term) after ``after``, and
    whether more follow."""
    search = _Search(session, dialect, filters, filters.search or "")
    if dialect == "postgresql":
        await session.execute(INDEXES_ARE_CHEAP)
    limit = size + 1  # one more row than the page says whether more follow
    if not indexed(search.term):  # no index can help: walk to the end if need be
        rows = await search.rows(threads_page(filters, after, limit, search.probe))
        return rows[:size], len(rows) > size
    # SQLite's LIKE folds ASCII case only, so only ASCII terms are probed with it.
    walkable = dialect != "sqlite" or search.term.isascii()
    if not walkable or not await _many_matches(session, dialect, search.term, filters.userId):
        rows = await search.rows(threads_page(filters, after, limit, search.lookup))
        return rows[:size], len(rows) > size

    found, position = await search.walk(after, limit, WALK_WINDOW)
    if position is not None and 2 * len(found) >= size > len(found):
        # Half a page in the first window: the rest is likely near.
        more, position = await search.walk(position, limit - len(found), WALK_WINDOW)
        found += more
    if position is not None and len(found) == size:
        # The page is full; whether more follow: where matches are dense, one is met at once.
        more, position = await search.walk(position, 1, PEEK_WINDOW)
        found += more
    if len(found) > size or position is None:
        return found[:size], len(found) > size
    if len(found) == size:
        return found, await session.scalar(any_thread(filters, position, search.lookup)) is not None
    found += await search.rows(threads_page(filters, position, limit - len(found), search.lookup))
    return found[:size], len(found) > size


@dataclass
class _Search:
    session: AsyncSession
    dialect: str
    filters: ThreadFilter
    term: str

    @property
    def probe(self) -> ColumnElement[bool]:
        return found_by_probe(self.dialect, self.term)

    @property
    def lookup(self) -> ColumnElement[bool]:
        return found_by_lookup(self.dialect, self.term, self.filters.userId)

    async def rows(self, query: Select[ThreadRow]) -> list[ThreadRow]:
        return list((await self.session.scalars(query)).all())

    async def walk(self, after: Key | None, limit: int, window: int) -> tuple[list[ThreadRow], Key | None]:
        """Up to ``limit`` matches among the next ``window`` threads after ``after``, and
        where the walk stopped (``None``: at the end of the list)."""
        floor = window_floor(self.filters, after, window)
        rows = await self.rows(threads_page(self.filters, after, limit, self.probe, down_to=floor))
        if len(rows) >= limit:
            return rows, (rows[-1].updated_at, rows[-1].id)
        end = (await self.session.execute(nth_thread(self.filters, after, window))).first()
        return rows, (end[0], end[1]) if end else None
