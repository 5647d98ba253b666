"""``get_thread``: the whole thread as stored, and pages of its newest steps (SQLite, PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from chatwidget._protocol import StepDict
from chatwidget.data.sql import SQLDataLayer


def _step(n: int, **fields: Any) -> StepDict:
    # Steps 2k and 2k+1 share a millisecond: the order between them is the order of writing.
    base: dict[str, Any] = {
        "id": f"s{n:03d}",
        "threadId": "t1",
        "type": "assistant_message" if n % 2 else "user_message",
        "name": "Assistant" if n % 2 else "User",
        "output": f"text {n}",
        "createdAt": f"2024-05-01T12:00:{n // 2:02d}.000Z",
    }
    base.update(fields)
    return base  # type: ignore[return-value]


async def _thread_of(layer: SQLDataLayer, count: int) -> list[str]:
    await layer.update_thread("t1", create=True)
    # written one at a time so that ties are broken by the order of writing
    for n in range(count):
        await layer.create_step(_step(n))
    return [f"s{n:03d}" for n in range(count)]


async def test_every_field_of_a_step_reads_back(layer: SQLDataLayer) -> None:
    await layer.update_thread("t1", create=True, metadata={"chat_profile": "p"})
    full = _step(
        0,
        parentId="run1",
        streaming=True,
        metadata={"nested": {"a": [1, 2]}, "s": "x"},
        tags=["a", "b"],
        input="the input",
        isError=True,
        start="2024-05-01T12:00:00.000Z",
        end="2024-05-01T12:00:01.000Z",
        language="python",
        defaultOpen=False,
        showInput=False,
        generation={"model": "m", "tokens": 3},
        command="search",
    )
    bare: dict[str, Any] = {"id": "bare", "threadId": "t1", "createdAt": "2024-05-01T12:00:02.000Z"}
    await layer.write_steps([full, bare])  # type: ignore[list-item]
    await layer.upsert_feedback({"forId": "s000", "value": 0, "comment": "no"})
    await layer.create_element({"id": "e1", "threadId": "t1", "forId": "s000", "name": "a.txt",
                                "type": "text", "mime": "text/plain", "props": {"k": 1}}, b"x")  # fmt: skip
    thread = await layer.get_thread("t1")
    assert thread is not None
    assert thread["metadata"] == {"chat_profile": "p", "is_shared": False, "shared_at": None}
    first, second = thread["steps"]
    feedback = first.pop("feedback")
    assert feedback["value"] == 0 and feedback["comment"] == "no" and feedback["forId"] == "s000"
    assert feedback["threadId"] == "t1" and feedback["id"]
    assert first == {
        "id": "s000", "threadId": "t1", "parentId": "run1", "name": "User", "type": "user_message",
        "streaming": True, "metadata": {"nested": {"a": [1, 2]}, "s": "x"}, "tags": ["a", "b"],
        "input": "the input", "output": "text 0", "isError": True, "createdAt": "2024-05-01T12:00:00.000Z",
        "start": "2024-05-01T12:00:00.000Z", "end": "2024-05-01T12:00:01.000Z", "language": "python",
        "defaultOpen": False, "showInput": False, "generation": {"model": "m", "tokens": 3},
        "command": "search",
    }  # fmt: skip
    assert second == {
        "id": "bare", "threadId": "t1", "parentId": None, "name": "", "type": "undefined",
        "streaming": False, "metadata": {}, "tags": None, "input": "", "output": "", "isError": None,
        "createdAt": "2024-05-01T12:00:02.000Z", "start": None, "end": None, "language": None,
        "defaultOpen": None, "showInput": None, "generation": None,
    }  # fmt: skip
    (element,) = thread["elements"] or []
    assert element["props"] == {"k": 1} and element["forId"] == "s000" and element["display"] == "inline"
    assert element["objectKey"] and element["type"] == "text" and element["name"] == "a.txt"


async def test_whole_thread_in_creation_order_ties_by_writing(layer: SQLDataLayer) -> None:
    ids = await _thread_of(layer, 9)
    await layer.write_steps([_step(1, output="changed")])  # an update keeps the step's place
    thread = await layer.get_thread("t1")
    assert thread is not None
    assert [s["id"] for s in thread["steps"]] == ids
    assert thread["steps"][1]["output"] == "changed"
    assert "olderSteps" not in thread


@pytest.mark.parametrize("limit", [1, 3, 4, 9, 50])
async def test_pages_walk_back_to_the_first_step(layer: SQLDataLayer, limit: int) -> None:
    ids = await _thread_of(layer, 9)
    pages: list[list[str]] = []
    cursor = None
    while True:
        thread = await layer.get_thread("t1", steps_limit=limit, steps_before=cursor)
        assert thread is not None
        pages.append([s["id"] for s in thread["steps"]])
        cursor = thread["olderSteps"]
        older = sum(map(len, pages[:-1]))
        assert thread["olderCount"] == (9 - older - len(pages[-1]) if cursor else 0)
        if cursor is None:
            break
        assert len(pages) <= 9, "the cursor does not move"
    assert pages[0] == ids[-limit:]  # the newest steps first, each page in creation order
    assert [i for page in reversed(pages) for i in page] == ids
    assert all(len(page) == limit for page in pages[:-1]) and 0 < len(pages[-1]) <= limit


async def test_a_page_carries_the_elements_and_feedback_of_its_steps(layer: SQLDataLayer) -> None:
    await _thread_of(layer, 6)
    for n in (0, 3, 4):  # the oldest step of two pages, the newest of one
        element = {"id": f"e{n}", "threadId": "t1", "forId": f"s{n:03d}", "name": f"{n}.txt"}
        await layer.create_element(element)  # type: ignore[arg-type]
    await layer.upsert_feedback({"forId": "s005", "value": 1})
    await layer.upsert_feedback({"forId": "s001", "value": 0})
    newest = await layer.get_thread("t1", steps_limit=2)
    assert newest is not None
    assert [s["id"] for s in newest["steps"]] == ["s004", "s005"]
    assert [e["id"] for e in newest["elements"] or []] == ["e4"]
    assert newest["steps"][1]["feedback"]["value"] == 1
    assert "feedback" not in newest["steps"][0]
    middle = await layer.get_thread("t1", steps_limit=2, steps_before=newest["olderSteps"])
    assert middle is not None
    assert [s["id"] for s in middle["steps"]] == ["s002", "s003"]
    assert [e["id"] for e in middle["elements"] or []] == ["e3"]
    oldest = await layer.get_thread("t1", steps_limit=2, steps_before=middle["olderSteps"])
    assert oldest is not None and oldest["olderSteps"] is None
    assert [e["id"] for e in oldest["elements"] or []] == ["e0"]
    assert oldest["steps"][1]["feedback"]["value"] == 0


async def test_pages_of_an_empty_or_missing_thread(layer: SQLDataLayer) -> None:
    assert await layer.get_thread("t1", steps_limit=5) is None
    await layer.update_thread("t1", create=True)
    thread = await layer.get_thread("t1", steps_limit=5)
    assert thread is not None and thread["steps"] == [] and thread["elements"] == []
    assert thread["olderSteps"] is None


async def test_a_page_of_one_thread_holds_no_step_of_another(layer: SQLDataLayer) -> None:
    await _thread_of(layer, 3)
    await layer.update_thread("t2", create=True)
    await layer.write_steps([_step(n, id=f"x{n}", threadId="t2") for n in range(3)])
    thread = await layer.get_thread("t2", steps_limit=2)
    assert thread is not None and [s["id"] for s in thread["steps"]] == ["x1", "x2"]
    cursor = thread["olderSteps"]
    older = await layer.get_thread("t2", steps_limit=5, steps_before=cursor)
    assert older is not None and [s["id"] for s in older["steps"]] == ["x0"]


async def test_bad_page_arguments(layer: SQLDataLayer) -> None:
    await layer.update_thread("t1", create=True)
    with pytest.raises(ValueError, match="steps_limit"):
        await layer.get_thread("t1", steps_limit=0)
    with pytest.raises(ValueError, match="steps_before needs"):
        await layer.get_thread("t1", steps_before="abc")
    for cursor in ("not a cursor", "WyJhIiwiYiJd"):  # the second: ["a", "b"], no step position
        with pytest.raises(ValueError, match="cursor"):
            await layer.get_thread("t1", steps_limit=2, steps_before=cursor)
