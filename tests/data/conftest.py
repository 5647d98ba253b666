"""Data layer tests: every ``layer`` test runs against SQLite and against PostgreSQL.

PostgreSQL: ``$CHATWIDGET_TEST_PG_URL`` (default ``postgresql+asyncpg://postgres@127.0.0.1:5432/test``)
names the server and a database to connect to for administration; each test session creates
its own database there and drops it at the end. If the server cannot be reached, the
PostgreSQL tests fail under CI (``CI=true``) and are skipped elsewhere, with the reason.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import URL, make_url

from chatwidget.data.sql import SQLDataLayer

PG_ADMIN_URL = os.environ.get("CHATWIDGET_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
TABLES = "users, threads, steps, elements, feedbacks"


async def _pg_admin(sql: list[str]) -> None:
    import asyncpg

    url = make_url(PG_ADMIN_URL)
    conn = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, password=url.password,
        database=url.database, timeout=5,
    )  # fmt: skip
    try:
        for statement in sql:
            await conn.execute(statement)
    finally:
        await conn.close()


class PostgresServer:
    """Creates databases for tests on the PostgreSQL server, and drops them afterwards."""

    def __init__(self) -> None:
        self.created: list[str] = []

    def create_database(self) -> URL:
        name = f"chatwidget_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        asyncio.run(_pg_admin([f'CREATE DATABASE "{name}"']))
        self.created.append(name)
        return make_url(PG_ADMIN_URL).set(database=name)

    def drop_all(self) -> None:
        if self.created:
            asyncio.run(_pg_admin([f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in self.created]))


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    try:
        asyncio.run(_pg_admin(["SELECT 1"]))
    except (OSError, asyncio.TimeoutError, ImportError) as exc:
        reason = f"PostgreSQL at {PG_ADMIN_URL} is not reachable ({exc!r})"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{reason}; CI must run the PostgreSQL tests")
        pytest.skip(reason)
    server = PostgresServer()
    yield server
    server.drop_all()


@pytest.fixture(scope="session")
def pg_url(postgres: PostgresServer) -> URL:
    """One database for the session's ``layer`` tests (emptied after each test)."""
    return postgres.create_database()


@pytest.fixture
def new_pg_url(postgres: PostgresServer) -> Callable[[], URL]:
    """A fresh, empty database for a test that needs one (migrations)."""
    return postgres.create_database


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> URL:
    if backend == "sqlite":
        return make_url(f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}")
    url: URL = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
async def layer(database_url: URL, tmp_path: Path) -> AsyncIterator[SQLDataLayer]:
    from chatwidget.data.storage import LocalElementStorage

    data = SQLDataLayer(database_url, storage=LocalElementStorage(tmp_path / "elements"))
    await data.migrate()
    yield data
    if data.dialect == "postgresql":
        cleaner = SQLDataLayer(database_url)
        async with cleaner.engine.begin() as conn:
            await conn.exec_driver_sql(f"TRUNCATE {TABLES} CASCADE")
        await cleaner.close()
    await data.close()
