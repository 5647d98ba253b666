"""Threads kept by the data layer: written as the chat happens, listed, resumed, shared."""

from __future__ import annotations

import asyncio

import pytest

import chatwidget as cw
import chatwidget.data
from chatwidget import _persistence
from chatwidget._threads import ThreadNotFoundError
from chatwidget.data.sql import SQLDataLayer


@pytest.fixture
async def layer(tmp_path):
    data = SQLDataLayer(f"sqlite+aiosqlite:///{tmp_path / 'threads.db'}")
    yield data
    await data.close()


@pytest.fixture
def make_app(recording, layer, monkeypatch):
    monkeypatch.setenv("CHATWIDGET_OWNER", "alice")
    apps = []

    def make(**kwargs):
        app = cw.ChatApp(title="Kept", data_layer=layer, **kwargs)

        @app.on_message
        async def reply(message):
            async with cw.Step(name="lookup", type="tool") as s:
                s.input = message.content
                s.output = "42"
            await cw.Message(f"echo: {message.content}", elements=[cw.Text(name="note", content="n")]).send()

        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()


async def test_a_thread_is_created_at_the_first_user_message_and_named_after_it(make_app, layer):
    app = make_app()

    @app.on_chat_start
    async def hello():
        await cw.Message("Welcome").send()

    await app.start()
    await asyncio.sleep(0.3)
    assert app._writer._task.done()  # nothing to write to yet: the writer waits, it does not poll
    await app.save()
    assert (await app.list_threads())["data"] == []  # a greeting alone is not a conversation
    await app.send_user_message("What is the answer to everything?")
    await app.save()
    (thread,) = (await app.list_threads())["data"]
    assert thread["name"] == "What is the answer to everything?" and thread["id"] == app.thread_id
    stored = await layer.get_thread(app.thread_id)
    assert [s["type"] for s in stored["steps"]] == [
        "assistant_message",
        "user_message",
        "tool",
        "assistant_message",
    ]
    assert stored["userIdentifier"] == "alice"


async def test_resume_restores_messages_steps_elements_and_feedback(make_app):
    first = make_app()
    await first.send_user_message("hi")
    answer = first.messages[-1]
    first._interaction.set_feedback(answer, cw.Feedback(for_id=answer.id, value=1, comment="good"))
    await first.save()
    transcript, thread_id = first.transcript(), first.thread_id

    resumed = []
    second = make_app()

    @second.on_chat_resume
    async def on_resume(thread):
        resumed.append(thread["id"])

    await second.resume(thread_id)
    assert second.transcript() == transcript and resumed == [thread_id]
    restored = second.messages[-1]
    assert restored.feedback == {"value": 1, "comment": "good"}
    assert restored.elements[0].data() == b"n" and restored.elements[0].name == "note"
    state = second.get_state()
    assert state[f"e{restored.elements[0].id}"]["name"] == "note"
    await second.send_user_message("again")  # the resumed thread goes on
    await second.save()
    assert len((await second.list_threads())["data"]) == 1


async def test_new_chat_keeps_the_stored_thread(make_app, layer):
    app = make_app()
    await app.send_user_message("one")
    await app.save()
    old = app.thread_id
    await app.new_chat()
    await app.send_user_message("two")
    await app.save()
    assert len((await layer.get_thread(old))["steps"]) == 3  # user, tool step, answer
    assert {t["name"] for t in (await app.list_threads())["data"]} == {"one", "two"}


async def test_a_stream_is_checkpointed_and_read_back_as_interrupted(make_app, layer, monkeypatch):
    monkeypatch.setattr(_persistence, "CHECKPOINT_INTERVAL", 0.05)
    app = make_app()
    release = asyncio.Event()

    @app.on_message
    async def slow(message):
        answer = cw.Message("")
        await answer.stream_token("partial ")
        await answer.stream_token("text")
        await release.wait()

    task = asyncio.ensure_future(app.send_user_message("go"))
    for _ in range(200):
        await asyncio.sleep(0.02)
        stored = await layer.get_thread(app.thread_id)
        if stored and any(s.get("output") == "partial text" for s in stored["steps"]):
            break
    streaming = [s for s in stored["steps"] if s["type"] == "assistant_message"]
    assert streaming[0]["output"] == "partial text" and streaming[0]["streaming"] is True
    # a kernel that dies here leaves this row; reading it back marks it interrupted
    other = make_app()
    await other.resume(app.thread_id)
    restored = other.messages[-1]
    assert restored.content == "partial text" and restored.metadata["interrupted"] is True
    assert not restored.streaming
    release.set()
    await task


async def test_another_owners_thread_is_not_found(make_app, layer, monkeypatch, until, replied):
    app = make_app()
    await app.send_user_message("secret")
    await app.save()
    monkeypatch.setenv("CHATWIDGET_OWNER", "mallory")
    intruder = make_app()
    with pytest.raises(ThreadNotFoundError):
        await intruder.resume(app.thread_id)
    assert (await intruder.list_threads())["data"] == []
    for kind, extra in [
        ("resume", {}),
        ("rename", {"name": "x"}),
        ("delete_thread", {}),
        ("share", {"shared": True}),
    ]:
        intruder.comm.browser_sends({"id": kind, "kind": kind, "thread": app.thread_id, **extra})
    await until(replied(intruder.comm, "resume", "rename", "delete_thread", "share"))
    replies = {r["id"]: r for r in intruder.comm.customs("reply")}
    assert all(
        replies[k]["error"]["code"] == "not_found" for k in ("resume", "rename", "delete_thread", "share")
    )
    assert (await layer.get_thread(app.thread_id))["name"] == "secret"


async def test_rename_share_and_delete_through_requests(make_app, layer, until, replied):
    app = make_app()
    await app.send_user_message("hello")
    await app.save()
    thread_id = app.thread_id
    app.comm.browser_sends({"id": "r", "kind": "rename", "thread": thread_id, "name": "Greetings"})
    app.comm.browser_sends({"id": "s", "kind": "share", "thread": thread_id, "shared": True})
    app.comm.browser_sends({"id": "l", "kind": "threads", "search": "greet"})
    await until(replied(app.comm, "r", "s", "l"))
    replies = {r["id"]: r for r in app.comm.customs("reply")}
    assert replies["r"]["result"] == {"name": "Greetings"}
    assert replies["s"]["result"] == {"shared": True, "path": f"chatwidget/share/{thread_id}/page"}
    stored = await layer.get_thread(thread_id)
    assert stored["name"] == "Greetings" and stored["metadata"]["is_shared"] is True
    app.comm.browser_sends({"id": "d", "kind": "delete_thread", "thread": thread_id})
    await until(replied(app.comm, "d"))
    assert await layer.get_thread(thread_id) is None and app.messages == []


async def test_editing_drops_the_later_steps_from_storage(make_app, layer, until, replied):
    app = make_app()
    first = await app.send_user_message("one")
    await app.send_user_message("two")
    await app.save()
    app.comm.browser_sends({"id": "e", "kind": "edit", "step": first.id, "content": "uno"})
    await until(replied(app.comm, "e"))
    await app.wait()
    await app.save()
    outputs = [
        s["output"] for s in (await layer.get_thread(app.thread_id))["steps"] if s["type"].endswith("message")
    ]
    assert outputs == ["uno", "echo: uno"]


async def test_a_failing_database_is_reported_and_nothing_is_dropped(make_app, layer, monkeypatch):
    app = make_app()
    await app.send_user_message("kept")
    await app.save()
    real = layer.write_steps
    failures = []

    async def broken(steps):
        failures.append(len(steps))
        raise cw.data.DataLayerError("disk full")

    monkeypatch.setattr(layer, "write_steps", broken)
    await app.send_user_message("while broken")
    with pytest.raises(cw.data.DataLayerError):
        await app.save()
    assert "disk full" in app.storage_error and failures
    monkeypatch.setattr(layer, "write_steps", real)
    await app.save()
    assert app.storage_error == ""
    outputs = [s["output"] for s in (await layer.get_thread(app.thread_id))["steps"]]
    assert "while broken" in outputs and "echo: while broken" in outputs


async def test_with_a_login_server_only_a_signed_identity_owns_what_is_kept(
    recording, layer, monkeypatch, until, replied
):
    from chatwidget._identity import sign_identity

    monkeypatch.setenv("CHATWIDGET_IDENTITY_SECRET", "s3cret")
    monkeypatch.setenv("CHATWIDGET_IDENTITY_REQUIRED", "1")
    monkeypatch.setenv("CHATWIDGET_OWNER", "should-not-be-used")
    anonymous = cw.ChatApp(title="anon", data_layer=layer)
    await anonymous.send_user_message("no identity")
    assert anonymous._writer is None and "Not signed in" in anonymous.storage_error

    app = cw.ChatApp(title="signed", data_layer=layer)
    wire = app.comm
    forged = sign_identity("another secret", "github:1", 60)[0]
    wire.browser_sends({"id": "h0", "kind": "hello", "protocol": "1", "identity": forged})
    good = sign_identity("s3cret", "github:1", 60)[0]
    wire.browser_sends({"id": "h1", "kind": "hello", "protocol": "1", "identity": good})
    other = sign_identity("s3cret", "gitlab:2", 60)[0]
    wire.browser_sends({"id": "h2", "kind": "hello", "protocol": "1", "identity": other})
    await until(replied(wire, "h0", "h1", "h2"))
    replies = {r["id"]: r for r in wire.customs("reply")}
    assert replies["h0"]["result"]["signed_in"] is False
    assert replies["h1"]["result"]["signed_in"] is True
    assert replies["h2"]["error"]["code"] == "identity"
    await app.send_user_message("mine")
    await app.save()
    assert (await layer.get_thread(app.thread_id))["userIdentifier"] == "github:1"
    anonymous.close()
    app.close()
