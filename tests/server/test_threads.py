"""The owner's thread API: list, get, rename, delete; ownership and hostile ids."""

from __future__ import annotations

from typing import Any

import pytest
from server_support import ME, OTHER, Call, Seed

from chatwidget.data import User

API = "chatwidget/api/threads"

HOSTILE_IDS = [
    "..",
    "%2e%2e",
    "..%2f..%2fetc%2fpasswd",
    "%2e%2e%2f%2e%2e%2fchat.db",
    "x" * 129,
    "a" * 5000,
    "caf%C3%A9",
    "%E2%80%AE" + "abc",
    "%00",
    "thread%20id",
    "'%20OR%201=1",
]


async def test_list_is_the_callers_only(call: Call, seed: Seed) -> None:
    mine = [await seed.thread(name=f"mine {i}") for i in range(3)]
    await seed.thread(owner=OTHER, name="theirs")
    reply = await call("GET", API)
    assert reply.code == 200
    data = reply.json()
    assert sorted(t["id"] for t in data["data"]) == sorted(mine)
    assert set(data["pageInfo"]) == {"hasNextPage", "startCursor", "endCursor"}
    assert all("steps" not in t for t in data["data"])


async def test_list_ignores_a_user_id_in_the_request(call: Call, seed: Seed) -> None:
    theirs = await seed.thread(owner=OTHER)
    other_user = await seed.layer.get_user(OTHER)
    assert other_user is not None
    reply = await call("GET", f"{API}?userId={other_user.id}&user_id={other_user.id}")
    assert reply.code == 200
    assert theirs not in [t["id"] for t in reply.json()["data"]]


async def test_list_for_a_caller_without_threads_is_empty(call: Call, seed: Seed) -> None:
    await seed.thread(owner=OTHER)
    reply = await call("GET", API)
    assert reply.json() == {
        "pageInfo": {"hasNextPage": False, "startCursor": None, "endCursor": None},
        "data": [],
    }


async def test_cursor_pagination_walks_every_thread_once(call: Call, seed: Seed) -> None:
    ids = {await seed.thread(name=f"t{i}") for i in range(7)}
    seen: list[str] = []
    cursor = ""
    for _ in range(10):
        reply = await call("GET", f"{API}?first=3&cursor={cursor}")
        assert reply.code == 200
        page = reply.json()
        assert len(page["data"]) <= 3
        seen += [t["id"] for t in page["data"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        cursor = page["pageInfo"]["endCursor"]
    assert sorted(seen) == sorted(ids)


@pytest.mark.parametrize("first", ["0", "101", "-1", "abc", "1.5", "1e3"])
async def test_first_outside_1_to_100_is_refused(call: Call, first: str) -> None:
    reply = await call("GET", f"{API}?first={first}")
    assert reply.code == 400
    assert "first" in reply.json()["message"]


async def test_first_at_the_limits(call: Call, seed: Seed) -> None:
    await seed.thread()
    assert (await call("GET", f"{API}?first=1")).code == 200
    assert (await call("GET", f"{API}?first=100")).code == 200


@pytest.mark.parametrize("cursor", ["garbage!", "W10", "x" * 600])
async def test_a_bad_cursor_is_400(call: Call, seed: Seed, cursor: str) -> None:
    await seed.thread()
    reply = await call("GET", f"{API}?cursor={cursor}")
    assert reply.code == 400
    assert reply.json() == {"message": "invalid pagination cursor"}


async def test_search_and_feedback_filters(call: Call, seed: Seed) -> None:
    apples = await seed.thread(
        name="fruit", steps=[{"name": "Assistant", "type": "assistant_message", "output": "apples are red"}]
    )
    await seed.thread(name="other", steps=[{"name": "user", "type": "user_message", "output": "pears"}])
    await seed.thread(
        owner=OTHER, steps=[{"name": "Assistant", "type": "assistant_message", "output": "apples too"}]
    )
    reply = await call("GET", f"{API}?search=apples")
    assert [t["id"] for t in reply.json()["data"]] == [apples]

    thread = await seed.layer.get_thread(apples)
    assert thread is not None
    await seed.layer.upsert_feedback({"forId": thread["steps"][0]["id"], "value": 1})
    assert [t["id"] for t in (await call("GET", f"{API}?feedback=1")).json()["data"]] == [apples]
    assert (await call("GET", f"{API}?feedback=0")).json()["data"] == []
    assert (await call("GET", f"{API}?feedback=2")).code == 400
    assert (await call("GET", f"{API}?search={'x' * 201}")).code == 400


async def test_app_lists_one_apps_threads_and_its_absence_every_apps(call: Call, seed: Seed) -> None:
    writer = await seed.thread(name="w", metadata={"app": "~/nb.ipynb: Writer"})
    critic = await seed.thread(name="c", metadata={"app": "~/nb.ipynb: Critic"})
    legacy = await seed.thread(name="made before apps")
    await seed.thread(owner=OTHER, metadata={"app": "~/nb.ipynb: Writer"})
    scoped = await call("GET", f"{API}?app=~/nb.ipynb%3A%20Writer")
    assert [(t["id"], t["app"]) for t in scoped.json()["data"]] == [(writer, "~/nb.ipynb: Writer")]
    everything = (await call("GET", API)).json()["data"]
    assert {t["id"]: t["app"] for t in everything} == {
        writer: "~/nb.ipynb: Writer", critic: "~/nb.ipynb: Critic", legacy: None
    }  # fmt: skip
    assert len((await call("GET", f"{API}?app=")).json()["data"]) == 3  # empty: every app's
    assert (await call("GET", f"{API}?app=nobody")).json()["data"] == []
    searched = await call("GET", f"{API}?app=~/nb.ipynb%3A%20Critic&search=hello")
    assert [t["id"] for t in searched.json()["data"]] == [critic]
    too_long = await call("GET", f"{API}?app={'a' * 256}")
    assert too_long.code == 400 and "app" in too_long.json()["message"]
    hostile = await call("GET", f"{API}?app=%27%20OR%201=1--")
    assert hostile.code == 200 and hostile.json()["data"] == []


async def test_get_returns_steps_and_elements_without_storage_keys(call: Call, seed: Seed) -> None:
    thread_id = await seed.thread(name="with things")
    element_id = await seed.element(thread_id, b"hello", "text/plain", name="notes.txt")
    reply = await call("GET", f"{API}/{thread_id}")
    assert reply.code == 200
    assert reply.headers["Cache-Control"] == "no-store"
    thread = reply.json()
    assert thread["id"] == thread_id and thread["name"] == "with things"
    assert [s["output"] for s in thread["steps"]] == ["hello", "hi there"]
    [element] = thread["elements"]
    assert element["id"] == element_id
    assert "objectKey" not in element
    assert element["url"].endswith(f"chatwidget/api/threads/{thread_id}/elements/{element_id}/file")
    key = await _object_key(seed, thread_id)
    assert key not in reply.text


async def _object_key(seed: Seed, thread_id: str) -> str:
    thread = await seed.layer.get_thread(thread_id)
    assert thread is not None
    key = (thread.get("elements") or [{}])[0].get("objectKey")
    assert key
    return str(key)


async def test_another_users_thread_is_indistinguishable_from_a_missing_one(call: Call, seed: Seed) -> None:
    theirs = await seed.thread(owner=OTHER)
    missing = "0c9b5cf2-9f2a-4a57-9d0e-3f3c4b6a0000"
    for method, suffix, body in [
        ("GET", "", None),
        ("PATCH", "", {"name": "mine now"}),
        ("DELETE", "", None),
        ("PUT", "/share", None),
        ("DELETE", "/share", None),
    ]:
        a = await call(method, f"{API}/{theirs}{suffix}", body=body)
        b = await call(method, f"{API}/{missing}{suffix}", body=body)
        assert (a.code, a.body) == (b.code, b.body) == (404, b'{"message": "Not found"}'), (method, suffix)
        assert a.headers.get("Content-Type") == b.headers.get("Content-Type")
    thread = await seed.layer.get_thread(theirs)
    assert thread is not None and thread["name"] == "A chat"
    assert not (thread.get("metadata") or {}).get("is_shared")


async def test_the_same_thread_seen_by_two_callers(
    call: Call, seed: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    thread_id = await seed.thread(owner=ME)
    assert (await call("GET", f"{API}/{thread_id}")).code == 200
    monkeypatch.setenv("CHATWIDGET_OWNER", OTHER)
    assert (await call("GET", f"{API}/{thread_id}")).code == 404
    assert (await call("GET", API)).json()["data"] == []


async def test_rename(call: Call, seed: Seed) -> None:
    thread_id = await seed.thread()
    reply = await call("PATCH", f"{API}/{thread_id}", body={"name": "  Renamed  "})
    assert reply.code == 200
    assert reply.json() == {"id": thread_id, "name": "Renamed"}
    thread = await seed.layer.get_thread(thread_id)
    assert thread is not None and thread["name"] == "Renamed"


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [("PATCH", "", {"name": "Renamed"}), ("PUT", "/share", None), ("DELETE", "/share", None)],
)
async def test_a_thread_deleted_after_the_owner_check_stays_deleted(
    call: Call,
    seed: Seed,
    jp_serverapp: Any,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    suffix: str,
    body: Any,
) -> None:
    """A rename or (un)share racing a delete: the delete lands between the handler's owner
    check and its write. The answer is a missing thread's 404, and the thread stays deleted."""
    thread_id = await seed.thread()
    server_layer = jp_serverapp.web_app.settings["chatwidget"].data_layer
    check = server_layer.get_thread_author

    async def checked_then_deleted(checked_id: str) -> str | None:
        author = await check(checked_id)
        await seed.layer.delete_thread(checked_id)  # another request, or a kernel, deletes it now
        return author

    monkeypatch.setattr(server_layer, "get_thread_author", checked_then_deleted)
    reply = await call(method, f"{API}/{thread_id}{suffix}", body=body)
    assert (reply.code, reply.body) == (404, b'{"message": "Not found"}')
    assert await seed.layer.get_thread(thread_id) is None
    assert (await call("GET", f"chatwidget/share/{thread_id}", anonymous=True)).code == 404


async def test_the_owner_is_checked_again_within_the_write(
    call: Call, seed: Seed, jp_serverapp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    thread_id = await seed.thread()
    other = await seed.layer.create_user(User(OTHER))
    server_layer = jp_serverapp.web_app.settings["chatwidget"].data_layer
    check = server_layer.get_thread_author

    async def checked_then_given_away(checked_id: str) -> str | None:
        author = await check(checked_id)
        await seed.layer.update_thread(checked_id, user_id=other.id)
        return author

    monkeypatch.setattr(server_layer, "get_thread_author", checked_then_given_away)
    for method, suffix, body in [("PATCH", "", {"name": "Renamed"}), ("PUT", "/share", None)]:
        reply = await call(method, f"{API}/{thread_id}{suffix}", body=body)
        assert (reply.code, reply.body) == (404, b'{"message": "Not found"}')
    thread = await seed.layer.get_thread(thread_id)
    assert thread is not None and thread["name"] == "A chat" and thread["userIdentifier"] == OTHER
    assert not (thread.get("metadata") or {}).get("is_shared")


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1]", b"{}", b'{"name": 3}', b'{"name": "  "}', b'{"name": "' + b"n" * 256 + b'"}'],
)
async def test_rename_refuses_bad_bodies(call: Call, seed: Seed, body: bytes) -> None:
    thread_id = await seed.thread()
    reply = await call("PATCH", f"{API}/{thread_id}", body=body)
    assert reply.code == 400
    assert "message" in reply.json()


async def test_delete(call: Call, seed: Seed) -> None:
    thread_id = await seed.thread()
    await seed.element(thread_id, b"bytes", "image/png")
    reply = await call("DELETE", f"{API}/{thread_id}")
    assert reply.code == 204
    assert await seed.layer.get_thread(thread_id) is None
    assert (await call("GET", f"{API}/{thread_id}")).code == 404


@pytest.mark.parametrize("hostile", HOSTILE_IDS)
async def test_hostile_ids_are_404(call: Call, seed: Seed, hostile: str) -> None:
    await seed.thread()
    for method, suffix in [("GET", ""), ("PATCH", ""), ("DELETE", ""), ("PUT", "/share")]:
        reply = await call(
            method, f"{API}/{hostile}{suffix}", body={"name": "x"} if method == "PATCH" else None
        )
        assert reply.code == 404, (method, suffix, reply.code)
        assert b"Traceback" not in reply.body
    reply = await call("GET", f"{API}/{hostile}/elements/{hostile}/file")
    assert reply.code == 404
