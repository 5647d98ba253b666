"""Which way a page of search results is found: a lookup, a walk, or a walk then a lookup.

A lookup costs about the number of matches in the search index, wherever they are; a
walk costs about the number of threads passed before the page fills, which is small when
matches are common *among the newest threads* and huge when they are rare or old. Neither
is known exactly before the query runs, so:

* few matches (counted in the full-text index on SQLite, estimated by the planner on
  PostgreSQL; on SQLite one user's list counts as few up to four times as many, see
  ``ONE_USER_LOOKUP_DISCOUNT``): look them up;
* many, on SQLite: peek at the next ``PEEK_WINDOW`` threads first. A common term fills
  the page there. If the peek found none, or so few that filling the page would take a
  walk longer than two windows, the rest of the page is looked up below it. Otherwise
  the walk goes on if a lookup would cost more than walking a whole window: the matches
  are counted up to what such a lookup meets (``HITS_PER_PROBE`` per thread walked; not
  again when the first count already met as many);
* many, on PostgreSQL (or after a peek that chose to walk): walk the next
  ``WALK_WINDOW`` threads (a second window if half the page is found by then, some of it
  in the first window); if the page is not full by then, the matches are sparse there,
  and the rest of the page is looked up below that point. Whether more threads follow a
  full page is learnt by a short walk, else by a lookup that stops at the first match
  it meets.

One user's lookup reads that user's matches only (each step carries its thread's owner,
migration 4), so a term common in other users' threads costs that user little. On SQLite
it still meets every match in the index (the owner is checked on the step), so the
counts above are of every user's matches, which is also what makes them cheap: the index
alone answers them. PostgreSQL's estimate is of that user's matches (its index holds the
owner).

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

#: From this many matches on, a page starts with a walk (on SQLite, a peek).
MANY_MATCHES = 1000
#: SQLite: one user's lookup reads threads for that user's matches only, so each match in
#: the index costs it a fraction of what it costs a lookup of everyone's (0.4-0.9 µs);
#: up to this many times ``MANY_MATCHES`` it costs about what a peek does.
ONE_USER_LOOKUP_DISCOUNT = 4
#: Threads walked at a time (one or two windows): a walk that finds 21 matches in this many
#: threads is about as fast as a lookup of ``MANY_MATCHES``.
WALK_WINDOW = 1000
#: Threads walked first on SQLite, and to learn whether more follow a full page before
#: asking the index.
PEEK_WINDOW = 200
#: SQLite: matches a lookup meets in the time a walk probes one thread of two messages
#: (measured at 100,000 threads: 1 µs per match where they are neighbours, up to 4 µs
#: where they are spread out; about 2.7 µs per thread walked).
HITS_PER_PROBE = 2


async def _count_matches(session: AsyncSession, term: str, up_to: int) -> int:
    """SQLite: every user's matching messages and names, counted up to ``up_to`` each."""
    return await session.scalar(COUNT_MATCHES, {"q": fts_phrase(term), "n": up_to}) or 0


def _many(user_id: str | None) -> int:
    """SQLite: from how many matches in the full-text index a page starts with a peek."""
    return MANY_MATCHES if user_id is None else MANY_MATCHES * ONE_USER_LOOKUP_DISCOUNT


async def _many_matches(session: AsyncSession, dialect: str, term: str, user_id: str | None) -> bool:
    """Whether the list being paged holds many matches (on SQLite: the whole index does)."""
    if dialect == "sqlite":
        many = _many(user_id)
        return await _count_matches(session, term, many) >= many
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
    if dialect == "sqlite":
        found, position = await search.walk(after, limit, PEEK_WINDOW)
        if len(found) >= limit or position is None:
            return found[:size], len(found) > size
        if not await _walk_pays(search, len(found), limit):
            if len(found) == size:
                return found, await session.scalar(any_thread(filters, position, search.lookup)) is not None
            return await _look_up_rest(search, found, position, limit, size)
        more, position = await search.walk(position, limit - len(found), WALK_WINDOW)
        found += more
    else:
        found, position = await search.walk(after, limit, WALK_WINDOW)
        more = found
    if position is not None and more and 2 * len(found) >= size > len(found):
        # Half a page by the first window, some in it: the rest is likely near.
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
    return await _look_up_rest(search, found, position, limit, size)


async def _walk_pays(search: _Search, found: int, limit: int) -> bool:
    """SQLite, after a peek that met ``found`` matches: whether walking on to fill the page
    likely costs less than looking the rest up."""
    if found == 0 or (limit - found) * PEEK_WINDOW // found > 2 * WALK_WINDOW:
        return False  # at the density met, walking would hardly fill the page
    # The walk may find nothing more (the matches can end right below the peek): it pays
    # where even a whole window costs no more than the lookup.
    as_costly = max(WALK_WINDOW * HITS_PER_PROBE, 1)
    if as_costly <= _many(search.filters.userId):  # counted already
        return True
    return await _count_matches(search.session, search.term, as_costly) >= as_costly


async def _look_up_rest(
    search: _Search, found: list[ThreadRow], position: Key, limit: int, size: int
) -> tuple[list[ThreadRow], bool]:
    """The page's ``found`` matches, and the rest of it looked up below ``position``."""
    rest = threads_page(search.filters, position, limit - len(found), search.lookup)
    found = found + await search.rows(rest)
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
