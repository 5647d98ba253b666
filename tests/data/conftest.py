"""Data layer tests: every ``layer`` test runs against SQLite and against PostgreSQL.

On PostgreSQL each test session creates its own databases and drops them at the end (see
``pg_databases``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from pg_databases import check_reachable, create_database, drop_databases
from sqlalchemy.engine import URL, make_url

from chatwidget.data.sql import SQLDataLayer

TABLES = "users, threads, steps, elements, feedbacks"


class PostgresServer:
    """Creates databases for tests on the PostgreSQL server, and drops them afterwards."""

    def __init__(self) -> None:
        self.created: list[URL] = []

    def create_database(self) -> URL:
        url = create_database("chatwidget_test")
        self.created.append(url)
        return url

    def drop_all(self) -> None:
        if self.created:
            drop_databases(*self.created)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    check_reachable()
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
