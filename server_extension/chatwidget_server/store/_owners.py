"""Which threads the caller owns, and which thread a step, element or feedback belongs to.

The store answers every request about the caller's own threads only; these lookups are how
it checks an id named by a request before anything is read or written. They run on the
data layer's engine, in read transactions of their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from chatwidget.data import DataLayerError
from chatwidget.data.sql import SQLDataLayer
from chatwidget.data.sql.models import ElementRow, FeedbackRow, StepRow, ThreadRow


class Owners:
    def __init__(self, layer: SQLDataLayer) -> None:
        self.layer = layer

    async def _rows(self, query: Any) -> list[Any]:
        try:
            async with AsyncSession(self.layer.engine) as session, session.begin():
                return list((await session.execute(query)).all())
        except SQLAlchemyError as exc:
            raise DataLayerError(f"database error: {exc}") from exc

    async def owned_threads(self, owner: str, thread_ids: Iterable[str]) -> set[str]:
        """The ids among ``thread_ids`` of threads that exist and belong to ``owner``."""
        ids = sorted(set(thread_ids))
        if not ids:
            return set()
        rows = await self._rows(
            select(ThreadRow.id).where(ThreadRow.id.in_(ids), ThreadRow.user_identifier == owner)
        )
        return {row[0] for row in rows}

    async def owns(self, owner: str, thread_id: str) -> bool:
        return thread_id in await self.owned_threads(owner, [thread_id])

    async def step_threads(self, step_ids: Iterable[str]) -> dict[str, str]:
        """Existing steps among ``step_ids``: step id -> the id of its thread."""
        ids = sorted(set(step_ids))
        if not ids:
            return {}
        rows = await self._rows(select(StepRow.id, StepRow.thread_id).where(StepRow.id.in_(ids)))
        return {row[0]: row[1] for row in rows}

    async def element_thread(self, element_id: str) -> str | None:
        rows = await self._rows(select(ElementRow.thread_id).where(ElementRow.id == element_id))
        return rows[0][0] if rows else None

    async def feedback_thread(
        self, *, feedback_id: str | None = None, for_id: str | None = None
    ) -> str | None:
        """The thread of the feedback with this id, or of the one given on step ``for_id``."""
        query = select(FeedbackRow.thread_id)
        query = (
            query.where(FeedbackRow.id == feedback_id)
            if feedback_id
            else query.where(FeedbackRow.for_id == for_id)
        )
        rows = await self._rows(query)
        return rows[0][0] if rows else None
