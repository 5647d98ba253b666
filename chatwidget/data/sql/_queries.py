"""SQL for ``list_threads``: keyset pagination, search, feedback filter, all in the database.

Threads are ordered by ``(updated_at desc, id desc)``, served by the indexes
``(updated_at, id)`` and ``(user_id, updated_at, id)``; a page after a cursor starts where
the previous one ended (an index seek), so page 50 costs what page 1 costs, and no thread is
out of reach however many there are.

Search is a case-insensitive substring match on the thread name and on the output of user
and assistant messages:

* SQLite: FTS5 tables with the trigram tokenizer (``steps_fts``, ``threads_fts``, kept in
  sync by triggers; see migration 3). A term shorter than three characters cannot use a
  trigram index and falls back to ``LIKE`` (ASCII case folding only, as SQLite's ``LIKE``).
* PostgreSQL: ``ILIKE`` served by ``pg_trgm`` GIN indexes on ``threads.name`` and on
  ``steps.output`` of message steps (a partial index: the predicate is written as literal
  SQL so the planner can match it).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, column, exists, literal_column, or_, select, text, tuple_

from ..types import Pagination, ThreadFilter
from ._convert import decode_cursor
from .migrations import MESSAGE_TYPES_SQL
from .models import FeedbackRow, StepRow, ThreadRow

#: Largest page served, whatever ``Pagination.first`` asks for.
MAX_PAGE = 100
DEFAULT_PAGE = 20


def page_size(pagination: Pagination) -> int:
    first = pagination.first if pagination.first and pagination.first > 0 else DEFAULT_PAGE
    return min(first, MAX_PAGE)


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


#: SQLite: when a term matches at least this many messages or names, the page is found by
#: walking threads in list order and probing the (materialized) set of matches, which costs
#: about ``page size / share of threads matching`` rows; below it, by looking up the matching
#: threads and sorting them, which costs about the number of matches. Measured at 100,000
#: threads, either way stays in a few milliseconds on its side of the threshold.
SCAN_THRESHOLD = 300
COUNT_MATCHES = text(
    "SELECT (SELECT count(*) FROM (SELECT 1 FROM steps_fts WHERE steps_fts MATCH :q LIMIT :n))"
    " + (SELECT count(*) FROM (SELECT 1 FROM threads_fts WHERE threads_fts MATCH :q LIMIT :n))"
)


def search_condition(dialect: str, term: str, walk_in_order: bool = False) -> ColumnElement[bool]:
    if dialect == "sqlite" and len(term) >= 3:
        phrase = fts_phrase(term)
        in_messages = (
            text(
                "SELECT steps.thread_id FROM steps_fts JOIN steps ON steps.pk = steps_fts.rowid "
                "WHERE steps_fts MATCH :search_steps"
            )
            .bindparams(search_steps=phrase)
            .columns(column("thread_id"))
        )
        in_names = (
            text("SELECT rowid FROM threads_fts WHERE threads_fts MATCH :search_names")
            .bindparams(search_names=phrase)
            .columns(column("rowid"))
        )
        if walk_in_order:  # a unary "+" keeps SQLite from driving the query by these lookups
            thread_id: ColumnElement[str] = literal_column("+threads.id")
            thread_pk: ColumnElement[int] = literal_column("+threads.pk")
            return or_(thread_id.in_(in_messages), thread_pk.in_(in_names))
        return or_(ThreadRow.id.in_(in_messages), ThreadRow.pk.in_(in_names))
    pattern = _like_pattern(term)
    in_messages_like = select(StepRow.thread_id).where(
        text(f"steps.type IN {MESSAGE_TYPES_SQL}"), StepRow.output.ilike(pattern, escape="\\")
    )
    return or_(ThreadRow.id.in_(in_messages_like), ThreadRow.name.ilike(pattern, escape="\\"))


def threads_page(
    dialect: str, pagination: Pagination, filters: ThreadFilter, walk_in_order: bool = False
) -> Select[ThreadRow]:
    """The query for one page, with one extra row that tells whether a next page exists."""
    query = select(ThreadRow)
    if filters.userId is not None:
        query = query.where(ThreadRow.user_id == filters.userId)
    if filters.search:
        query = query.where(search_condition(dialect, filters.search, walk_in_order))
    if filters.feedback is not None:
        query = query.where(
            exists().where(FeedbackRow.thread_id == ThreadRow.id, FeedbackRow.value == int(filters.feedback))
        )
    if pagination.cursor:
        updated_at, thread_id = decode_cursor(pagination.cursor)
        query = query.where(tuple_(ThreadRow.updated_at, ThreadRow.id) < tuple_(updated_at, thread_id))
    return query.order_by(ThreadRow.updated_at.desc(), ThreadRow.id.desc()).limit(page_size(pagination) + 1)
