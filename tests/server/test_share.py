"""Publishing: share/unshare, the public JSON and page, the allowlist, the view callback."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import server_support
from server_support import OTHER, Call, Seed

API = "chatwidget/api/threads"
SHARE = "chatwidget/share"

SECRETS = {
    "email": "alice.secret@example.com",
    "token": "sk-live-TOKEN1234567890",
    "env": "ENVVALUE-PATH-ZZZ",
    "path": "/home/alice/private/data.csv",
    "key": "s3://bucket/private-key-xyz",
    "prompt": "PROMPT-VARIABLE-SECRET",
}


async def _shared(call: Call, seed: Seed, **kwargs: Any) -> str:
    thread_id = await seed.thread(**kwargs)
    reply = await call("PUT", f"{API}/{thread_id}/share")
    assert reply.code == 200, reply.body
    return thread_id


async def test_unshared_thread_is_404_on_every_share_route(call: Call, seed: Seed) -> None:
    thread_id = await seed.thread()
    element_id = await seed.element(thread_id, b"png", "image/png")
    missing = "0c9b5cf2-9f2a-4a57-9d0e-3f3c4b6a0000"
    for path in [f"{thread_id}", f"{thread_id}/page", f"{thread_id}/elements/{element_id}"]:
        for anonymous in (True, False):
            reply = await call("GET", f"{SHARE}/{path}", anonymous=anonymous)
            assert reply.code == 404, (path, anonymous)
            assert reply.body == (await call("GET", f"{SHARE}/{path.replace(thread_id, missing)}")).body


async def test_share_then_unshare_revokes_at_once(call: Call, seed: Seed) -> None:
    thread_id = await seed.thread(name="Public chat")
    element_id = await seed.element(thread_id, b"\x89PNG...", "image/png", name="plot.png")
    reply = await call("PUT", f"{API}/{thread_id}/share")
    assert reply.code == 200
    state = reply.json()
    assert state["isShared"] is True and state["sharedAt"]
    assert state["shareUrl"].endswith(f"chatwidget/share/{thread_id}/page")
    assert state["shareJsonUrl"].endswith(f"chatwidget/share/{thread_id}")

    stored = await seed.layer.get_thread(thread_id)
    assert stored is not None and (stored.get("metadata") or {})["is_shared"] is True

    public = await call("GET", f"{SHARE}/{thread_id}", anonymous=True)
    assert public.code == 200
    assert public.headers["Cache-Control"] == "no-store"
    data = public.json()
    assert data["id"] == thread_id and data["name"] == "Public chat"
    assert [s["output"] for s in data["steps"]] == ["hello", "hi there"]
    [element] = data["elements"]
    assert element["url"].endswith(f"chatwidget/share/{thread_id}/elements/{element_id}")
    page = await call("GET", f"{SHARE}/{thread_id}/page", anonymous=True)
    assert page.code == 200 and page.headers["Cache-Control"] == "no-store"
    file = await call("GET", f"{SHARE}/{thread_id}/elements/{element_id}", anonymous=True)
    assert file.code == 200 and file.body == b"\x89PNG..."
    assert file.headers["Cache-Control"] == "no-store"

    reply = await call("DELETE", f"{API}/{thread_id}/share")
    assert reply.code == 200
    assert reply.json()["isShared"] is False and reply.json()["shareUrl"] is None
    for path in [thread_id, f"{thread_id}/page", f"{thread_id}/elements/{element_id}"]:
        assert (await call("GET", f"{SHARE}/{path}", anonymous=True)).code == 404
        assert (await call("GET", f"{SHARE}/{path}")).code == 404


async def test_sharing_is_idempotent_and_keeps_shared_at(call: Call, seed: Seed) -> None:
    thread_id = await _shared(call, seed)
    first = (await call("GET", f"{API}/{thread_id}")).json()["metadata"]["shared_at"]
    again = await call("PUT", f"{API}/{thread_id}/share")
    assert again.json()["sharedAt"] == first


async def test_the_share_json_holds_only_allowlisted_fields(call: Call, seed: Seed) -> None:
    thread_id = await seed.thread(
        name="Allowlist",
        metadata={
            "email": SECRETS["email"],
            "api_token": SECRETS["token"],
            "env": {"HOME": SECRETS["path"], "SECRET": SECRETS["env"]},
            "storage_key": SECRETS["key"],
            "chat_settings": {"temperature": 1, "token": SECRETS["token"]},
        },
        steps=[
            {
                "name": "user",
                "type": "user_message",
                "output": "what is 2+2?",
                "metadata": {"email": SECRETS["email"], "path": SECRETS["path"]},
                "tags": [SECRETS["token"]],
            },
            {
                "name": "gpt",
                "type": "llm",
                "icon": "brain",
                "input": "2+2",
                "output": "4",
                "generation": {
                    "provider": "openai",
                    "model": "gpt-x",
                    "settings": {"api_key": SECRETS["token"], "base_url": SECRETS["path"]},
                    "variables": {"secret": SECRETS["prompt"]},
                    "messages": [{"role": "system", "content": SECRETS["prompt"]}],
                },
            },
        ],
    )
    await seed.layer.update_thread(thread_id, tags=[SECRETS["env"]])
    await seed.element(thread_id, b"data", "text/csv", name="data.csv")
    await call("PUT", f"{API}/{thread_id}/share")

    reply = await call("GET", f"{SHARE}/{thread_id}", anonymous=True)
    page = await call("GET", f"{SHARE}/{thread_id}/page", anonymous=True)
    stored = await seed.layer.get_thread(thread_id)
    assert stored is not None
    object_key = str((stored.get("elements") or [{}])[0].get("objectKey"))
    user = await seed.layer.get_user("alice")
    assert user is not None
    forbidden = [*SECRETS.values(), "alice", user.id, object_key, "chat-elements", "objectKey", "userId"]
    for body in (reply.text, page.text):
        for secret in forbidden:
            assert secret not in body, secret

    data = reply.json()
    assert set(data) <= {"id", "name", "createdAt", "metadata", "steps", "elements"}
    assert set(data["metadata"]) <= {"is_shared", "shared_at"}
    llm = data["steps"][1]
    assert llm["generation"] == {"provider": "openai", "model": "gpt-x"}
    assert llm["icon"] == "brain"  # the page draws the step as the chat did
    assert "metadata" not in data["steps"][0] and "tags" not in data["steps"][0]
    assert set(data["elements"][0]) <= {
        "id", "forId", "type", "name", "display", "mime", "size", "language", "page", "url"
    }  # fmt: skip


async def test_feedback_is_shown_without_ids(call: Call, seed: Seed) -> None:
    thread_id = await _shared(call, seed)
    thread = await seed.layer.get_thread(thread_id)
    assert thread is not None
    await seed.layer.upsert_feedback({"forId": thread["steps"][1]["id"], "value": 1, "comment": "good"})
    data = (await call("GET", f"{SHARE}/{thread_id}", anonymous=True)).json()
    assert data["steps"][1]["feedback"] == {"value": 1}  # the comment stays private


async def test_only_the_threads_own_elements_are_listed_and_served(call: Call, seed: Seed) -> None:
    shared = await _shared(call, seed)
    private = await seed.thread()
    private_element = await seed.element(private, b"private bytes", "image/png")
    reply = await call("GET", f"{SHARE}/{shared}/elements/{private_element}", anonymous=True)
    assert reply.code == 404
    assert private_element not in (await call("GET", f"{SHARE}/{shared}", anonymous=True)).text


async def test_the_page_structure_and_policy(call: Call, seed: Seed, jp_base_url: str) -> None:
    hostile = '</script><script>alert(1)</script><img src=x onerror=alert(2)> & "q" \u2028'
    thread_id = await _shared(
        call,
        seed,
        name="<b>bold</b> title",
        steps=[{"name": "user", "type": "user_message", "output": hostile}],
    )
    page = await call("GET", f"{SHARE}/{thread_id}/page", anonymous=True)
    assert page.code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    csp = page.headers["Content-Security-Policy"]
    for directive in ["default-src 'none'", "script-src 'self'", "object-src 'none'", "frame-src 'self'"]:
        assert directive in csp
    assert "unsafe-eval" not in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    html = page.text
    # Scripts: only same-origin files, no inline code.
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert [attrs.strip() for attrs, _ in scripts] == [
        'type="application/json" id="cw-thread"',
        f'type="module" src="{jp_base_url}chatwidget/static/chatwidget-share.js"',
    ]
    assert f'data-bundle="{jp_base_url}chatwidget/static/chatwidget.js"' in html
    assert f'href="{jp_base_url}chatwidget/static/chatwidget.css"' in html
    # The hostile text is inert: escaped in the fallback, \\u-escaped in the JSON block.
    assert "<script>alert(1)" not in html and "<img src=x" not in html and "<b>bold" not in html
    assert "&lt;/script&gt;&lt;script&gt;alert(1)" in html
    embedded = json.loads(scripts[0][1])
    assert embedded == (await call("GET", f"{SHARE}/{thread_id}", anonymous=True)).json()
    assert embedded["steps"][0]["output"] == hostile


async def test_static_files_are_public_with_a_strict_policy(call: Call) -> None:
    for name in ["chatwidget.js", "chatwidget.css", "chatwidget-share.js"]:
        reply = await call("GET", f"chatwidget/static/{name}", anonymous=True)
        assert reply.code == 200, name
        assert reply.headers["X-Content-Type-Options"] == "nosniff"
        assert "default-src 'none'" in reply.headers["Content-Security-Policy"]
    assert (await call("GET", "chatwidget/static/chatwidget.js")).headers["Content-Type"] in (
        "application/javascript",
        "text/javascript",
    )
    share_js = (await call("GET", "chatwidget/static/chatwidget-share.js", anonymous=True)).text
    assert "renderShared" in share_js and "innerHTML" not in share_js
    for path in ["../__init__.py", "..%2f__init__.py", "%2e%2e/app.py", "nope.js"]:
        assert (await call("GET", f"chatwidget/static/{path}", anonymous=True)).code in (403, 404), path


async def test_the_frames_document_is_sandboxed_wherever_it_is_opened(call: Call) -> None:
    reply = await call("GET", "chatwidget/static/frame.html", anonymous=True)
    assert reply.code == 200 and reply.headers["Content-Type"].startswith("text/html")
    csp = [d.strip() for d in reply.headers["Content-Security-Policy"].split(";")]
    assert csp[0] == "sandbox allow-scripts"  # an opaque origin, even opened on its own
    assert "frame-ancestors 'self'" in csp and "default-src 'none'" in csp
    assert not [d for d in csp if d.startswith(("connect-src", "form-action"))]  # no network at all
    assert "postMessage" in reply.text
    other = await call("GET", "chatwidget/static/chatwidget.js", anonymous=True)
    assert "sandbox" not in other.headers["Content-Security-Policy"]


async def test_plotly_js_is_served_from_the_plotly_package(call: Call) -> None:
    pytest.importorskip("plotly")
    reply = await call("GET", "chatwidget/static/lib/plotly.js", anonymous=True)
    assert reply.code == 200
    assert reply.headers["Content-Type"].startswith("text/javascript")
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert b"plotly" in reply.body[:2000].lower()
    for name in ["lib/react.js", "lib/plotly.min.js", "lib/plotly.js.map"]:
        assert (await call("GET", f"chatwidget/static/{name}", anonymous=True)).code in (403, 404), name


async def test_shared_elements_show_props_only_where_they_are_the_content(call: Call, seed: Seed) -> None:
    thread_id = await _shared(call, seed)
    tasks = {"status": "Working", "tasks": [{"title": "first", "status": "done"}]}
    elements = [
        {"id": "tasks", "type": "tasklist", "props": tasks},
        {"id": "form", "type": "custom", "props": {"label": "hello", "nested": {"n": [1, 2]}}},
        {"id": "image", "type": "image", "props": {"secret": SECRETS["token"]}},
        {"id": "huge", "type": "custom", "props": {"blob": "x" * 70_000}},
        {"id": "nan", "type": "custom", "props": {"value": float("nan")}},
    ]
    for element in elements:
        await seed.layer.create_element({**element, "threadId": thread_id, "name": element["id"]})  # type: ignore[typeddict-item]
    public = (await call("GET", f"{SHARE}/{thread_id}", anonymous=True)).json()
    shared = {e["id"]: e for e in public["elements"]}
    assert shared["tasks"]["props"] == tasks
    assert shared["form"]["props"] == {"label": "hello", "nested": {"n": [1, 2]}}
    for element_id in ("image", "huge", "nan"):
        assert "props" not in shared[element_id], element_id
    assert SECRETS["token"] not in (await call("GET", f"{SHARE}/{thread_id}/page", anonymous=True)).text


async def test_another_users_shared_thread_is_public_but_not_editable(
    call: Call, seed: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    thread_id = await _shared(call, seed)
    monkeypatch.setenv("CHATWIDGET_OWNER", OTHER)
    assert (await call("GET", f"{SHARE}/{thread_id}")).code == 200
    assert (await call("DELETE", f"{API}/{thread_id}/share")).code == 404
    assert (await call("GET", f"{SHARE}/{thread_id}", anonymous=True)).code == 200


class TestViewCallback:
    @pytest.fixture
    def extension_config(self, request: pytest.FixtureRequest) -> dict[str, Any]:
        return {"on_shared_thread_view": request.param}

    @pytest.mark.parametrize("extension_config", ["server_support.allow_public_profile"], indirect=True)
    async def test_an_import_string_lets_unshared_threads_through(self, call: Call, seed: Seed) -> None:
        public = await seed.thread(metadata={"chat_profile": "public"})
        private = await seed.thread(metadata={"chat_profile": "private"})
        assert (await call("GET", f"{SHARE}/{public}", anonymous=True)).code == 200
        assert (await call("GET", f"{SHARE}/{public}/page", anonymous=True)).code == 200
        assert (await call("GET", f"{SHARE}/{private}", anonymous=True)).code == 404

    @pytest.mark.parametrize("extension_config", [server_support.async_allow_viewers], indirect=True)
    async def test_an_async_callable_sees_the_viewer(self, call: Call, seed: Seed) -> None:
        thread_id = await seed.thread()
        assert (await call("GET", f"{SHARE}/{thread_id}", anonymous=True)).code == 404
        assert (await call("GET", f"{SHARE}/{thread_id}")).code == 200

    @pytest.mark.parametrize("extension_config", [server_support.raising_check], indirect=True)
    async def test_a_callback_that_raises_denies(self, call: Call, seed: Seed) -> None:
        thread_id = await seed.thread()
        reply = await call("GET", f"{SHARE}/{thread_id}", anonymous=True)
        assert reply.code == 404 and b"boom" not in reply.body
        shared = await _shared(call, seed)
        assert (await call("GET", f"{SHARE}/{shared}", anonymous=True)).code == 200


class TestSharingDisabled:
    @pytest.fixture
    def extension_config(self) -> dict[str, Any]:
        return {"share_enabled": False}

    async def test_nothing_can_be_shared_or_read(self, call: Call, seed: Seed) -> None:
        thread_id = await seed.thread(metadata={"is_shared": True})
        assert (await call("GET", f"{SHARE}/{thread_id}", anonymous=True)).code == 404
        assert (await call("GET", f"{SHARE}/{thread_id}/page")).code == 404
        reply = await call("PUT", f"{API}/{thread_id}/share")
        assert reply.code == 403 and "disabled" in reply.json()["message"]


class TestPublicBaseUrl:
    @pytest.fixture
    def extension_config(self) -> dict[str, Any]:
        return {"public_base_url": "https://hub.example.org/user/alice/"}

    async def test_share_links_use_it(self, call: Call, seed: Seed) -> None:
        thread_id = await seed.thread()
        state = (await call("PUT", f"{API}/{thread_id}/share")).json()
        assert state["shareUrl"] == f"https://hub.example.org/user/alice/chatwidget/share/{thread_id}/page"


class TestServerRefusingAnonymousByDefault:
    """With ``ServerApp.allow_unauthenticated_access = False`` only the public routes stay open."""

    @pytest.fixture
    def jp_server_config(self, db_url: str) -> Any:
        from traitlets.config import Config

        return Config(
            {
                "ServerApp": {
                    "jpserver_extensions": {"chatwidget_server": True},
                    "allow_unauthenticated_access": False,
                },
                "ChatWidgetServer": {"db_url": db_url},
            }
        )

    async def test_share_routes_and_static_files_stay_public(self, call: Call, seed: Seed) -> None:
        thread_id = await _shared(call, seed)
        for path in [f"{SHARE}/{thread_id}", f"{SHARE}/{thread_id}/page", "chatwidget/static/chatwidget.js"]:
            assert (await call("GET", path, anonymous=True)).code == 200, path
        assert (await call("GET", API, anonymous=True)).code in (401, 403)
