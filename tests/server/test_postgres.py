"""Smoke test of the extension on PostgreSQL: list, get, share, the public JSON, an element.

The test creates a fresh database and drops it afterwards (see ``pg_databases``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from jupyter_core.paths import jupyter_data_dir
from pg_databases import as_text, create_database, drop_databases
from server_support import Call, Seed


@pytest.fixture
async def db_url() -> AsyncIterator[str]:
    url = create_database("chatwidget_server_test")
    yield as_text(url)
    drop_databases(url)


@pytest.fixture
async def seed(db_url: str) -> AsyncIterator[Seed]:
    # On PostgreSQL the server keeps element bytes in the Jupyter data directory: seed there too.
    s = Seed(db_url, Path(jupyter_data_dir()) / "chatwidget" / "elements")
    yield s
    await s.layer.close()


async def test_the_api_and_sharing_on_postgresql(call: Call, seed: Seed) -> None:
    assert seed.layer.dialect == "postgresql"
    thread_id = await seed.thread(name="On Postgres")
    element_id = await seed.element(thread_id, b"\x89PNG", "image/png", name="p.png")
    await seed.thread(owner="mallory")

    listed = await call("GET", "chatwidget/api/threads?search=Postgres")
    assert listed.code == 200 and [t["id"] for t in listed.json()["data"]] == [thread_id]
    other_app = await seed.thread(name="Elsewhere", metadata={"app": "Other app"})
    scoped = await call("GET", "chatwidget/api/threads?app=Other%20app")
    assert [(t["id"], t["app"]) for t in scoped.json()["data"]] == [(other_app, "Other app")]
    assert {t["id"] for t in (await call("GET", "chatwidget/api/threads")).json()["data"]} == {
        thread_id, other_app
    }  # fmt: skip
    assert (await call("GET", f"chatwidget/api/threads/{thread_id}")).json()["name"] == "On Postgres"
    assert (await call("GET", f"chatwidget/share/{thread_id}", anonymous=True)).code == 404
    assert (await call("PUT", f"chatwidget/api/threads/{thread_id}/share")).json()["isShared"] is True
    public = await call("GET", f"chatwidget/share/{thread_id}", anonymous=True)
    assert public.code == 200 and public.json()["name"] == "On Postgres"
    file = await call("GET", f"chatwidget/share/{thread_id}/elements/{element_id}", anonymous=True)
    assert file.code == 200 and file.body == b"\x89PNG"
    assert (await call("DELETE", f"chatwidget/api/threads/{thread_id}")).code == 204
    assert (await call("GET", f"chatwidget/share/{thread_id}", anonymous=True)).code == 404
