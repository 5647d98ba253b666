"""``list_threads``: keyset pagination, search, feedback filter and user scoping."""

from __future__ import annotations

from typing import Any

import pytest

from chatwidget._protocol import StepDict
from chatwidget.data import Pagination, ThreadFilter, User
from chatwidget.data.sql import SQLDataLayer


def at(second: int) -> str:
    """A timestamp ``second`` seconds into 2100 (after any thread's creation time)."""
    return f"2100-01-01T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}.000Z"


async def make_threads(
    layer: SQLDataLayer, count: int, user_id: str | None = None, prefix: str = "t"
) -> None:
    """``count`` threads; three at a time share their ``updated_at`` (ties are broken by id)."""
    steps: list[StepDict] = []
    for i in range(count):
        thread_id = f"{prefix}{i:05d}"
        await layer.update_thread(thread_id, name=f"Thread number {i}", user_id=user_id, create=True)
        steps.append(
            {"id": f"{thread_id}-m", "threadId": thread_id, "type": "user_message",
             "output": f"message {i}", "createdAt": at(i // 3)}
        )  # fmt: skip
    for start in range(0, len(steps), 500):
        await layer.write_steps(steps[start : start + 500])


async def walk(layer: SQLDataLayer, filters: ThreadFilter, first: int) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = await layer.list_threads(Pagination(first=first, cursor=cursor), filters)
        assert len(page.data) <= first
        seen.extend(page.data)  # type: ignore[arg-type]
        if not page.pageInfo.hasNextPage:
            return seen
        assert page.pageInfo.endCursor and page.data
        cursor = page.pageInfo.endCursor


#: Plans forced by the thresholds of ``_search`` (a window of 2 threads is always too short).
PLANS = {
    "lookup": {"MANY_MATCHES": 10**9},
    "walk": {"MANY_MATCHES": 0, "PEEK_WINDOW": 10**6, "WALK_WINDOW": 10**6},
    # SQLite: a peek, then a walk wherever the peek met a match (the count met enough), then a lookup
    "walk then lookup": {"MANY_MATCHES": 1, "PEEK_WINDOW": 2, "WALK_WINDOW": 2, "HITS_PER_PROBE": 0},
    # SQLite: a peek, then a lookup (walking never pays); PostgreSQL: a walk
    "peek then lookup": {"MANY_MATCHES": 0, "PEEK_WINDOW": 2, "WALK_WINDOW": 10**6, "HITS_PER_PROBE": 10**9},
}


def use_plan(monkeypatch: pytest.MonkeyPatch, plan: str) -> None:
    from chatwidget.data.sql import _search

    for name, value in PLANS[plan].items():
        monkeypatch.setattr(_search, name, value)


async def test_walk_all_pages_past_the_thousandth(layer: SQLDataLayer) -> None:
    await make_threads(layer, 1203)
    threads = await walk(layer, ThreadFilter(), first=100)
    ids = [t["id"] for t in threads]
    assert len(ids) == len(set(ids)) == 1203  # no duplicates, none missing
    expected = sorted(ids, key=lambda i: (at(int(i[1:]) // 3), i), reverse=True)
    assert ids == expected  # newest activity first, ties by id
    assert "t00000" in ids  # the oldest: the reference never reached past the 1,000th
    keys = [(t["updatedAt"], t["id"]) for t in threads]
    assert keys == sorted(keys, reverse=True)


async def test_page_info_and_page_size(layer: SQLDataLayer) -> None:
    await make_threads(layer, 7)
    page = await layer.list_threads(Pagination(first=3), ThreadFilter())
    assert [t["id"] for t in page.data] == ["t00006", "t00005", "t00004"]
    assert page.pageInfo.hasNextPage and page.pageInfo.startCursor != page.pageInfo.endCursor
    assert page.data[0].get("steps") is None  # a list does not load messages
    last = await layer.list_threads(Pagination(first=3, cursor=page.pageInfo.endCursor), ThreadFilter())
    last = await layer.list_threads(Pagination(first=3, cursor=last.pageInfo.endCursor), ThreadFilter())
    assert [t["id"] for t in last.data] == ["t00000"] and not last.pageInfo.hasNextPage
    empty = await layer.list_threads(Pagination(first=3), ThreadFilter(search="no such text"))
    assert empty.data == [] and empty.pageInfo.startCursor is None and not empty.pageInfo.hasNextPage
    assert empty.to_dict()["pageInfo"]["endCursor"] is None


async def test_first_is_capped(layer: SQLDataLayer) -> None:
    await make_threads(layer, 105)
    page = await layer.list_threads(Pagination(first=10_000), ThreadFilter())
    assert len(page.data) == 100 and page.pageInfo.hasNextPage
    page = await layer.list_threads(Pagination(first=0), ThreadFilter())
    assert len(page.data) == 20


@pytest.mark.parametrize("cursor", ["garbage!", "e30", "WyJhIl0", ""])
async def test_bad_cursor(layer: SQLDataLayer, cursor: str) -> None:
    await make_threads(layer, 2)
    if cursor == "":  # an empty cursor is no cursor
        assert len((await layer.list_threads(Pagination(cursor=cursor), ThreadFilter())).data) == 2
        return
    with pytest.raises(ValueError, match="cursor"):
        await layer.list_threads(Pagination(cursor=cursor), ThreadFilter())


async def test_user_scoping(layer: SQLDataLayer) -> None:
    alice = await layer.create_user(User("alice"))
    bob = await layer.create_user(User("bob"))
    await make_threads(layer, 30, user_id=alice.id, prefix="a")
    await make_threads(layer, 20, user_id=bob.id, prefix="b")
    await make_threads(layer, 5, prefix="n")
    mine = await walk(layer, ThreadFilter(userId=alice.id), first=7)
    assert len(mine) == 30 and all(t["userIdentifier"] == "alice" for t in mine)
    searched = await walk(layer, ThreadFilter(userId=bob.id, search="message 1"), first=5)
    assert searched and all(t["id"].startswith("b") for t in searched)
    assert await walk(layer, ThreadFilter(userId="nobody"), first=5) == []
    assert len(await walk(layer, ThreadFilter(), first=50)) == 55


@pytest.mark.parametrize("plan", list(PLANS))
async def test_search(layer: SQLDataLayer, plan: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every plan finds the same threads: a lookup of the matches, a walk in list order
    probing each thread, and a walk too short to fill the page followed by a lookup."""
    use_plan(monkeypatch, plan)
    await layer.update_thread("names", name="Quarterly REPORT for Ünïcode", create=True)
    await layer.update_thread("user", name="plain", create=True)
    await layer.update_thread("assistant", name="plain", create=True)
    await layer.update_thread("tool", name="plain", create=True)
    await layer.write_steps(
        [
            {"id": "u", "threadId": "user", "type": "user_message", "output": "Where is the QUOKKA?"},
            {
                "id": "a",
                "threadId": "assistant",
                "type": "assistant_message",
                "output": "a quokka, 100% sure_",
            },
            {"id": "t", "threadId": "tool", "type": "tool", "output": "quokka in a tool output"},
        ]
    )

    async def found(term: str) -> set[str]:
        return {t["id"] for t in await walk(layer, ThreadFilter(search=term), first=20)}

    assert await found("quokka") == {"user", "assistant"}  # case-insensitive; tool output is not searched
    assert await found("Quokka?") == {"user"}
    assert await found("report") == {"names"}
    assert await found("Ünïcode") == {"names"}
    assert await found("100%") == {"assistant"}  # LIKE wildcards are literal
    assert await found("0%") == {"assistant"}  # a short term too (no trigram index)
    assert await found("e_") == {"assistant"}
    assert await found('"quokka') == set()  # quotes cannot break the full-text query
    assert await found("OR") == {"names"}  # nor can FTS operators
    assert await found("zebra") == set()
    # The index follows edits: renames, edited messages, deleted threads.
    await layer.update_thread("names", name="Annual summary")
    await layer.write_steps([{"id": "u", "threadId": "user", "output": "no animals here"}])
    assert await found("report") == set()
    assert await found("quokka") == {"assistant"}
    assert await found("annual") == {"names"}
    await layer.delete_thread("assistant")
    assert await found("quokka") == set()


@pytest.mark.parametrize("plan", list(PLANS))
async def test_search_pages_are_the_list_in_order(
    layer: SQLDataLayer, plan: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages of a search are the filtered list, in order, with no thread twice or missed,
    whichever plan each page takes; with a user and a feedback filter too."""
    use_plan(monkeypatch, plan)
    alice = await layer.create_user(User("alice"))
    await make_threads(layer, 60, user_id=alice.id, prefix="a")
    await make_threads(layer, 40, prefix="n")
    for i in range(0, 60, 4):
        await layer.upsert_feedback({"forId": f"a{i:05d}-m", "value": 1})
    everything = await walk(layer, ThreadFilter(), first=100)

    def expected(keep: Any) -> list[str]:
        return [t["id"] for t in everything if keep(t)]

    def starts(t: dict[str, Any], digits: str) -> bool:
        return str(int(t["id"][1:])).startswith(digits)

    for first in (1, 3, 7):
        found = await walk(layer, ThreadFilter(search="message"), first=first)
        assert [t["id"] for t in found] == expected(lambda t: True)
        found = await walk(layer, ThreadFilter(search="e 1"), first=first)  # "message 1..", "number 1.."
        assert [t["id"] for t in found] == expected(lambda t: starts(t, "1"))
        found = await walk(layer, ThreadFilter(search="GE 3", userId=alice.id), first=first)
        assert [t["id"] for t in found] == expected(lambda t: t["id"][0] == "a" and starts(t, "3"))
        found = await walk(layer, ThreadFilter(search="er 2", feedback=1), first=first)
        assert [t["id"] for t in found] == expected(
            lambda t: t["id"][0] == "a" and int(t["id"][1:]) % 4 == 0 and starts(t, "2")
        )


async def test_feedback_filter(layer: SQLDataLayer) -> None:
    await make_threads(layer, 10)
    for i in (1, 3, 5):
        await layer.upsert_feedback({"forId": f"t{i:05d}-m", "value": 1})
    for i in (3, 8):
        await layer.write_steps([{"id": f"t{i:05d}-x", "threadId": f"t{i:05d}", "type": "assistant_message"}])
        await layer.upsert_feedback({"forId": f"t{i:05d}-x", "value": 0})
    liked = {t["id"] for t in await walk(layer, ThreadFilter(feedback=1), first=2)}
    disliked = {t["id"] for t in await walk(layer, ThreadFilter(feedback=0), first=2)}
    assert liked == {"t00001", "t00003", "t00005"}
    assert disliked == {"t00003", "t00008"}
    both = await walk(layer, ThreadFilter(feedback=0, search="message 8"), first=2)
    assert [t["id"] for t in both] == ["t00008"]


@pytest.mark.parametrize("plan", list(PLANS))
async def test_one_users_search_follows_the_owner(
    layer: SQLDataLayer, plan: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user's search sees their matches only, including threads given to them later and
    not those given away (the steps' copy of the owner follows the thread)."""
    use_plan(monkeypatch, plan)
    alice = await layer.create_user(User("alice"))
    bob = await layer.create_user(User("bob"))
    await make_threads(layer, 6, user_id=alice.id, prefix="a")
    await make_threads(layer, 6, user_id=bob.id, prefix="b")

    async def found(user_id: str) -> list[str]:
        return [t["id"] for t in await walk(layer, ThreadFilter(userId=user_id, search="message"), first=2)]

    assert await found(alice.id) == [f"a{i:05d}" for i in range(5, -1, -1)]
    await layer.update_thread("b00002", user_id=alice.id)
    await layer.update_thread("a00004", user_id=bob.id)
    assert sorted(await found(alice.id)) == ["a00000", "a00001", "a00002", "a00003", "a00005", "b00002"]
    assert "a00004" in await found(bob.id) and "b00002" not in await found(bob.id)
