"""Threads per app: each thread keeps the app it was made in, and a list can be one app's."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url

from chatwidget.data import Pagination, ThreadFilter, User
from chatwidget.data.sql import SCHEMA_VERSION, SQLDataLayer
from chatwidget.data.threads import ThreadService


def at(second: int) -> str:
    return f"2100-01-01T00:{second // 60:02d}:{second % 60:02d}.000Z"


async def make(layer: SQLDataLayer, thread_id: str, user_id: str, app: str | None, second: int) -> None:
    metadata = None if app is None else {"app": app}
    assert await layer.update_thread(
        thread_id, name=thread_id, user_id=user_id, metadata=metadata, create=True
    )
    await layer.write_steps(
        [{"id": f"{thread_id}-m", "threadId": thread_id, "type": "user_message",
          "output": f"hello from {thread_id}", "createdAt": at(second)}]
    )  # fmt: skip


async def ids(layer: SQLDataLayer, filters: ThreadFilter, first: int = 20) -> list[str]:
    seen, cursor = [], None
    while True:
        page = await layer.list_threads(Pagination(first=first, cursor=cursor), filters)
        seen += [t["id"] for t in page.data]
        if not page.pageInfo.hasNextPage:
            return seen
        cursor = page.pageInfo.endCursor


async def test_a_list_of_one_app_pages_searches_and_filters_within_it(layer: SQLDataLayer) -> None:
    alice = (await layer.create_user(User("alice"))).id
    bob = (await layer.create_user(User("bob"))).id
    for i in range(7):
        await make(layer, f"a{i}", alice, "~/nb.ipynb: Writer" if i % 2 else "~/nb.ipynb: Critic", i)
    await make(layer, "b0", bob, "~/nb.ipynb: Writer", 10)
    await make(layer, "old", alice, None, 11)

    writer = ThreadFilter(userId=alice, app="~/nb.ipynb: Writer")
    assert await ids(layer, writer, first=2) == ["a5", "a3", "a1"]
    assert await ids(layer, ThreadFilter(userId=alice, app="~/nb.ipynb: Critic")) == ["a6", "a4", "a2", "a0"]
    assert await ids(layer, ThreadFilter(userId=alice)) == ["old", "a6", "a5", "a4", "a3", "a2", "a1", "a0"]
    assert await ids(layer, ThreadFilter(userId=alice, app="nobody's")) == []
    # search (both ways a page is found) stays inside the app and the owner
    assert await ids(layer, ThreadFilter(userId=alice, app="~/nb.ipynb: Writer", search="hello")) == [
        "a5", "a3", "a1"
    ]  # fmt: skip
    assert await ids(layer, ThreadFilter(userId=alice, app="~/nb.ipynb: Writer", search="a3")) == ["a3"]
    assert await ids(layer, ThreadFilter(userId=alice, app="~/nb.ipynb: Critic", search="a3")) == []
    thread = await layer.get_thread("a3")
    assert thread is not None and thread["metadata"]["app"] == "~/nb.ipynb: Writer"  # type: ignore[index]


async def test_a_thread_keeps_its_app_and_one_made_before_apps_takes_the_first_given(
    layer: SQLDataLayer,
) -> None:
    alice = (await layer.create_user(User("alice"))).id
    await make(layer, "t1", alice, "First", 1)
    await make(layer, "legacy", alice, None, 2)
    # a second app writing to the thread (a resume from "all apps") does not take it over
    assert await layer.update_thread("t1", metadata={"app": "Second", "chat_profile": "x"}, author="alice")
    assert await ids(layer, ThreadFilter(userId=alice, app="First")) == ["t1"]
    assert await ids(layer, ThreadFilter(userId=alice, app="Second")) == []
    assert await layer.update_thread("legacy", metadata={"app": "Second"}, author="alice")
    assert await ids(layer, ThreadFilter(userId=alice, app="Second")) == ["legacy"]
    stored = await layer.get_thread("t1")
    assert stored is not None and stored["metadata"] == {  # the app is a column, not metadata JSON
        "chat_profile": "x", "is_shared": False, "shared_at": None, "app": "First"
    }  # fmt: skip


@pytest.mark.parametrize("app", [7, ["x"], "x" * 256])
async def test_a_bad_app_name_is_refused_and_changes_nothing(layer: SQLDataLayer, app: object) -> None:
    alice = (await layer.create_user(User("alice"))).id
    await make(layer, "t1", alice, None, 1)
    with pytest.raises(ValueError, match="app"):
        await layer.update_thread("t1", name="renamed", metadata={"app": app}, author="alice")
    thread = await layer.get_thread("t1")
    assert thread is not None and thread["name"] == "t1" and "app" not in (thread["metadata"] or {})


async def test_the_thread_service_lists_one_app_or_all(layer: SQLDataLayer) -> None:
    alice = (await layer.create_user(User("alice"))).id
    await make(layer, "w", alice, "Writer", 1)
    await make(layer, "c", alice, "Critic", 2)
    await make(layer, "old", alice, None, 3)
    service = ThreadService(layer)
    page = await service.list("alice", app="Writer")
    assert [(t["id"], t["app"]) for t in page["data"]] == [("w", "Writer")]
    everything = await service.list("alice")
    assert [(t["id"], t["app"]) for t in everything["data"]] == [
        ("old", None),
        ("c", "Critic"),
        ("w", "Writer"),
    ]
    assert (await service.list("bob", app="Writer"))["data"] == []


@pytest.fixture
def fresh_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> URL:
    if backend == "sqlite":
        return make_url(f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}")
    new_pg_url: Callable[[], URL] = request.getfixturevalue("new_pg_url")
    return new_pg_url()


async def test_upgrade_from_version_4_keeps_old_threads_listed_under_all_apps(fresh_url: URL) -> None:
    old = SQLDataLayer(fresh_url, auto_migrate=False)
    assert await old.migrate(4) == 4
    async with old.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO users (id, identifier, metadata, created_at) VALUES "
                "('u1', 'alice', '{}', '2024-01-01T00:00:00.000Z')"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO threads (id, created_at, updated_at, name, user_id, user_identifier, metadata) "
                "VALUES ('o1', '2024-01-01T00:00:00.000Z', '2024-01-02T00:00:00.000Z', 'Old one', 'u1', "
                "'alice', :m)"
            ),
            {"m": json.dumps({"chat_profile": "p"})},
        )
    await old.close()

    layer = SQLDataLayer(fresh_url)
    assert await layer.migrate() == SCHEMA_VERSION
    assert await ids(layer, ThreadFilter(userId="u1")) == ["o1"]
    assert await ids(layer, ThreadFilter(userId="u1", app="Writer")) == []
    await make(layer, "n1", "u1", "Writer", 1)
    assert await ids(layer, ThreadFilter(userId="u1", app="Writer")) == ["n1"]
    assert await ids(layer, ThreadFilter(userId="u1")) == ["n1", "o1"]
    await layer.close()


async def test_a_steps_icon_and_auto_collapse_are_kept(layer: SQLDataLayer) -> None:
    alice = (await layer.create_user(User("alice"))).id
    await make(layer, "t1", alice, "App", 1)
    await layer.write_steps(
        [{"id": "s1", "threadId": "t1", "type": "tool", "name": "search", "icon": "globe",
          "autoCollapse": True},
         {"id": "s2", "threadId": "t1", "type": "llm", "name": "think"}]
    )  # fmt: skip
    await layer.create_step({"id": "s3", "threadId": "t1", "type": "tool", "icon": "database"})
    thread = await layer.get_thread("t1")
    assert thread is not None
    by_id = {s["id"]: s for s in thread["steps"]}
    assert (by_id["s1"]["icon"], by_id["s1"]["autoCollapse"]) == ("globe", True)
    assert "icon" not in by_id["s2"] and "autoCollapse" not in by_id["s2"]
    assert by_id["s3"]["icon"] == "database"
    with pytest.raises(ValueError, match="icon"):
        await layer.write_steps([{"id": "s4", "threadId": "t1", "type": "tool", "icon": 7}])  # type: ignore[typeddict-item]


async def test_steps_of_one_millisecond_read_back_in_the_order_they_were_written(layer: SQLDataLayer) -> None:
    alice = (await layer.create_user(User("alice"))).id
    await make(layer, "t1", alice, "App", 1)
    same = "2100-01-01T01:00:00.000Z"
    kinds = ["user_message", "tool", "llm", "assistant_message", "tool"]
    steps = [
        {
            "id": f"o{i}",
            "threadId": "t1",
            "type": kind,
            "createdAt": same,
            **({"icon": "globe"} if i % 2 else {}),
        }
        for i, kind in enumerate(kinds)
    ]
    await layer.write_steps(steps)  # type: ignore[arg-type]
    thread = await layer.get_thread("t1")
    assert thread is not None
    assert [s["id"] for s in thread["steps"] if s["id"].startswith("o")] == ["o0", "o1", "o2", "o3", "o4"]
