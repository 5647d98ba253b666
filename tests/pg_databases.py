"""Throw-away PostgreSQL databases for the tests.

``$CHATWIDGET_TEST_PG_URL`` (default ``postgresql+asyncpg://postgres@127.0.0.1:5432/test``)
names a server and a database to administer from. Each database made here has a name of its
own and is dropped by whoever made it. When the server cannot be reached, a test that needs
it fails under CI (``CI=true``), which must run them all, and is skipped elsewhere.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import uuid
from typing import NoReturn

import pytest
from sqlalchemy.engine import URL, make_url

PG_ADMIN_URL = os.environ.get("CHATWIDGET_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
UNREACHABLE = (OSError, asyncio.TimeoutError, ImportError)


async def _execute(statements: tuple[str, ...]) -> None:
    import asyncpg

    url = make_url(PG_ADMIN_URL)
    conn = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, password=url.password,
        database=url.database, timeout=5,
    )  # fmt: skip
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def admin(*statements: str) -> None:
    """Run ``statements`` on the administration database, in order."""
    # On a loop of its own in another thread: the caller's thread may be running one already
    # (pytest-asyncio's, Playwright's), and asyncio.run() here would also unset it.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, _execute(statements)).result()


def unreachable(exc: BaseException, what: str = "the PostgreSQL tests") -> NoReturn:
    reason = f"PostgreSQL at {PG_ADMIN_URL} is not reachable ({exc!r})"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason}; CI must run {what}")
    pytest.skip(reason)


def check_reachable(what: str = "the PostgreSQL tests") -> None:
    try:
        admin("SELECT 1")
    except UNREACHABLE as exc:
        unreachable(exc, what)


def create_database(prefix: str, what: str = "the PostgreSQL tests") -> URL:
    """A fresh, empty database named ``<prefix>_<pid>_<random>``: its URL."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        admin(f'CREATE DATABASE "{name}"')
    except UNREACHABLE as exc:
        unreachable(exc, what)
    return make_url(PG_ADMIN_URL).set(database=name)


def drop_databases(*urls: URL) -> None:
    admin(*(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)' for url in urls))


def as_text(url: URL) -> str:
    """The URL with its password, as a data layer takes it."""
    return url.render_as_string(hide_password=False)
