"""One-at-a-time ``create_step`` / ``update_step`` (their own statements), and pooled
PostgreSQL connections that died while idle."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL

from chatwidget._protocol import StepDict
from chatwidget.data import DataLayerError, Pagination, ThreadFilter
from chatwidget.data.sql import SQLDataLayer
from chatwidget.data.sql._liveness import ping_when_idle


def _step(step_id: str, **fields: Any) -> StepDict:
    base: dict[str, Any] = {"id": step_id, "threadId": "t1", **fields}
    return base  # type: ignore[return-value]


async def _updated_at(layer: SQLDataLayer) -> str:
    thread = await layer.get_thread("t1")
    assert thread is not None
    return thread["updatedAt"]


async def test_update_changes_only_the_keys_it_carries(layer: SQLDataLayer) -> None:
    await layer.update_thread("t1", create=True)
    await layer.create_step(_step("s", type="assistant_message", name="Assistant", output="", streaming=True,
                                  metadata={"k": 1}, createdAt="2099-01-01T00:00:00.000Z"))  # fmt: skip
    await layer.update_step(_step("s", output="the answer", streaming=False, end="2099-01-01T00:00:05.000Z"))
    thread = await layer.get_thread("t1")
    assert thread is not None
    (stored,) = thread["steps"]
    assert stored["output"] == "the answer" and stored["streaming"] is False
    assert stored["name"] == "Assistant" and stored["metadata"] == {"k": 1}
    assert stored["type"] == "assistant_message" and stored["createdAt"] == "2099-01-01T00:00:00.000Z"
    assert thread["updatedAt"] == "2099-01-01T00:00:05.000Z"  # the step's latest moment
    await layer.update_step(_step("s"))  # nothing to change: the step stays as it is
    again = await layer.get_thread("t1")
    assert again is not None and again["steps"] == thread["steps"]


async def test_updated_at_never_goes_back(layer: SQLDataLayer) -> None:
    await layer.update_thread("t1", create=True)
    await layer.create_step(_step("new", createdAt="2099-01-01T00:00:09.000Z"))
    await layer.create_step(_step("old", createdAt="2000-01-01T00:00:00.000Z"))
    assert await _updated_at(layer) == "2099-01-01T00:00:09.000Z"
    await layer.update_step(_step("old", end="2099-01-01T00:00:10.000Z"))
    assert await _updated_at(layer) == "2099-01-01T00:00:10.000Z"


async def test_a_step_of_a_missing_thread_is_refused_and_not_written(layer: SQLDataLayer) -> None:
    await layer.update_thread("t1", create=True)
    with pytest.raises(DataLayerError) as info:
        await layer.create_step(_step("orphan", threadId="missing", createdAt="2099-01-01T00:00:00.000Z"))
    assert info.value.__cause__ is not None
    assert await layer.get_thread("missing") is None
    await layer.create_step(_step("fine", createdAt="2099-01-01T00:00:00.000Z"))  # the layer still works
    thread = await layer.get_thread("t1")
    assert thread is not None and [s["id"] for s in thread["steps"]] == ["fine"]


async def test_search_follows_single_writes(layer: SQLDataLayer) -> None:
    await layer.update_thread("t1", create=True)
    await layer.create_step(_step("m", type="assistant_message", output="zebra crossing",
                                  createdAt="2099-01-01T00:00:00.000Z"))  # fmt: skip

    async def found(term: str) -> list[str]:
        page = await layer.list_threads(Pagination(), ThreadFilter(search=term))
        return [t["id"] for t in page.data]

    assert await found("zebra") == ["t1"]
    await layer.update_step(_step("m", output="giraffe neck"))
    assert await found("zebra") == [] and await found("giraffe") == ["t1"]


# -- PostgreSQL: a connection that died in the pool -------------------------------------------


async def _terminate_other_backends(layer: SQLDataLayer) -> int:
    """Kill every other connection to the layer's database (as a server restart would)."""
    killer = SQLDataLayer(layer.url)
    async with killer.engine.connect() as conn:
        killed = (
            await conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        ).scalar()
    await killer.close()
    await asyncio.sleep(0.2)  # let the terminations land
    return int(killed or 0)


async def test_a_pooled_connection_that_died_while_idle_is_replaced(pg_url: URL) -> None:
    layer = SQLDataLayer(pg_url)
    await layer.migrate()
    try:
        ping_when_idle(layer.engine, idle_s=0.0)  # every checkout counts as idle here
        await layer.update_thread("live", create=True)
        assert await _terminate_other_backends(layer) >= 1
        await layer.create_step({"id": "after", "threadId": "live", "createdAt": "2099-01-01T00:00:00.000Z"})
        thread = await layer.get_thread("live")
        assert thread is not None and [s["id"] for s in thread["steps"]] == ["after"]
    finally:
        async with layer.engine.begin() as conn:
            await conn.exec_driver_sql("DELETE FROM threads WHERE id = 'live'")
        await layer.close()


async def test_a_connection_that_died_in_use_fails_one_call_then_the_pool_recovers(pg_url: URL) -> None:
    layer = SQLDataLayer(pg_url)
    await layer.migrate()
    try:
        await layer.update_thread("live", create=True)
        await _terminate_other_backends(layer)
        with pytest.raises(DataLayerError):  # used moments ago: not pinged, the call meets the dead one
            await layer.create_step({"id": "lost", "threadId": "live", "createdAt": "2099-01-01T00:00:00Z"})
        await layer.create_step({"id": "kept", "threadId": "live", "createdAt": "2099-01-01T00:00:00.000Z"})
        thread = await layer.get_thread("live")
        assert thread is not None and [s["id"] for s in thread["steps"]] == ["kept"]
    finally:
        async with layer.engine.begin() as conn:
            await conn.exec_driver_sql("DELETE FROM threads WHERE id = 'live'")
        await layer.close()
