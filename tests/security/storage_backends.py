"""The security tests that store things run on SQLite and on PostgreSQL.

PostgreSQL: ``$CHATWIDGET_TEST_PG_URL`` (default ``postgresql+asyncpg://postgres@127.0.0.1:5432/test``)
names a server and a database to administer from; each test gets a fresh database, dropped
afterwards. Unreachable: the test fails under CI (``CI=true``) and is skipped elsewhere.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from jupyter_core.paths import jupyter_data_dir
from sqlalchemy.engine import make_url

PG_ADMIN_URL = os.environ.get("CHATWIDGET_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


async def _admin(statement: str) -> None:
    import asyncpg

    url = make_url(PG_ADMIN_URL)
    conn = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, password=url.password,
        database=url.database, timeout=5,
    )  # fmt: skip
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"
        return
    name = f"chatwidget_security_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        await _admin(f'CREATE DATABASE "{name}"')
    except (OSError, asyncio.TimeoutError, ImportError) as exc:
        reason = f"PostgreSQL at {PG_ADMIN_URL} is not reachable ({exc!r})"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{reason}; CI must run the PostgreSQL tests")
        pytest.skip(reason)
    yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def elements_dir(db_url: str, tmp_path: Path) -> Path:
    """Where the server's data layer keeps element bytes for ``db_url`` (a seed writes there)."""
    if db_url.startswith("sqlite"):
        return tmp_path / "chat-elements"
    return Path(jupyter_data_dir()) / "chatwidget" / "elements"
