"""The SQL data layer's operations, on SQLite and PostgreSQL (see ``conftest.py``)."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

import pytest

from chatwidget._protocol import StepDict
from chatwidget.data import DataLayerError, Pagination, ThreadFilter, User
from chatwidget.data.sql import SQLDataLayer


def step(step_id: str, thread_id: str = "t1", **fields: Any) -> StepDict:
    base: dict[str, Any] = {
        "id": step_id,
        "threadId": thread_id,
        "type": "assistant_message",
        "name": "Assistant",
        "output": f"output of {step_id}",
        "createdAt": "2024-05-01T12:00:00.000Z",
    }
    base.update(fields)
    return base  # type: ignore[return-value]


# -- users --------------------------------------------------------------------------------


async def test_users(layer: SQLDataLayer) -> None:
    assert await layer.get_user("alice") is None
    alice = await layer.create_user(User("alice", display_name="Alice", metadata={"role": "admin"}))
    assert alice.id and alice.created_at and alice.metadata == {"role": "admin"}
    again = await layer.create_user(User("alice", display_name="A.", metadata={"role": "user"}))
    assert again.id == alice.id and again.created_at == alice.created_at
    assert again.display_name == "A." and again.metadata == {"role": "user"}
    fetched = await layer.get_user("alice")
    assert fetched == again
    bob = await layer.create_user(User("bob"))
    assert bob.id != alice.id


# -- threads ------------------------------------------------------------------------------


async def test_thread_crud(layer: SQLDataLayer) -> None:
    user = await layer.create_user(User("alice"))
    assert await layer.get_thread("t1") is None
    assert await layer.get_thread_author("t1") is None
    await layer.update_thread("t1", create=True)
    thread = await layer.get_thread("t1")
    assert thread is not None and thread["steps"] == [] and thread["elements"] == []
    assert thread["name"] is None and thread["userId"] is None
    assert thread["createdAt"] == thread["updatedAt"]

    await layer.update_thread("t1", name="First", user_id=user.id, tags=["a"], metadata={"k": 1, "j": 2})
    await layer.update_thread("t1", metadata={"j": None, "m": "x"})  # merged; None removes a key
    thread = await layer.get_thread("t1")
    assert thread is not None
    assert thread["name"] == "First" and thread["tags"] == ["a"]
    assert thread["userId"] == user.id and thread["userIdentifier"] == "alice"
    assert thread["metadata"] == {"k": 1, "m": "x", "is_shared": False, "shared_at": None}
    assert await layer.get_thread_author("t1") == "alice"

    await layer.update_thread("t1", name="Renamed")  # other fields stay
    thread = await layer.get_thread("t1")
    assert thread is not None and thread["name"] == "Renamed" and thread["tags"] == ["a"]


async def test_sharing_columns(layer: SQLDataLayer) -> None:
    await layer.update_thread("t1", metadata={"is_shared": True}, create=True)
    thread = await layer.get_thread("t1")
    assert thread is not None and thread["metadata"] is not None
    assert thread["metadata"]["is_shared"] is True and thread["metadata"]["shared_at"]
    await layer.update_thread("t1", metadata={"is_shared": False})
    thread = await layer.get_thread("t1")
    assert thread is not None and thread["metadata"] is not None
    assert thread["metadata"]["is_shared"] is False and thread["metadata"]["shared_at"] is None


async def test_thread_for_unknown_user_is_refused(layer: SQLDataLayer) -> None:
    with pytest.raises(DataLayerError, match="no user"):
        await layer.update_thread("t1", user_id="nobody", create=True)
    assert await layer.get_thread("t1") is None  # the transaction rolled back


@pytest.mark.parametrize(
    "change",
    [{"name": "Renamed"}, {"metadata": {"is_shared": True}}, {"metadata": {"is_shared": False}}, {}],
)
async def test_updating_a_missing_or_deleted_thread_creates_nothing(
    layer: SQLDataLayer, change: dict[str, Any]
) -> None:
    """A rename or (un)share that lands after a delete must not bring the thread back."""
    assert await layer.update_thread("never", **change) is False
    assert await layer.get_thread("never") is None
    alice = await layer.create_user(User("alice"))
    assert await layer.update_thread("t1", name="mine", user_id=alice.id, create=True) is True
    await layer.delete_thread("t1")
    assert await layer.update_thread("t1", **change) is False
    assert await layer.update_thread("t1", author="alice", **change) is False
    assert await layer.get_thread("t1") is None
    assert (await layer.list_threads(Pagination(), ThreadFilter())).data == []


async def test_creating_never_takes_over_an_existing_thread(layer: SQLDataLayer) -> None:
    alice = await layer.create_user(User("alice"))
    bob = await layer.create_user(User("bob"))
    assert await layer.update_thread("t1", name="first", user_id=alice.id, create=True) is True
    assert await layer.update_thread("t1", name="again", user_id=alice.id, create=True) is True
    assert await layer.update_thread("t1", name="bob's", user_id=bob.id, create=True) is False
    await layer.update_thread("ownerless", create=True)
    assert await layer.update_thread("ownerless", user_id=bob.id, create=True) is False
    thread = await layer.get_thread("t1")
    assert thread is not None and thread["userIdentifier"] == "alice" and thread["name"] == "again"
    assert await layer.get_thread_author("ownerless") is None
    assert await layer.update_thread("t2", user_id=alice.id, create=True, author="bob") is False
    assert await layer.get_thread("t2") is None


async def test_concurrent_creators_of_one_thread_one_wins(layer: SQLDataLayer) -> None:
    users = [await layer.create_user(User(f"user{i}")) for i in range(4)]
    created = await asyncio.gather(
        *(layer.update_thread("t1", name=u.identifier, user_id=u.id, create=True) for u in users)
    )
    assert created.count(True) == 1
    winner = users[created.index(True)].identifier
    thread = await layer.get_thread("t1")
    assert thread is not None and thread["userIdentifier"] == winner and thread["name"] == winner


async def test_an_update_checks_the_author_in_the_same_write(layer: SQLDataLayer) -> None:
    alice = await layer.create_user(User("alice"))
    await layer.update_thread("t1", name="mine", user_id=alice.id, create=True)
    assert await layer.update_thread("t1", name="stolen", metadata={"is_shared": True}, author="bob") is False
    thread = await layer.get_thread("t1")
    assert thread is not None and thread["name"] == "mine"
    assert thread["metadata"] is not None and thread["metadata"]["is_shared"] is False
    assert await layer.update_thread("t1", name="renamed", author="alice") is True
    thread = await layer.get_thread("t1")
    assert thread is not None and thread["name"] == "renamed"


# -- steps --------------------------------------------------------------------------------


async def test_steps_upsert_and_order(layer: SQLDataLayer) -> None:
    await layer.update_thread("t1", create=True)
    same_ms = "2024-05-01T12:00:01.000Z"
    await layer.create_step(step("c", createdAt="2024-05-01T12:00:02.000Z"))
    await layer.write_steps(
        [
            step("a", type="user_message", output="hi", createdAt="2024-05-01T12:00:00.000Z"),
            step("b2", createdAt=same_ms, output="first of the millisecond"),
            step("b1", createdAt=same_ms, output="second of the millisecond", parentId="b2"),
        ]
    )
    await layer.update_step(step("b2", createdAt=same_ms, output="edited", streaming=True))
    # A dict without some keys leaves them as they are.
    await layer.write_steps([{"id": "a", "threadId": "t1", "end": "2024-05-01T12:00:00.500+00:00"}])
    thread = await layer.get_thread("t1")
    assert thread is not None
    steps = thread["steps"]
    assert [s["id"] for s in steps] == ["a", "b2", "b1", "c"]
    a, b2, b1, _ = steps
    assert a["output"] == "hi" and a["type"] == "user_message" and a["end"] == "2024-05-01T12:00:00.500Z"
    assert b2["output"] == "edited" and b2["streaming"] is True
    assert b1["parentId"] == "b2"


async def test_step_fields_round_trip(layer: SQLDataLayer) -> None:
    await layer.update_thread("t1", create=True)
    full = step(
        "s",
        parentId="p",
        type="tool",
        streaming=False,
        metadata={"k": [1, 2]},
        tags=["x"],
        input="in",
        output="out",
        isError=True,
        start="2024-05-01T12:00:00.000Z",
        end="2024-05-01T12:00:03.250Z",
        language="python",
        defaultOpen=True,
        showInput="json",
        generation={"model": "m", "messages": []},
        command="search",
    )
    await layer.create_step(full)
    thread = await layer.get_thread("t1")
    assert thread is not None
    stored = thread["steps"][0]
    for key, value in full.items():
        assert stored[key] == value, key  # type: ignore[literal-required]


async def test_every_flag_and_rare_field_reads_back_alone(layer: SQLDataLayer) -> None:
    """The read packs the flags into one number and the rare fields into one column: each
    combination of flags, and each rare field set on its own, comes back as written."""
    await layer.update_thread("t1", create=True)
    written: list[StepDict] = []
    for n, (streaming, is_error, default_open, collapse) in enumerate(
        itertools.product((False, True), (None, False, True), (None, False, True), (False, True))
    ):
        fields: dict[str, Any] = {"streaming": streaming, "isError": is_error, "defaultOpen": default_open}
        if collapse:
            fields["autoCollapse"] = True
        written.append(step(f"f{n:02d}", createdAt=f"2024-05-01T12:00:{n:02d}.000Z", **fields))
    rare: dict[str, Any] = {"tags": ["a", "b"], "generation": {"model": "m"}, "command": "c", "icon": "i"}
    for n, (key, value) in enumerate(rare.items()):
        written.append(step(f"r{n}", createdAt=f"2024-05-01T12:01:{n:02d}.000Z", **{key: value}))
    await layer.write_steps(written)
    await layer.upsert_feedback({"forId": "r0", "value": 0, "comment": "no"})
    await layer.upsert_feedback({"forId": "f00", "value": 1})
    thread = await layer.get_thread("t1")
    assert thread is not None
    stored: dict[str, dict[str, Any]] = {s["id"]: dict(s) for s in thread["steps"]}
    assert list(stored) == [s["id"] for s in written]
    for sent in written:
        got = stored[sent["id"]]
        for key, value in sent.items():
            assert got[key] == value, (sent["id"], key)
        for key in rare.keys() - sent.keys():
            assert got.get(key) is None, (sent["id"], key)
        if "autoCollapse" not in sent:
            assert "autoCollapse" not in got
    assert stored["r0"]["feedback"]["value"] == 0 and stored["r0"]["feedback"]["comment"] == "no"
    assert stored["f00"]["feedback"]["value"] == 1
    assert "feedback" not in stored["f01"] and "feedback" not in stored["r1"]


async def test_write_steps_batch_bumps_updated_at(layer: SQLDataLayer) -> None:
    await layer.update_thread("t1", create=True)
    await layer.write_steps([step(f"s{i}", createdAt=f"2099-01-01T00:00:{i:02d}.000Z") for i in range(50)])
    thread = await layer.get_thread("t1")
    assert thread is not None and len(thread["steps"]) == 50
    assert thread["updatedAt"] == "2099-01-01T00:00:49.000Z"
    await layer.write_steps([step("old", createdAt="2000-01-01T00:00:00.000Z")])  # never goes back
    thread = await layer.get_thread("t1")
    assert thread is not None and thread["updatedAt"] == "2099-01-01T00:00:49.000Z"


async def test_step_for_missing_thread_raises_and_writes_nothing(layer: SQLDataLayer) -> None:
    await layer.update_thread("t1", create=True)
    with pytest.raises(DataLayerError) as info:
        await layer.write_steps([step("ok"), step("orphan", thread_id="missing")])
    assert info.value.__cause__ is not None  # the driver's error is chained
    thread = await layer.get_thread("t1")
    assert thread is not None and thread["steps"] == []  # one transaction: all or nothing


async def test_bad_steps_are_refused(layer: SQLDataLayer) -> None:
    with pytest.raises(ValueError, match="threadId"):
        await layer.create_step({"id": "x"})  # type: ignore[typeddict-item]
    with pytest.raises(ValueError, match="invalid timestamp"):
        await layer.create_step(step("x", createdAt="not a time"))


async def test_delete_step_takes_feedback_and_elements(layer: SQLDataLayer) -> None:
    await layer.update_thread("t1", create=True)
    await layer.write_steps([step("a"), step("b")])
    await layer.upsert_feedback({"forId": "a", "value": 1})
    await layer.create_element({"id": "e", "threadId": "t1", "forId": "a", "name": "x"}, b"bytes")
    await layer.delete_step("a")
    thread = await layer.get_thread("t1")
    assert thread is not None
    assert [s["id"] for s in thread["steps"]] == ["b"] and thread["elements"] == []


# -- elements -----------------------------------------------------------------------------


async def test_elements_with_bytes(layer: SQLDataLayer, tmp_path: Path) -> None:
    await layer.update_thread("t1", create=True)
    await layer.update_thread("t2", create=True)
    element = {"id": "e1", "threadId": "t1", "type": "image", "name": "../../etc/passwd", "mime": "image/png"}
    await layer.create_element({**element, "objectKey": "../../../etc/shadow"}, b"\x89PNG...")  # type: ignore[typeddict-item]
    stored = await layer.get_element("t1", "e1")
    assert stored is not None and stored["name"] == "../../etc/passwd" and stored["mime"] == "image/png"
    key = stored["objectKey"]
    assert key and len(key) == 32 and key != "../../../etc/shadow"  # generated, never taken
    assert await layer.read_element_content("t1", "e1") == b"\x89PNG..."
    files = [p for p in (tmp_path / "elements").rglob("*") if p.is_file()]
    assert [p.name for p in files] == [key]

    # Another thread cannot read it, nor take its id.
    assert await layer.get_element("t2", "e1") is None
    assert await layer.read_element_content("t2", "e1") is None
    with pytest.raises(DataLayerError, match="another thread"):
        await layer.create_element({"id": "e1", "threadId": "t2", "name": "x"}, b"other")
    assert await layer.read_element_content("t1", "e1") == b"\x89PNG..."
    assert [p.name for p in (tmp_path / "elements").rglob("*") if p.is_file()] == [key]  # no orphan

    # New content replaces the old bytes; without content, the element keeps its bytes.
    await layer.create_element({"id": "e1", "threadId": "t1", "name": "v2"}, b"v2")
    await layer.create_element({"id": "e1", "threadId": "t1", "name": "v3"})
    assert await layer.read_element_content("t1", "e1") == b"v2"
    assert len([p for p in (tmp_path / "elements").rglob("*") if p.is_file()]) == 1

    await layer.create_element({"id": "e2", "threadId": "t1", "name": "link", "url": "https://x.test/a"})
    assert await layer.read_element_content("t1", "e2") is None
    await layer.delete_element("e1", thread_id="t2")  # wrong thread: nothing happens
    assert await layer.get_element("t1", "e1") is not None
    await layer.delete_element("e1")
    assert await layer.get_element("t1", "e1") is None
    assert not [p for p in (tmp_path / "elements").rglob("*") if p.is_file()]


async def test_element_for_missing_thread_leaves_no_bytes(layer: SQLDataLayer, tmp_path: Path) -> None:
    with pytest.raises(DataLayerError):
        await layer.create_element({"id": "e", "threadId": "missing", "name": "x"}, b"data")
    assert not [p for p in (tmp_path / "elements").rglob("*") if p.is_file()]


# -- feedback -----------------------------------------------------------------------------


async def test_feedback_upsert_and_delete(layer: SQLDataLayer) -> None:
    await layer.update_thread("t1", create=True)
    await layer.create_step(step("s"))
    first = await layer.upsert_feedback({"forId": "s", "value": 0, "comment": "meh"})
    second = await layer.upsert_feedback({"forId": "s", "value": 1, "comment": None})
    assert first == second  # one feedback per step
    thread = await layer.get_thread("t1")
    assert thread is not None
    assert thread["steps"][0]["feedback"] == {  # type: ignore[typeddict-item]
        "id": first, "forId": "s", "threadId": "t1", "value": 1, "comment": None,
    }  # fmt: skip
    assert await layer.delete_feedback(first) is True
    assert await layer.delete_feedback(first) is False
    thread = await layer.get_thread("t1")
    assert thread is not None and "feedback" not in thread["steps"][0]


async def test_feedback_before_its_step_is_written(layer: SQLDataLayer) -> None:
    await layer.update_thread("t1", create=True)
    with pytest.raises(DataLayerError, match="no step"):
        await layer.upsert_feedback({"forId": "later", "value": 1})
    await layer.upsert_feedback({"forId": "later", "threadId": "t1", "value": 1})
    with pytest.raises(ValueError, match="value"):
        await layer.upsert_feedback({"forId": "later", "threadId": "t1", "value": 2})  # type: ignore[typeddict-item]


# -- deleting a thread --------------------------------------------------------------------


async def test_delete_thread_cascades(layer: SQLDataLayer, tmp_path: Path) -> None:
    for thread_id in ("t1", "t2"):
        await layer.update_thread(thread_id, name=f"thread {thread_id}", create=True)
        await layer.write_steps([step(f"{thread_id}-s", thread_id=thread_id, output="needle")])
        await layer.upsert_feedback({"forId": f"{thread_id}-s", "value": 1})
        await layer.create_element({"id": f"{thread_id}-e", "threadId": thread_id, "name": "f"}, b"x")
    await layer.delete_thread("t1")
    assert await layer.get_thread("t1") is None
    assert await layer.get_element("t1", "t1-e") is None
    assert len([p for p in (tmp_path / "elements").rglob("*") if p.is_file()]) == 1
    from chatwidget.data import Pagination, ThreadFilter

    for filters in (ThreadFilter(search="needle"), ThreadFilter(feedback=1), ThreadFilter()):
        page = await layer.list_threads(Pagination(), filters)
        assert [t["id"] for t in page.data] == ["t2"]
    async with layer.engine.connect() as conn:
        for table in ("steps", "elements", "feedbacks"):
            count = (await conn.exec_driver_sql(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608
            assert count == 1, table
        if layer.dialect == "sqlite":
            await conn.exec_driver_sql("INSERT INTO steps_fts(steps_fts) VALUES ('integrity-check')")
            await conn.exec_driver_sql("INSERT INTO threads_fts(threads_fts) VALUES ('integrity-check')")
    await layer.delete_thread("t1")  # deleting what is gone is not an error


# -- errors -------------------------------------------------------------------------------


async def test_closed_layer_raises(layer: SQLDataLayer) -> None:
    await layer.close()
    with pytest.raises(DataLayerError, match="closed"):
        await layer.get_thread("t1")
    with pytest.raises(DataLayerError, match="closed"):
        await layer.write_steps([step("s")])


async def test_unreachable_database_raises(tmp_path: Path) -> None:
    bad = SQLDataLayer(f"sqlite+aiosqlite:///{tmp_path / 'no-such-dir' / 'x' / 'chat.db'}")
    (tmp_path / "no-such-dir").write_text("a file where a directory should be")
    with pytest.raises((DataLayerError, OSError)):
        await bad.get_thread("t1")
    await bad.close()
    pg = SQLDataLayer("postgresql+asyncpg://postgres@127.0.0.1:1/none")
    with pytest.raises((DataLayerError, OSError)):
        await pg.get_thread("t1")
    await pg.close()


async def test_dropped_table_raises_not_swallowed(layer: SQLDataLayer) -> None:
    await layer.update_thread("t1", create=True)
    async with layer.engine.begin() as conn:
        await conn.exec_driver_sql("DROP TABLE feedbacks")
    with pytest.raises(DataLayerError) as info:
        await layer.upsert_feedback({"forId": "s", "threadId": "t1", "value": 1})
    assert info.value.__cause__ is not None
    if layer.dialect == "postgresql":  # give the session database its table back
        from chatwidget.data.sql.models import FeedbackRow

        async with layer.engine.begin() as conn:
            await conn.run_sync(lambda c: FeedbackRow.__table__.create(c))
