"""SQL for ``list_threads``: keyset pagination, search, feedback filter, all in the database.

Threads are ordered by ``(updated_at desc, id desc)``, served by the indexes
``(updated_at, id)`` and ``(user_id, updated_at, id)``; a page after a cursor starts where
the previous one ended (an index seek), so page 50 costs what page 1 costs, and no thread is
out of reach however many there are.

Search is a case-insensitive substring match on the thread name and on the output of user
and assistant messages. There are two ways to find the matching threads of a page (which
one a page uses is decided in :mod:`._search`):

* a **lookup**: the search index gives every matching message and name, the threads are
  fetched by id and the newest sorted out. Costs about the number of matches.
* a **walk**: threads are read in list order and each is probed (does one of its messages
  contain the term?). Costs about the number of threads passed before the page fills.

The indexes:

* SQLite: FTS5 tables with the trigram tokenizer (``steps_fts``, ``threads_fts``, kept in
  sync by triggers; see migration 3); a match's step is joined through an index of
  ``(pk, user_id, thread_id)`` (migration 7), not its row.
* PostgreSQL: ``pg_trgm`` GIN indexes on ``threads.name`` and on ``steps.output`` of message
  steps (a partial index: the predicate is written as literal SQL so the planner can match it).

A term shorter than three characters cannot use a trigram index; it is only ever walked.
"""

from __future__ import annotations

from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    column,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.orm import aliased

from ..types import Pagination, ThreadFilter
from .migrations import MESSAGE_TYPES_SQL, SEARCH_STEPS_INDEX
from .models import FeedbackRow, StepRow, ThreadRow

#: Largest page served, whatever ``Pagination.first`` asks for.
MAX_PAGE = 100
DEFAULT_PAGE = 20

#: A position in the list: ``(updated_at, id)`` of a thread.
Key = tuple[str, str]


def page_size(pagination: Pagination) -> int:
    first = pagination.first if pagination.first and pagination.first > 0 else DEFAULT_PAGE
    return min(first, MAX_PAGE)


def like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def indexed(term: str) -> bool:
    """Whether a trigram index can serve this term."""
    return len(term) >= 3


# -- how many matches ------------------------------------------------------------------

#: SQLite: matching messages and names, counted in the full-text index up to ``:n``.
COUNT_MATCHES = text(
    "SELECT (SELECT count(*) FROM (SELECT 1 FROM steps_fts WHERE steps_fts MATCH :q LIMIT :n))"
    " + (SELECT count(*) FROM (SELECT 1 FROM threads_fts WHERE threads_fts MATCH :q LIMIT :n))"
)
#: PostgreSQL: the planner's estimate of matching messages (pg_trgm keeps statistics per
#: trigram). Counting exactly would cost as much as a lookup: every candidate row must be
#: read to recheck it. (``EXPLAIN`` plans with the bound term every time, even when the
#: statement is prepared.)
ESTIMATE_MATCHES = text(
    "EXPLAIN (FORMAT JSON) SELECT 1 FROM steps "
    "WHERE steps.type IN ('user_message', 'assistant_message') AND steps.output ILIKE :pattern ESCAPE '\\'"
)
#: The same among one user's messages.
ESTIMATE_USER_MATCHES = text(
    "EXPLAIN (FORMAT JSON) SELECT 1 FROM steps WHERE steps.user_id = :user "
    "AND steps.type IN ('user_message', 'assistant_message') AND steps.output ILIKE :pattern ESCAPE '\\'"
)


# -- search conditions -----------------------------------------------------------------


def found_by_lookup(dialect: str, term: str, user_id: str | None = None) -> ColumnElement[bool]:
    """``threads`` rows among the matches the search index gives (``term`` is indexed).

    With ``user_id``, only that user's messages are matched (``steps.user_id``, the thread
    owner's copy): the other users' matches are never joined to their threads.
    """
    if dialect == "sqlite":
        phrase = fts_phrase(term)
        sql = (
            f"SELECT steps.thread_id FROM steps_fts CROSS JOIN steps INDEXED BY {SEARCH_STEPS_INDEX} "  # noqa: S608
            "ON steps.pk = steps_fts.rowid WHERE steps_fts MATCH :search_steps"
        )
        params = {"search_steps": phrase}
        if user_id is not None:
            sql += " AND steps.user_id = :search_owner"
            params["search_owner"] = user_id
        in_messages = text(sql).bindparams(**params).columns(column("thread_id"))
        in_names = (
            text("SELECT rowid FROM threads_fts WHERE threads_fts MATCH :search_names")
            .bindparams(search_names=phrase)
            .columns(column("rowid"))
        )
        return or_(ThreadRow.id.in_(in_messages), ThreadRow.pk.in_(in_names))
    pattern = like_pattern(term)
    named = aliased(ThreadRow)
    messages = select(StepRow.thread_id).where(
        text(f"steps.type IN {MESSAGE_TYPES_SQL}"), StepRow.output.ilike(pattern, escape="\\")
    )
    names = select(named.id).where(named.name.ilike(pattern, escape="\\"))
    if user_id is not None:
        messages = messages.where(StepRow.user_id == user_id)
        names = names.where(named.user_id == user_id)
    return ThreadRow.id.in_(messages.union(names))


#: PostgreSQL, for lookups: fetching a few thousand threads by index beats reading the
#: table, as it does when the database is in memory or on SSD; the default cost (4) makes
#: the planner read every thread, or the whole list of a user, instead.
INDEXES_ARE_CHEAP = text("SET LOCAL random_page_cost = 1.1")


def found_by_probe(dialect: str, term: str) -> ColumnElement[bool]:
    """Does this thread's name or one of its messages contain ``term``? (one thread at a time)

    ``OFFSET 0`` keeps the probe a per-thread subquery: PostgreSQL would otherwise turn it
    into a hash of every match, which is the cost the walk exists to avoid. SQLite's
    ``LIKE`` ignores ASCII case by itself, as its full-text index does for ASCII terms; the
    walk is used for ASCII terms only there (see :mod:`._search`).
    """
    pattern = like_pattern(term)

    def contains(text_column: SQLColumnExpression[str | None]) -> ColumnElement[bool]:
        if dialect == "sqlite":
            return text_column.like(pattern, escape="\\")
        return text_column.ilike(pattern, escape="\\")

    in_messages = exists(
        select(literal(1))
        .where(
            StepRow.thread_id == ThreadRow.id,
            text(f"steps.type IN {MESSAGE_TYPES_SQL}"),
            contains(StepRow.output),
        )
        .offset(0)
    )
    return or_(contains(ThreadRow.name), in_messages)


# -- pages -----------------------------------------------------------------------------


def _in_list(
    query: Select[ThreadRow], filters: ThreadFilter, after: Key | None, threads: type[ThreadRow] = ThreadRow
) -> Select[ThreadRow]:
    """Restricted to the caller's list (``userId``, and ``app``), after a position in it, in list order."""
    if filters.userId is not None:
        query = query.where(threads.user_id == filters.userId)
    if filters.app is not None:
        query = query.where(threads.app == filters.app)
    if after is not None:
        query = query.where(tuple_(threads.updated_at, threads.id) < tuple_(*after))
    return query.order_by(threads.updated_at.desc(), threads.id.desc())


def _list_key() -> ColumnElement[tuple[str, str]]:
    return tuple_(ThreadRow.updated_at, ThreadRow.id)


def threads_page(
    filters: ThreadFilter,
    after: Key | None,
    limit: int,
    search: ColumnElement[bool] | None = None,
    down_to: ColumnElement[tuple[str, str]] | None = None,
) -> Select[ThreadRow]:
    """Up to ``limit`` threads in list order after ``after``, not past ``down_to``."""
    query = _in_list(select(ThreadRow), filters, after)
    if search is not None:
        query = query.where(search)
    if filters.feedback is not None:
        query = query.where(
            exists().where(FeedbackRow.thread_id == ThreadRow.id, FeedbackRow.value == int(filters.feedback))
        )
    if down_to is not None:
        query = query.where(_list_key() >= down_to)
    return query.limit(limit)


def any_thread(filters: ThreadFilter, after: Key | None, search: ColumnElement[bool]) -> Select[int]:
    """Whether some thread after ``after`` matches: with no order to keep, the database may
    stop at the first match it meets (a lookup meets old threads first)."""
    return threads_page(filters, after, 1, search).order_by(None).with_only_columns(literal(1))


def nth_thread(filters: ThreadFilter, after: Key | None, n: int) -> Select[str, str]:
    """The list position of the ``n``-th thread after ``after`` (in the caller's list)."""
    query = _in_list(select(ThreadRow), filters, after)
    return query.with_only_columns(ThreadRow.updated_at, ThreadRow.id).offset(n - 1).limit(1)


def window_floor(filters: ThreadFilter, after: Key | None, n: int) -> ColumnElement[tuple[str, str]]:
    """:func:`nth_thread` inside a query, or the lowest key when the list ends before it, so
    that a walk bounded by it needs no statement of its own."""
    threads = aliased(ThreadRow)  # not correlated with the enclosing query's threads
    nth = _in_list(select(threads), filters, after, threads).offset(n - 1).limit(1)
    return tuple_(
        func.coalesce(nth.with_only_columns(threads.updated_at).scalar_subquery(), ""),
        func.coalesce(nth.with_only_columns(threads.id).scalar_subquery(), ""),
    )
