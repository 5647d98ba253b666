"""Writing imported rows into chatwidget's database: what is there already, and inserts that add
only what is missing.

Every insert is ``ON CONFLICT DO NOTHING ... RETURNING id``: a row whose id (or, for
feedback, step) is already stored is left as it is, and the ids returned are exactly the
rows added, so a second import adds nothing and says so. Rows are written a thread at a
time (the thread, its steps, elements and feedback in one transaction); when a transaction
fails, its rows are tried one by one, so one row the database refuses never keeps the
others out. Element bytes go through the data layer's element storage (local directory or
S3) under new keys; bytes whose row was not written are deleted again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from ..engine import WRITE_OPTION
from ..layer import SQLDataLayer
from ..migrations import VERSION_TABLE
from ..models import ElementRow, FeedbackRow, StepRow, ThreadRow, UserRow

TABLE_OF: dict[str, Table] = {
    "users": cast(Table, UserRow.__table__),
    "threads": cast(Table, ThreadRow.__table__),
    "steps": cast(Table, StepRow.__table__),
    "elements": cast(Table, ElementRow.__table__),
    "feedbacks": cast(Table, FeedbackRow.__table__),
}
#: Order of the rows in a transaction (a thread's rows after the thread).
WRITE_ORDER = ("users", "threads", "steps", "elements", "feedbacks")


@dataclass
class Group:
    """The rows of one thread to write together: table -> rows (element rows may carry bytes)."""

    thread_id: str
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)

    def __len__(self) -> int:
        return sum(len(r) for r in self.rows.values())


@dataclass
class Written:
    """What a write added, and the rows the database refused with its reason."""

    added: dict[str, list[str]] = field(default_factory=dict)
    refused: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)


class Destination:
    def __init__(self, layer: SQLDataLayer, *, dry_run: bool) -> None:
        self.layer, self.dry_run = layer, dry_run
        self._schema = True

    async def prepare(self) -> None:
        """Migrate the schema (a dry run only looks: a database without it is empty)."""
        if not self.dry_run:
            await self.layer.migrate()
            return
        async with self.layer.engine.connect() as conn:
            self._schema = await conn.run_sync(lambda c: inspect(c).has_table(VERSION_TABLE))

    def _insert(self, table: Table) -> Any:
        return (postgresql if self.layer.dialect == "postgresql" else sqlite).insert(table)

    async def lookup(
        self, name: str, column: str, values: Iterable[Any], *also: str
    ) -> dict[Any, tuple[Any, ...]]:
        """``value -> (also columns...)`` for the stored rows whose ``column`` is one of ``values``."""
        wanted = list(dict.fromkeys(v for v in values if v is not None))
        if not wanted or not self._schema:
            return {}
        table = TABLE_OF[name]
        found: dict[Any, tuple[Any, ...]] = {}
        async with self.layer.engine.connect() as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                query = select(table.c[column], *[table.c[a] for a in also]).where(table.c[column].in_(chunk))
                for row in await conn.execute(query):
                    found[row[0]] = tuple(row[1:])
        return found

    async def write(self, groups: list[Group]) -> Written:
        """Insert the groups' rows (all at once; on failure a group, then a row, at a time)."""
        written = Written()
        if self.dry_run:
            for group in groups:
                for name, rows in group.rows.items():
                    written.added.setdefault(name, []).extend(str(r["id"]) for r in rows)
            return written
        try:
            added = await self._transaction(
                [(n, r) for g in groups for n in WRITE_ORDER for r in g.rows.get(n, [])]
            )
        except SQLAlchemyError as exc:
            if len(groups) > 1:
                for group in groups:
                    one = await self.write([group])
                    for name, ids in one.added.items():
                        written.added.setdefault(name, []).extend(ids)
                    written.refused.extend(one.refused)
                return written
            return await self._row_by_row(groups[0], exc)
        written.added = added
        return written

    async def _row_by_row(self, group: Group, first_error: SQLAlchemyError) -> Written:
        written = Written()
        for name in WRITE_ORDER:
            for row in group.rows.get(name, []):
                try:
                    added = await self._transaction([(name, row)])
                except SQLAlchemyError as exc:
                    written.refused.append((name, row, _reason(exc)))
                    continue
                for table, ids in added.items():
                    written.added.setdefault(table, []).extend(ids)
        return written

    async def _transaction(self, rows: list[tuple[str, dict[str, Any]]]) -> dict[str, list[str]]:
        added: dict[str, list[str]] = {}
        engine = self.layer.engine.execution_options(**{WRITE_OPTION: True})
        async with engine.begin() as conn:
            start = 0
            while start < len(rows):  # consecutive rows of one table: one statement
                name = rows[start][0]
                end = start
                while end < len(rows) and rows[end][0] == name:
                    end += 1
                ids = await self._insert_rows(conn, name, [r for _, r in rows[start:end]])
                added.setdefault(name, []).extend(ids)
                start = end
        return added

    async def _insert_rows(self, conn: AsyncConnection, name: str, rows: list[dict[str, Any]]) -> list[str]:
        table = TABLE_OF[name]
        statement = self._insert(table).on_conflict_do_nothing().returning(table.c.id)
        result = await conn.execute(statement, rows)
        return [str(i) for i in result.scalars().all()]

    async def store_bytes(self, key: str, content: bytes) -> None:
        await self.layer.storage.put(key, content)

    async def forget_bytes(self, keys: Iterable[str]) -> None:
        for key in keys:
            await self.layer.storage.delete(key)


def _reason(exc: SQLAlchemyError) -> str:
    cause = getattr(exc, "orig", None) or exc
    text = str(cause).strip().splitlines()
    return f"the database refused it: {(text[0] if text else type(cause).__name__)[:200]}"
