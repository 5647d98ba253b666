"""Hostile text and what a share reveals, on SQLite and PostgreSQL.

The server runs with the published-app configuration of ``conftest.py``; alice (an app user)
owns threads written as a kernel would (``Seed``), and reads, renames and shares them.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from login_helpers import Seed
from server_helpers import ALICE, app_user, request
from storage_backends import db_url, elements_dir

__all__ = ["db_url"]  # the both-backends fixture, used by every test here

LONE = "\ud800"


@pytest.fixture
async def seed(db_url: str, tmp_path: Path) -> Any:
    s = Seed(db_url, elements_dir(db_url, tmp_path))
    yield s
    await s.layer.close()


async def test_a_lone_surrogate_in_a_new_name_is_replaced_and_said(browsers: Any, seed: Seed) -> None:
    alice = await app_user(browsers)
    thread = await seed.thread(ALICE, name="before")
    reply = await alice.client.patch(
        alice.url(f"chatwidget/api/threads/{thread}"),
        content=json.dumps({"name": f"broken {LONE} name"}),  # JSON's \ud800 escape
        headers={"X-XSRFToken": next(c.value for c in alice.client.cookies.jar if c.name == "_xsrf")},
    )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["name"] == "broken \ufffd name" and "replaced by \ufffd" in body["notice"]
    stored = await alice.get(f"chatwidget/api/threads/{thread}")
    assert stored.json()["name"] == "broken \ufffd name"
    nul = await request(alice, "PATCH", f"chatwidget/api/threads/{thread}", {"name": "nul \u0000 name"})
    assert nul.status_code == 200 and nul.json()["name"] == "nul \ufffd name" and nul.json()["notice"]
    # A later rename is stored as ever: nothing is stuck.
    again = await request(alice, "PATCH", f"chatwidget/api/threads/{thread}", {"name": "fine"})
    assert again.status_code == 200 and "notice" not in again.json()
    assert (await alice.get(f"chatwidget/api/threads/{thread}")).json()["name"] == "fine"


async def shared_thread_with_a_tool_and_feedback(browsers: Any, seed: Seed) -> tuple[Any, str]:
    alice = await app_user(browsers)
    thread = await seed.thread(ALICE, name="with tools")
    tool_id = str(uuid.uuid4())
    await seed.layer.create_step(
        {  # type: ignore[typeddict-item]
            "id": tool_id,
            "threadId": thread,
            "name": "lookup",
            "type": "tool",
            "input": "SELECT * FROM customers WHERE card='4111-SECRET'",
            "output": "3 rows",
            "createdAt": "2024-01-01T00:00:05.000Z",
        }
    )
    found = await seed.layer.get_thread(thread)
    assert found is not None
    answer = next(s for s in found["steps"] if s["type"] == "assistant_message")
    feedback = {"forId": answer["id"], "value": 0, "comment": "my colleague Eve is rude"}
    await seed.layer.upsert_feedback(feedback)  # type: ignore[arg-type]
    shared = await request(alice, "PUT", f"chatwidget/api/threads/{thread}/share")
    assert shared.status_code == 200
    return alice, thread


async def test_a_share_shows_neither_tool_inputs_nor_feedback_comments(browsers: Any, seed: Seed) -> None:
    alice, thread = await shared_thread_with_a_tool_and_feedback(browsers, seed)
    anonymous = browsers()
    public = await anonymous.get(f"chatwidget/share/{thread}")
    assert public.status_code == 200
    assert "4111-SECRET" not in public.text and "Eve" not in public.text
    steps = {s["name"]: s for s in public.json()["steps"]}
    assert steps["lookup"]["output"] == "3 rows" and "input" not in steps["lookup"]
    rated = next(s for s in public.json()["steps"] if "feedback" in s)
    assert rated["feedback"] == {"value": 0}
    page = await anonymous.get(f"chatwidget/share/{thread}/page")
    assert page.status_code == 200 and "4111-SECRET" not in page.text and "Eve" not in page.text
    # The owner still sees both.
    own = await alice.get(f"chatwidget/api/threads/{thread}")
    assert "4111-SECRET" in own.text


VIEW_CALLBACK = {"ChatWidgetServer": {"on_shared_thread_view": "server_helpers.alice_may_view_every_thread"}}


@pytest.mark.parametrize("extra_config", [VIEW_CALLBACK])
async def test_share_bytes_read_through_a_login_refuse_other_sites(browsers: Any, seed: Seed) -> None:
    """A thread nobody shared, readable by alice's login through ``on_shared_thread_view``:
    its element bytes get the owner's download rule; a shared thread's are public."""
    alice = await app_user(browsers)
    private = await seed.thread("generic:carol-3")
    element = await seed.element(private, b"carol's bytes")
    path = f"chatwidget/share/{private}/elements/{element}"
    same = await alice.get(path, headers={"Sec-Fetch-Site": "same-origin"})
    assert same.status_code == 200 and same.content == b"carol's bytes"
    assert "frame-ancestors 'none'" in same.headers["content-security-policy"]
    cross = await alice.get(path, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403 and b"carol's bytes" not in cross.content
    token = next(c.value for c in alice.client.cookies.jar if c.name == "_xsrf")
    with_token = await alice.get(path, headers={"Sec-Fetch-Site": "cross-site", "X-XSRFToken": token})
    assert with_token.status_code == 200
    assert (await browsers().get(path)).status_code == 404  # anonymous: the callback says no

    shared = await seed.thread(ALICE)
    public_element = await seed.element(shared, b"public bytes")
    assert (await request(alice, "PUT", f"chatwidget/api/threads/{shared}/share")).status_code == 200
    public_path = f"chatwidget/share/{shared}/elements/{public_element}"
    linked = await browsers().get(public_path, headers={"Sec-Fetch-Site": "cross-site"})
    assert linked.status_code == 200 and linked.content == b"public bytes"
    assert "frame-ancestors 'none'" in linked.headers["content-security-policy"]


@pytest.mark.parametrize("extra_config", [{"ChatWidgetServer": {"share_tool_inputs": True}}])
async def test_a_server_may_publish_tool_inputs(browsers: Any, seed: Seed, db_url: str) -> None:
    _, thread = await shared_thread_with_a_tool_and_feedback(browsers, seed)
    public = await browsers().get(f"chatwidget/share/{thread}")
    steps = {s["name"]: s for s in public.json()["steps"]}
    assert "4111-SECRET" in steps["lookup"]["input"]
    assert "Eve" not in public.text  # comments stay private


async def test_file_downloads_refuse_other_sites_and_frames(browsers: Any, seed: Seed) -> None:
    alice = await app_user(browsers)
    thread = await seed.thread(ALICE)
    element = await seed.element(thread, b"private bytes")
    path = f"chatwidget/api/threads/{thread}/elements/{element}/file"
    same = await alice.get(path, headers={"Sec-Fetch-Site": "same-origin"})
    assert same.status_code == 200 and same.content == b"private bytes"
    assert "frame-ancestors 'none'" in same.headers["content-security-policy"]
    typed = await alice.get(path)  # typed in the address bar: no Sec-Fetch-Site from another site
    assert typed.status_code == 200
    # <img src>, a link or a script tag on another site: the browser sends the cookie along.
    cross = await alice.get(path, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403 and b"private bytes" not in cross.content
    token = next(c.value for c in alice.client.cookies.jar if c.name == "_xsrf")
    wrong = await alice.get(path, headers={"Sec-Fetch-Site": "cross-site", "X-XSRFToken": "2|00|00|00"})
    assert wrong.status_code == 403
    with_token = await alice.get(path, headers={"Sec-Fetch-Site": "cross-site", "X-XSRFToken": token})
    assert with_token.status_code == 200
