"""Which way a page of search results is found: a lookup, a walk, or a walk then a lookup.

A lookup costs about the number of matches, wherever they are; a walk costs about the
number of threads passed before the page fills, which is small when matches are common
*among the newest threads* and huge when they are rare or old. Neither is known exactly
before the query runs, so:

* few matches (counted in the full-text index on SQLite, estimated by the planner on
  PostgreSQL): look them up;
* many: walk the next ``WALK_WINDOW`` threads (two windows if the first filled half the
  page); if the page is not full by then, the matches are sparse there, and the rest of
  the page is looked up below that point.

A walk's probe reads a thread's messages, so it costs more per thread in long threads.
What stays slow (``benchmarks/storage.py``, 100,000 threads): a term with thousands of
matches, none among the newest threads of the list being paged (often one user's list
while the term is common in other users' threads): the walk finds nothing and the lookup
costs every match.
"""

from __future__ import annotations

import json

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from ..types import ThreadFilter
from ._queries import (
    COUNT_MATCHES,
    ESTIMATE_MATCHES,
    Key,
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


async def _many_matches(session: AsyncSession, dialect: str, term: str) -> bool:
    if dialect == "sqlite":
        count = await session.scalar(COUNT_MATCHES, {"q": fts_phrase(term), "n": MANY_MATCHES})
        return (count or 0) >= MANY_MATCHES
    plan = (await session.execute(ESTIMATE_MATCHES, {"pattern": like_pattern(term)})).scalar_one()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return float(plan[0]["Plan"]["Plan Rows"]) >= MANY_MATCHES


async def _rows(session: AsyncSession, query: Select[ThreadRow]) -> list[ThreadRow]:
    return list((await session.scalars(query)).all())


async def search_page(
    session: AsyncSession, dialect: str, filters: ThreadFilter, after: Key | None, limit: int
) -> list[ThreadRow]:
    """Up to ``limit`` threads matching ``filters`` (with a search term) after ``after``."""
    term = filters.search or ""
    if not indexed(term):  # no index can help: walk to the end if need be
        return await _rows(session, threads_page(filters, after, limit, found_by_probe(dialect, term)))
    # SQLite's LIKE folds ASCII case only, so only ASCII terms are probed with it.
    walkable = dialect != "sqlite" or term.isascii()
    if not walkable or not await _many_matches(session, dialect, term):
        return await _rows(session, threads_page(filters, after, limit, found_by_lookup(dialect, term)))

    found: list[ThreadRow] = []
    for window in range(2):
        floor = window_floor(filters, after, WALK_WINDOW)
        walk = threads_page(filters, after, limit - len(found), found_by_probe(dialect, term), down_to=floor)
        found += await _rows(session, walk)
        if len(found) >= limit:
            return found
        window_end = (await session.execute(nth_thread(filters, after, WALK_WINDOW))).first()
        if window_end is None:  # the whole list was walked
            return found
        after = (window_end[0], window_end[1])
        # A second window only when the first filled at least half the page: the rest is
        # then likely near (often only the row that tells whether a next page exists).
        if window == 0 and 2 * len(found) < limit:
            break
    rest = threads_page(filters, after, limit - len(found), found_by_lookup(dialect, term))
    return found + await _rows(session, rest)
