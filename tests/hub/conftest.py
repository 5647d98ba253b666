"""A real JupyterHub per test session (see ``hubdriver``), with the thread store on PostgreSQL.

PostgreSQL: ``$CHATWIDGET_TEST_PG_URL`` (default ``postgresql+asyncpg://postgres@127.0.0.1:5432/test``)
is the administration connection; the session creates a database of its own for the store
and drops it at the end. Unreachable: the tests fail under CI (``CI=true``), else are skipped.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hubdriver import USERS, Hub, Kernel

PG_ADMIN_URL = os.environ.get("CHATWIDGET_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


async def _pg_admin(statement: str) -> None:
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


def _run(statement: str) -> None:
    # In a thread of its own: this thread may be running a loop already (Playwright's, or
    # pytest-asyncio's), and asyncio.run() here would also unset the current loop.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, _pg_admin(statement)).result()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(item.fspath).resolve().parents:
            item.add_marker(pytest.mark.hub)


@pytest.fixture(scope="session")
def store_db_url() -> Iterator[str]:
    name = f"chatwidget_hub_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        _run(f'CREATE DATABASE "{name}"')
    except (OSError, asyncio.TimeoutError, ImportError) as exc:
        reason = f"PostgreSQL at {PG_ADMIN_URL} is not reachable ({exc!r})"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{reason}; CI must run the hub tests")
        pytest.skip(reason)
    yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    _run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def hub(tmp_path_factory: pytest.TempPathFactory, store_db_url: str) -> Iterator[Hub]:
    server = Hub(tmp_path_factory.mktemp("hub"), store_db_url)
    try:
        server.start()
        for user in USERS:
            server.start_server(user)
        yield server
    finally:
        server.stop()
        artifacts = Path(__file__).resolve().parents[2] / "test-artifacts"
        if artifacts.is_dir():
            (artifacts / "jupyterhub.log").write_bytes(server.log_path.read_bytes())


@pytest.fixture(scope="session")
def tokens(hub: Hub) -> dict[str, str]:
    """A hub API token of each user (as a user gets one from the hub's token page)."""
    return {user: hub.user_token(user) for user in USERS}


@pytest.fixture(scope="session")
def kernels(hub: Hub, tokens: dict[str, str]) -> Iterator[dict[str, Kernel]]:
    """One kernel in each user's server, started by that user."""
    started = {user: Kernel(hub, user, tokens[user]) for user in USERS}
    yield started
    for kernel in started.values():
        kernel.close()
