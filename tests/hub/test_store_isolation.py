"""Under a real JupyterHub, with the thread store on PostgreSQL: alice's threads stay alice's.

Alice chats in her kernel (a thread with a step and an element, through the store). Then, in
bob's kernel and with bob's tokens, every route a user could try: the environment, the files
under his home and working folders, the store's API (read, list, search, rename, share, delete, write steps
into her thread or over her step ids, elements, feedback, users), forged
``JUPYTERHUB_USER``/``CHATWIDGET_OWNER`` and identity headers, his own server's thread API,
and her server. None reaches her thread, and afterwards it is exactly as she left it.

What this does not cover is the operating system: here every server runs as the hub's own
user (``SimpleLocalProcessSpawner``), which can read the hub's files and the store's process
environment. A deployment runs user servers as their own system users or containers and
gives the store's database role a password (README, "Many users").
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from hubdriver import Hub, Kernel

ALICE_SECRET = "alice's secret plan"
ALICE_BYTES = b"alice-secret-element-bytes"

ALICE_CHAT = f"""
import json, chatwidget as cw
app = cw.ChatApp(headless=True, persist=True)

@app.on_message
async def reply(message):
    await cw.Message("noted", elements=[cw.File(name="plan.txt", content={ALICE_BYTES!r})]).send()

await app.send_user_message({ALICE_SECRET!r})
await app.save()
print(json.dumps({{"thread": app.thread_id, "error": app.storage_error}}))
"""


def _proc_env(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
    return dict(item.split("=", 1) for item in raw.split("\0") if "=" in item)


def _store_token() -> str:
    """The store service's own hub token, from its process (the test sees every process)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            if b"chatwidget_server.store" not in cmdline:
                continue
            env = _proc_env(int(proc.name))
        except OSError:
            continue
        if env.get("JUPYTERHUB_SERVICE_NAME") == "chatwidget-store":
            return env["JUPYTERHUB_API_TOKEN"]
    raise AssertionError("the store's process was not found")


@pytest.fixture(scope="module")
def alice_thread(hub: Hub, kernels: dict[str, Kernel], tokens: dict[str, str]) -> dict[str, Any]:
    result = json.loads(kernels["alice"].run(ALICE_CHAT).strip().splitlines()[-1])
    assert result["error"] == ""
    store = httpx.Client(
        base_url=hub.store_url + "api/v1/", headers={"Authorization": f"token {tokens['alice']}"}
    )
    thread = store.get(f"threads/{result['thread']}").json()
    store.close()
    assert thread["userIdentifier"] == "alice"
    assert [s["output"] for s in thread["steps"]] == [ALICE_SECRET, "noted"]
    return thread


def test_the_store_keeps_each_threads_app_and_lists_one_app(
    hub: Hub, tokens: dict[str, str], alice_thread: dict[str, Any]
) -> None:
    app = alice_thread["metadata"]["app"]
    assert app == "Chat" or app.endswith(": Chat")  # the default name of a ChatApp titled "Chat"
    with _store(hub, tokens["alice"]) as store:
        mine = store.get("threads", params={"app": app}).json()["data"]
        others = store.get("threads", params={"app": "another app"}).json()["data"]
        long_name = store.get("threads", params={"app": "a" * 256})
    assert alice_thread["id"] in [t["id"] for t in mine] and others == []
    assert long_name.status_code == 400
    with _store(hub, tokens["bob"]) as store:  # the same app name answers bob's threads only
        assert alice_thread["id"] not in [
            t["id"] for t in store.get("threads", params={"app": app}).json()["data"]
        ]


def _store(hub: Hub, token: str) -> httpx.Client:
    return httpx.Client(base_url=hub.store_url + "api/v1/", headers={"Authorization": f"token {token}"})


def _alice_view(hub: Hub, token: str, thread_id: str) -> dict[str, Any]:
    with _store(hub, token) as c:
        thread = c.get(f"threads/{thread_id}").json()
        element = thread["elements"][0]
        content = c.get(f"threads/{thread_id}/elements/{element['id']}/content").content
    return {"thread": thread, "content": content}


def test_the_store_answers_who_the_token_is(hub: Hub, tokens: dict[str, str]) -> None:
    for user, token in tokens.items():
        reply = httpx.get(hub.store_url + "api/v1/whoami", headers={"Authorization": f"token {token}"})
        assert reply.status_code == 200 and reply.json()["identifier"] == user
    assert httpx.get(hub.store_url + "api/v1/whoami").status_code == 401
    forged = {"Authorization": "token not-a-hub-token"}
    assert httpx.get(hub.store_url + "api/v1/threads", headers=forged).status_code == 401
    # The hub's admin service is no user: its token owns nothing in the store.
    admin = {"Authorization": f"token {hub.admin_token}"}
    assert httpx.get(hub.store_url + "api/v1/whoami", headers=admin).status_code == 403


def test_bobs_environment_and_files_hold_no_credentials(
    hub: Hub, kernels: dict[str, Kernel], store_db_url: str
) -> None:
    database = store_db_url.rsplit("/", 1)[-1]
    secrets = [database, _store_token(), hub.admin_token]
    code = f"""
import os, json
secrets = {secrets!r}
env_hits = sorted(k for k, v in os.environ.items() if any(s in v for s in secrets) or "postgresql" in v)
file_hits = []
for root in {{os.environ["HOME"], os.getcwd()}}:
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            try:
                if os.path.getsize(path) < 5_000_000:
                    data = open(path, "rb").read().decode("utf-8", "replace")
                    file_hits += [path for s in secrets if s in data]
            except OSError:
                pass
print(json.dumps({{"env": env_hits, "files": file_hits,
                  "names": sorted(k for k in os.environ if "DATABASE" in k)}}))
"""
    result = json.loads(kernels["bob"].run(code).strip().splitlines()[-1])
    assert result == {"env": [], "files": [], "names": []}
    server_env = hub.server_env("bob")
    assert not [k for k, v in server_env.items() if any(s in v for s in secrets)]


def test_bob_reaches_none_of_alices_thread_through_the_store(
    hub: Hub, kernels: dict[str, Kernel], tokens: dict[str, str], alice_thread: dict[str, Any]
) -> None:
    thread_id = alice_thread["id"]
    step_id = alice_thread["steps"][0]["id"]
    element_id = alice_thread["elements"][0]["id"]
    before = _alice_view(hub, tokens["alice"], thread_id)
    assert before["content"] == ALICE_BYTES
    # Bob's own thread, written by his kernel, to aim at from inside.
    bob = json.loads(kernels["bob"].run(ALICE_CHAT.replace("alice's", "bob's")).strip().splitlines()[-1])
    code = f"""
import os, json, uuid, httpx
api = os.environ["CHATWIDGET_STORE_URL"] + "api/v1/"
forged = {{"X-Forwarded-User": "alice", "X-Remote-User": "alice", "JupyterHub-User": "alice"}}
token = os.environ["JUPYTERHUB_API_TOKEN"]
c = httpx.Client(base_url=api, headers={{"Authorization": "token " + token, **forged}})
T, S, E, B = {thread_id!r}, {step_id!r}, {element_id!r}, {bob["thread"]!r}
step = {{"id": str(uuid.uuid4()), "threadId": T, "type": "user_message", "output": "pwned",
        "createdAt": "2030-01-01T00:00:00.000Z"}}
over = {{"id": S, "threadId": B, "type": "user_message", "output": "pwned",
        "createdAt": "2030-01-01T00:00:00.000Z"}}
r = {{
    "whoami": c.get("whoami").json()["identifier"],
    "get": c.get(f"threads/{{T}}").status_code,
    "author": c.get(f"threads/{{T}}/author").status_code,
    "listed": [t["id"] for t in c.get("threads").json()["data"]],
    "searched": [t["id"] for t in c.get("threads", params={{"search": "secret"}}).json()["data"]],
    "rename": c.put(f"threads/{{T}}", json={{"name": "pwned"}}).json(),
    "share": c.put(f"threads/{{T}}", json={{"metadata": {{"is_shared": True}}}}).json(),
    "create": c.put(f"threads/{{T}}", json={{"create": True, "name": "mine now"}}).json(),
    "as_alice": c.put(f"threads/{{T}}", json={{"name": "x", "author": "alice"}}).json(),
    "steps_into": c.post("steps", json={{"steps": [step]}}).status_code,
    "steps_over": c.post("steps", json={{"steps": [over]}}).status_code,
    "step_delete": c.delete(f"steps/{{S}}").status_code,
    "element": c.get(f"threads/{{T}}/elements/{{E}}").status_code,
    "content": c.get(f"threads/{{T}}/elements/{{E}}/content").status_code,
    "element_into_mine": c.get(f"threads/{{B}}/elements/{{E}}/content").status_code,
    "element_over": c.put(f"threads/{{B}}/elements/{{E}}", data={{"element": "{{}}"}},
                          files={{"content": ("x", b"pwned")}}).status_code,
    "element_delete": c.delete(f"elements/{{E}}").status_code,
    "feedback": c.post("feedback", json={{"forId": S, "value": 0}}).status_code,
    "feedback_by_thread": c.post("feedback", json={{"forId": "nope", "threadId": T, "value": 0}}).status_code,
    "user_alice": c.get("users/alice").status_code,
    "create_alice": c.post("users", json={{"identifier": "alice"}}).status_code,
    "delete": c.delete(f"threads/{{T}}").status_code,
}}
print(json.dumps(r))
"""
    result = json.loads(kernels["bob"].run(code).strip().splitlines()[-1])
    assert result["whoami"] == "bob"
    assert thread_id not in result["listed"] and bob["thread"] in result["listed"]
    assert thread_id not in result["searched"]
    not_updated = {"updated": False}
    assert result["rename"] == result["share"] == result["create"] == result["as_alice"] == not_updated
    for key in ("get", "author", "steps_into", "steps_over", "step_delete", "element", "content",
                "element_into_mine", "element_over", "element_delete", "feedback",
                "feedback_by_thread", "user_alice", "delete"):  # fmt: skip
        assert result[key] == 404, key
    assert result["create_alice"] == 403
    assert _alice_view(hub, tokens["alice"], thread_id) == before


def test_a_forged_owner_in_bobs_kernel_changes_nothing(
    hub: Hub, kernels: dict[str, Kernel], tokens: dict[str, str], alice_thread: dict[str, Any]
) -> None:
    thread_id = alice_thread["id"]
    before = _alice_view(hub, tokens["alice"], thread_id)
    code = f"""
import os, json, chatwidget as cw
os.environ["JUPYTERHUB_USER"] = "alice"
os.environ["CHATWIDGET_OWNER"] = "alice"
app = cw.ChatApp(headless=True, persist=True)
page = await app.list_threads(all_apps=True)
try:
    await app.resume({thread_id!r})
    resumed = "resumed"
except LookupError as exc:
    resumed = str(exc)
await app.send_user_message("bob, pretending")
await app.save()
print(json.dumps({{"listed": [t["id"] for t in page["data"]], "resumed": resumed,
                  "thread": app.thread_id, "error": app.storage_error}}))
"""
    result = json.loads(kernels["bob"].run(code).strip().splitlines()[-1])
    assert thread_id not in result["listed"]
    assert result["resumed"] == "No such thread."
    assert result["error"] == ""
    with httpx.Client(base_url=hub.store_url + "api/v1/") as c:
        as_bob = c.get(f"threads/{result['thread']}", headers={"Authorization": f"token {tokens['bob']}"})
        as_alice = c.get(f"threads/{result['thread']}", headers={"Authorization": f"token {tokens['alice']}"})
    assert as_bob.status_code == 200 and as_bob.json()["userIdentifier"] == "bob"
    assert as_alice.status_code == 404
    assert _alice_view(hub, tokens["alice"], thread_id) == before


def test_bobs_server_and_alices_server_give_bob_nothing(
    hub: Hub, tokens: dict[str, str], alice_thread: dict[str, Any]
) -> None:
    thread_id = alice_thread["id"]
    bob = {"Authorization": f"token {tokens['bob']}"}
    with httpx.Client(base_url=hub.url, headers=bob, follow_redirects=False) as c:
        own = c.get(f"/user/bob/chatwidget/api/threads/{thread_id}")
        listed = c.get("/user/bob/chatwidget/api/threads")
        hers = c.get(f"/user/alice/chatwidget/api/threads/{thread_id}")
        element = c.get(
            f"/user/bob/chatwidget/api/threads/{thread_id}/elements/{alice_thread['elements'][0]['id']}/file"
        )
    assert own.status_code == 404 and element.status_code == 404
    assert listed.status_code == 200 and thread_id not in [t["id"] for t in listed.json()["data"]]
    assert hers.status_code in (403, 404)
    # Her own server, with her token, does serve it: the store answers through it.
    with httpx.Client(base_url=hub.url, headers={"Authorization": f"token {tokens['alice']}"}) as c:
        mine = c.get(f"/user/alice/chatwidget/api/threads/{thread_id}")
    assert mine.status_code == 200 and mine.json()["name"] == ALICE_SECRET


def test_a_write_the_store_refuses_is_reported_in_the_chat(kernels: dict[str, Kernel]) -> None:
    """Bob's kernel with a token the hub does not know (revoked, say): the chat says so."""
    code = """
import json, chatwidget as cw
from chatwidget.data.remote import RemoteDataLayer
layer = RemoteDataLayer(token="revoked-token")
app = cw.ChatApp(headless=True, persist=True, data_layer=layer)
await app.send_user_message("hello")
try:
    await app.save()
    raised = ""
except Exception as exc:
    raised = str(exc)
print(json.dumps({"error": app.storage_error, "raised": raised}))
"""
    result = json.loads(kernels["bob"].run(code).strip().splitlines()[-1])
    assert "thread store refused" in result["error"] and "401" in result["error"]
    assert "401" in result["raised"]


def test_malformed_requests_are_refused(hub: Hub, tokens: dict[str, str]) -> None:
    with httpx.Client(
        base_url=hub.store_url + "api/v1/", headers={"Authorization": f"token {tokens['bob']}"}
    ) as c:
        assert c.post("steps", content=b"not json").status_code == 400
        assert c.post("steps", json={"steps": "x"}).status_code == 400
        assert c.post("steps", json={"steps": [{"id": "../../etc", "threadId": "t"}]}).status_code == 404
        assert c.put(f"threads/{uuid.uuid4()}", json={"tags": "x"}).status_code == 400
        assert c.get("threads", params={"first": "1000"}).status_code == 400
        assert c.get("threads", params={"cursor": "garbage"}).status_code == 400
        assert c.get("nowhere").status_code == 404


def test_the_share_page_is_public_exactly_while_shared(
    hub: Hub, tokens: dict[str, str], alice_thread: dict[str, Any]
) -> None:
    thread_id = alice_thread["id"]
    element_id = alice_thread["elements"][0]["id"]
    share = f"/user/alice/chatwidget/api/threads/{thread_id}/share"
    pages = [
        f"/user/alice/chatwidget/share/{thread_id}",
        f"/user/alice/chatwidget/share/{thread_id}/page",
        f"/user/alice/chatwidget/share/{thread_id}/elements/{element_id}",
    ]
    alice = httpx.Client(base_url=hub.url, headers={"Authorization": f"token {tokens['alice']}"})
    bob = httpx.Client(base_url=hub.url, headers={"Authorization": f"token {tokens['bob']}"})
    anonymous = httpx.Client(base_url=hub.url, follow_redirects=False)
    try:
        assert [anonymous.get(p).status_code for p in pages] == [404, 404, 404]
        # Bob cannot share it, through his server or hers.
        assert bob.put(f"/user/bob/chatwidget/api/threads/{thread_id}/share").status_code == 404
        assert bob.put(share, follow_redirects=False).status_code in (403, 404)
        assert [anonymous.get(p).status_code for p in pages] == [404, 404, 404]
        assert alice.put(share).json()["isShared"] is True
        public = anonymous.get(pages[0])
        assert public.status_code == 200 and public.json()["name"] == ALICE_SECRET
        assert anonymous.get(pages[1]).status_code == 200
        assert anonymous.get(pages[2]).content == ALICE_BYTES
        assert alice.delete(share).json()["isShared"] is False
        assert [anonymous.get(p).status_code for p in pages] == [404, 404, 404]
    finally:
        for client in (alice, bob, anonymous):
            client.close()
