"""Reading a database in Chainlit's documented schema, read-only, a batch at a time.

The tables are ``users``, ``threads``, ``steps``, ``elements`` and ``feedbacks`` with
camel-case columns (``"threadId"``, ``"createdAt"``...). Which columns exist depends on the
Chainlit version that made them (``command``, ``defaultOpen``, ``modes`` came later), so
they are looked up, not assumed; values are read untyped, as the database holds them, and
:mod:`._rows` makes sense of them. A SQLite file is opened read-only (``mode=ro``); a
PostgreSQL session is read-only (``default_transaction_read_only``): the import never
changes the database it reads.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import exists, func, inspect, or_, select
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import SAWarning
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.sql import ColumnElement, TableClause, column, table

from ..engine import normalize_url, sqlite_path

TABLES = ("users", "threads", "steps", "elements", "feedbacks")
#: The tables whose rows belong to a thread (by ``"threadId"``).
CHILD_TABLES = ("steps", "elements", "feedbacks")


class NotChainlitError(ValueError):
    """The database does not have Chainlit's tables."""


def read_only_url(url: str | URL) -> URL:
    parsed = normalize_url(url)
    path = sqlite_path(parsed)
    if path is not None:
        if not path.is_file():
            raise FileNotFoundError(f"no SQLite file {path}")
        return parsed.set(database=f"file:{path}", query={**parsed.query, "mode": "ro", "uri": "true"})
    return parsed


class ChainlitSource:
    def __init__(self, url: str | URL) -> None:
        #: The URL as the report shows it (no password).
        self.display = normalize_url(url).render_as_string(hide_password=True)
        self.url = read_only_url(url)
        options: dict[str, Any] = {}
        if self.url.get_backend_name() == "postgresql":
            options["connect_args"] = {"server_settings": {"default_transaction_read_only": "on"}}
        self.engine: AsyncEngine = create_async_engine(self.url, **options)
        self.tables: dict[str, TableClause] = {}

    async def open(self) -> None:
        async with self.engine.connect() as conn:
            found = await conn.run_sync(_columns)
        where = self.display
        not_chainlit = "not a database in Chainlit's schema"
        missing = [name for name in ("threads", "steps") if name not in found]
        if missing:
            raise NotChainlitError(f"{where} has no table {', '.join(missing)}: {not_chainlit}")
        if "threadId" not in found["steps"] or "createdAt" not in found["threads"]:
            raise NotChainlitError(f'{where}: its steps have no "threadId": {not_chainlit}')
        for name, columns in found.items():
            self.tables[name] = table(name, *[column(c) for c in columns])

    async def close(self) -> None:
        await self.engine.dispose()

    def has(self, name: str) -> bool:
        return name in self.tables

    def _id(self, name: str) -> ColumnElement[Any]:
        return self.tables[name].c["id"]

    async def count(self, name: str) -> int:
        if name not in self.tables:
            return 0
        async with self.engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(self.tables[name]))).scalar_one())

    async def without_id(self, name: str) -> int:
        """Rows that have no id (SQLite lets a non-integer primary key be NULL)."""
        if name not in self.tables:
            return 0
        query = select(func.count()).select_from(self.tables[name]).where(self._id(name).is_(None))
        async with self.engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def batches(
        self, name: str, size: int, *, orphans: bool = False
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Every row of ``name`` in id order, ``size`` at a time. ``orphans``: only the rows
        whose ``"threadId"`` names no thread (or none)."""
        if name not in self.tables:
            return
        rows_of, key = self.tables[name], self._id(name)
        last: Any = None
        while True:
            query = select(rows_of).where(key.is_not(None)).order_by(key).limit(size)
            if last is not None:
                query = query.where(key > last)
            if orphans:
                threads = self.tables["threads"]
                parent = rows_of.c["threadId"]
                query = query.where(or_(parent.is_(None), ~exists().where(threads.c["id"] == parent)))
            async with self.engine.connect() as conn:
                rows = [dict(r) for r in (await conn.execute(query)).mappings()]
            if not rows:
                return
            last = rows[-1]["id"]
            yield rows

    async def children(self, name: str, thread_ids: Sequence[Any]) -> list[dict[str, Any]]:
        """The rows of ``name`` that belong to these threads (ids as the database gave them)."""
        if name not in self.tables or not thread_ids:
            return []
        rows_of = self.tables[name]
        query = select(rows_of).where(rows_of.c["threadId"].in_(list(thread_ids)))
        if "createdAt" in rows_of.c:
            query = query.order_by(rows_of.c["createdAt"], self._id(name))
        async with self.engine.connect() as conn:
            return [dict(r) for r in (await conn.execute(query)).mappings()]


def _columns(conn: Connection) -> dict[str, list[str]]:
    inspector = inspect(conn)
    names = set(inspector.get_table_names())
    found: dict[str, list[str]] = {}
    with warnings.catch_warnings():
        # Chainlit's DDL on SQLite names types SQLite does not know (UUID, JSONB, TEXT[]).
        warnings.simplefilter("ignore", SAWarning)
        for name in TABLES:
            if name in names:
                found[name] = [str(c["name"]) for c in inspector.get_columns(name)]
    return found
