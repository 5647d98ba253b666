"""Schema migrations: upgrading an old database, agreement with the models, concurrency."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import URL, Connection, make_url

from chatwidget.data import DataLayerError, Pagination, ThreadFilter, User
from chatwidget.data.sql import SCHEMA_VERSION, SQLDataLayer
from chatwidget.data.sql._queries import found_by_lookup
from chatwidget.data.sql.migrations import SEARCH_STEPS_INDEX, VERSION_TABLE
from chatwidget.data.sql.models import Base, ThreadRow


@pytest.fixture
def fresh_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> URL:
    if backend == "sqlite":
        return make_url(f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}")
    new_pg_url: Callable[[], URL] = request.getfixturevalue("new_pg_url")
    return new_pg_url()


async def version_of(layer: SQLDataLayer) -> int:
    async with layer.engine.connect() as conn:
        return int((await conn.execute(text(f"SELECT version FROM {VERSION_TABLE}"))).scalar_one())  # noqa: S608


async def found(layer: SQLDataLayer, term: str) -> list[str]:
    return [t["id"] for t in (await layer.list_threads(Pagination(), ThreadFilter(search=term))).data]


async def test_upgrade_from_version_1_keeps_and_indexes_old_data(fresh_url: URL) -> None:
    old = SQLDataLayer(fresh_url, auto_migrate=False)
    assert await old.migrate(1) == 1
    async with old.engine.begin() as conn:
        shared = json.dumps({"is_shared": True, "shared_at": "2024-02-02T00:00:00.000Z", "env": {}})
        await conn.execute(
            text(
                "INSERT INTO threads (id, created_at, updated_at, name, metadata) VALUES "
                "('old1', '2024-01-01T00:00:00.000Z', '2024-01-03T00:00:00.000Z', 'Legacy thread', :m1), "
                "('old2', '2024-01-01T00:00:00.000Z', '2024-01-02T00:00:00.000Z', 'Other', :m2)"
            ),
            {"m1": shared, "m2": json.dumps({"env": {}})},
        )
        await conn.execute(
            text(
                "INSERT INTO steps (id, thread_id, type, output, created_at) VALUES "
                "('s1', 'old2', 'assistant_message', 'an ARCHIVED answer', '2024-01-02T00:00:00.000Z')"
            )
        )
    assert await version_of(old) == 1
    await old.close()

    layer = SQLDataLayer(fresh_url)  # migrates on first use
    assert await found(layer, "archived") == ["old2"]
    assert await version_of(layer) == SCHEMA_VERSION
    thread = await layer.get_thread("old1")
    assert thread is not None and thread["metadata"] is not None
    assert thread["metadata"]["is_shared"] is True
    assert thread["metadata"]["shared_at"] == "2024-02-02T00:00:00.000Z"
    other = await layer.get_thread("old2")
    assert other is not None and other["metadata"] is not None and other["metadata"]["is_shared"] is False
    assert [s["output"] for s in other["steps"]] == ["an ARCHIVED answer"]
    assert await found(layer, "legacy") == ["old1"]
    # Writing after the upgrade feeds the new search index.
    await layer.write_steps([{"id": "s2", "threadId": "old1", "type": "user_message", "output": "new words"}])
    assert await found(layer, "new words") == ["old1"]
    assert await layer.migrate() == SCHEMA_VERSION  # idempotent
    await layer.close()


def _schema(conn: Connection) -> dict[str, dict[str, object]]:
    inspector = inspect(conn)
    schema: dict[str, dict[str, object]] = {}
    for table in Base.metadata.tables:
        schema[table] = {
            "columns": {c["name"]: c["nullable"] for c in inspector.get_columns(table)},
            "indexes": {i["name"] for i in inspector.get_indexes(table) if i["name"]},
        }
    return schema


async def test_migrations_build_the_models_schema(fresh_url: URL) -> None:
    layer = SQLDataLayer(fresh_url)
    await layer.migrate()
    async with layer.engine.connect() as conn:
        migrated = await conn.run_sync(_schema)
    await layer.close()
    for name, table in Base.metadata.tables.items():
        expected_columns = {c.name: c.nullable for c in table.columns}
        assert migrated[name]["columns"] == expected_columns, name
        expected_indexes = {i.name for i in table.indexes}
        assert expected_indexes <= migrated[name]["indexes"], name  # type: ignore[operator]


async def test_concurrent_first_use_migrates_once(fresh_url: URL) -> None:
    layers = [SQLDataLayer(fresh_url) for _ in range(4)]
    versions = await asyncio.gather(*(layer.migrate() for layer in layers))
    assert versions == [SCHEMA_VERSION] * 4
    await asyncio.gather(*(layer.update_thread(f"t{i}", create=True) for i, layer in enumerate(layers)))
    page = await layers[0].list_threads(Pagination(), ThreadFilter())
    assert len(page.data) == 4
    for layer in layers:
        await layer.close()


async def test_newer_schema_is_refused(fresh_url: URL) -> None:
    layer = SQLDataLayer(fresh_url)
    await layer.migrate()
    async with layer.engine.begin() as conn:
        await conn.execute(text(f"UPDATE {VERSION_TABLE} SET version = 999"))  # noqa: S608
    await layer.close()
    newer = SQLDataLayer(fresh_url)
    with pytest.raises(DataLayerError, match="newer"):
        await newer.get_thread("t1")
    with pytest.raises(ValueError, match="no schema version"):
        await newer.migrate(SCHEMA_VERSION + 1)
    await newer.close()


async def test_upgrade_from_version_3_gives_steps_their_owner(fresh_url: URL) -> None:
    old = SQLDataLayer(fresh_url, auto_migrate=False)
    assert await old.migrate(3) == 3
    async with old.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO users (id, identifier, metadata, created_at) VALUES "
                "('u1', 'alice', '{}', '2024-01-01T00:00:00.000Z'), "
                "('u2', 'bob', '{}', '2024-01-01T00:00:00.000Z')"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO threads (id, created_at, updated_at, user_id, user_identifier) VALUES "
                "('a1', '2024-01-01T00:00:00.000Z', '2024-01-02T00:00:00.000Z', 'u1', 'alice'), "
                "('b1', '2024-01-01T00:00:00.000Z', '2024-01-03T00:00:00.000Z', 'u2', 'bob'), "
                "('n1', '2024-01-01T00:00:00.000Z', '2024-01-04T00:00:00.000Z', NULL, NULL)"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO steps (id, thread_id, type, output, created_at) VALUES "
                "('sa', 'a1', 'assistant_message', 'a shared topic', '2024-01-02T00:00:00.000Z'), "
                "('sb', 'b1', 'user_message', 'the shared topic too', '2024-01-03T00:00:00.000Z'), "
                "('sn', 'n1', 'user_message', 'shared topic, nobody''s', '2024-01-04T00:00:00.000Z')"
            )
        )
    await old.close()

    layer = SQLDataLayer(fresh_url)

    async def owners() -> dict[str, str | None]:
        async with layer.engine.connect() as conn:
            rows = (await conn.execute(text("SELECT id, user_id FROM steps"))).all()
        return {str(step_id): owner for step_id, owner in rows}

    async def search(user_id: str | None, term: str = "shared topic") -> list[str]:
        page = await layer.list_threads(Pagination(), ThreadFilter(userId=user_id, search=term))
        return [t["id"] for t in page.data]

    assert await layer.migrate() == SCHEMA_VERSION
    assert await owners() == {"sa": "u1", "sb": "u2", "sn": None}  # the existing steps, filled in
    assert await search("u1") == ["a1"] and await search("u2") == ["b1"]
    assert await search(None) == ["n1", "b1", "a1"]
    # a new step takes its thread's owner; a thread given to another user takes its steps along
    await layer.write_steps([{"id": "sa2", "threadId": "a1", "type": "user_message", "output": "alpaca"}])
    await layer.create_step({"id": "sn2", "threadId": "n1", "type": "user_message", "output": "alpaca"})
    assert (await owners())["sa2"] == "u1" and (await owners())["sn2"] is None
    assert await search("u1", "alpaca") == ["a1"]
    await layer.update_thread("n1", user_id="u1")
    assert (await owners())["sn"] == "u1" and (await owners())["sn2"] == "u1"
    assert await search("u1") == ["n1", "a1"] and await search("u2") == ["b1"]
    assert await search("u1", "alpaca") == ["n1", "a1"]
    await layer.close()


async def test_upgrade_from_version_6_joins_search_matches_through_an_index(fresh_url: URL) -> None:
    """SQLite: a lookup meets each match's owner and thread in the index of migration 7
    (covering: the step's row, its output, is never read), on data older than the index."""
    old = SQLDataLayer(fresh_url, auto_migrate=False)
    assert await old.migrate(6) == 6
    await old.create_user(User("alice"))
    alice = await old.get_user("alice")
    assert alice is not None
    await old.update_thread("a1", name="plain", user_id=alice.id, create=True)
    await old.update_thread("n1", name="plain", create=True)
    await old.write_steps(
        [
            {"id": "sa", "threadId": "a1", "type": "assistant_message", "output": "a shared topic"},
            {"id": "sn", "threadId": "n1", "type": "user_message", "output": "the shared topic too"},
        ]
    )
    await old.close()

    layer = SQLDataLayer(fresh_url)
    assert await layer.migrate() == SCHEMA_VERSION
    assert await layer.migrate() == SCHEMA_VERSION  # idempotent

    async def search(user_id: str | None) -> list[str]:
        page = await layer.list_threads(Pagination(), ThreadFilter(userId=user_id, search="SHARED topic"))
        return sorted(t["id"] for t in page.data)

    assert await search(None) == ["a1", "n1"] and await search(alice.id) == ["a1"]
    if layer.dialect == "sqlite":
        lookup = select(ThreadRow.id).where(found_by_lookup("sqlite", "shared topic", alice.id))
        sql = str(lookup.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
        async with layer.engine.connect() as conn:
            plan = [row[3] for row in (await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")).all()]
        assert f"SEARCH steps USING COVERING INDEX {SEARCH_STEPS_INDEX} (pk=? AND user_id=?)" in plan, plan
    await layer.close()
