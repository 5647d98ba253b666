"""A real JupyterHub per test session (see ``hubdriver``), with the thread store on PostgreSQL.

The session creates a PostgreSQL database of its own for the store and drops it at the end
(see ``pg_databases``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pg_databases import as_text, create_database, drop_databases

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hubdriver import USERS, Hub, Kernel


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(item.fspath).resolve().parents:
            item.add_marker(pytest.mark.hub)


@pytest.fixture(scope="session")
def store_db_url() -> Iterator[str]:
    url = create_database("chatwidget_hub", what="the hub tests")
    yield as_text(url)
    drop_databases(url)


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
