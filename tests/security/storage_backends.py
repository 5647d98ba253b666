"""The security tests that store things run on SQLite and on PostgreSQL.

On PostgreSQL each test gets a fresh database, dropped afterwards (see ``pg_databases``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from jupyter_core.paths import jupyter_data_dir
from pg_databases import as_text, create_database, drop_databases


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"
        return
    url = create_database("chatwidget_security")
    yield as_text(url)
    drop_databases(url)


def elements_dir(db_url: str, tmp_path: Path) -> Path:
    """Where the server's data layer keeps element bytes for ``db_url`` (a seed writes there)."""
    if db_url.startswith("sqlite"):
        return tmp_path / "chat-elements"
    return Path(jupyter_data_dir()) / "chatwidget" / "elements"
