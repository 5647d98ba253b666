"""Threads kept by the data layer: written as the chat happens, listed, resumed, shared."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest

import chatwidget as cw
import chatwidget.data
from chatwidget import _persistence, _threads
from chatwidget._protocol import PROTOCOL_VERSION
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
    assert app.chat.writer._task.done()  # nothing to write to yet: the writer waits, it does not poll
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
    first.chat.interaction.set_feedback(answer, cw.Feedback(for_id=answer.id, value=1, comment="good"))
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
    state = second.widget.get_state()
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
        intruder.widget.comm.browser_sends({"id": kind, "kind": kind, "thread": app.thread_id, **extra})
    await until(replied(intruder.widget.comm, "resume", "rename", "delete_thread", "share"))
    replies = {r["id"]: r for r in intruder.widget.comm.customs("reply")}
    assert all(
        replies[k]["error"]["code"] == "not_found" for k in ("resume", "rename", "delete_thread", "share")
    )
    assert (await layer.get_thread(app.thread_id))["name"] == "secret"


async def test_rename_share_and_delete_through_requests(make_app, layer, until, replied):
    app = make_app()
    await app.send_user_message("hello")
    await app.save()
    thread_id = app.thread_id
    app.widget.comm.browser_sends({"id": "r", "kind": "rename", "thread": thread_id, "name": "Greetings"})
    app.widget.comm.browser_sends({"id": "s", "kind": "share", "thread": thread_id, "shared": True})
    app.widget.comm.browser_sends({"id": "l", "kind": "threads", "search": "greet"})
    await until(replied(app.widget.comm, "r", "s", "l"))
    replies = {r["id"]: r for r in app.widget.comm.customs("reply")}
    assert replies["r"]["result"] == {"name": "Greetings"}
    assert replies["s"]["result"] == {"shared": True}  # the link is the server's to give
    stored = await layer.get_thread(thread_id)
    assert stored["name"] == "Greetings" and stored["metadata"]["is_shared"] is True
    app.widget.comm.browser_sends({"id": "d", "kind": "delete_thread", "thread": thread_id})
    await until(replied(app.widget.comm, "d"))
    assert await layer.get_thread(thread_id) is None and app.messages == []


async def test_editing_drops_the_later_steps_from_storage(make_app, layer, until, replied):
    app = make_app()
    first = await app.send_user_message("one")
    await app.send_user_message("two")
    await app.save()
    app.widget.comm.browser_sends({"id": "e", "kind": "edit", "step": first.id, "content": "uno"})
    await until(replied(app.widget.comm, "e"))
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


async def test_a_database_lost_while_a_refused_batch_is_written_alone_keeps_the_rest(
    make_app, layer, monkeypatch
):
    monkeypatch.setattr(_persistence, "WRITE_INTERVAL", 60)  # only save() writes
    app = make_app()

    @app.on_message
    async def reply(message):
        if message.content == "poison":  # no JSON for a datetime: the database refuses this one
            await cw.Message("unsaved", metadata={"when": datetime.now(timezone.utc)}).send()
        await cw.Message(f"echo: {message.content}").send()

    await app.send_user_message("poison")
    await app.send_user_message("after")
    real = layer.write_steps

    async def lost_at_after(steps):
        if [s["output"] for s in steps] == ["after"]:
            raise cw.data.DataLayerError("connection refused") from ConnectionRefusedError()
        await real(steps)

    monkeypatch.setattr(layer, "write_steps", lost_at_after)
    with pytest.raises(cw.data.DataLayerError):
        await app.save()
    assert app.storage_error == "connection refused"
    assert outputs(await layer.get_thread(app.thread_id)) == ["poison", "echo: poison"]
    monkeypatch.setattr(layer, "write_steps", real)
    await app.save()
    stored = outputs(await layer.get_thread(app.thread_id))
    assert stored == ["poison", "echo: poison", "after", "echo: after"]
    assert "the database refused a message, which is left out" in app.storage_error  # still true


async def test_with_a_login_server_only_a_signed_identity_owns_what_is_kept(
    recording, layer, monkeypatch, until, replied
):
    from chatwidget.identity import sign_identity

    monkeypatch.setenv("CHATWIDGET_IDENTITY_SECRET", "s3cret")
    monkeypatch.setenv("CHATWIDGET_IDENTITY_REQUIRED", "1")
    monkeypatch.setenv("CHATWIDGET_OWNER", "should-not-be-used")
    anonymous = cw.ChatApp(title="anon", data_layer=layer)
    await anonymous.send_user_message("no identity")
    assert anonymous.chat.writer is None and "Not signed in" in anonymous.storage_error

    app = cw.ChatApp(title="signed", data_layer=layer)
    wire = app.widget.comm
    forged = sign_identity("another secret", "github:1", 60)[0]
    wire.browser_sends({"id": "h0", "kind": "hello", "protocol": PROTOCOL_VERSION, "identity": forged})
    good = sign_identity("s3cret", "github:1", 60)[0]
    wire.browser_sends({"id": "h1", "kind": "hello", "protocol": PROTOCOL_VERSION, "identity": good})
    other = sign_identity("s3cret", "gitlab:2", 60)[0]
    wire.browser_sends({"id": "h2", "kind": "hello", "protocol": PROTOCOL_VERSION, "identity": other})
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


def outputs(thread):
    return [s["output"] for s in thread["steps"] if s["type"].endswith("message")]


@pytest.mark.parametrize("operation", ["rename", "share", "unshare"])
async def test_a_thread_deleted_during_a_rename_or_share_stays_deleted(
    make_app, layer, monkeypatch, operation
):
    first = make_app()
    await first.send_user_message("hello")
    await first.save()
    thread_id = first.thread_id
    read = layer.get_thread_author

    async def read_then_deleted(read_id):
        author = await read(read_id)  # the ownership check passes...
        await layer.delete_thread(read_id)  # ...and the server's API, or another view, deletes it now
        return author

    monkeypatch.setattr(layer, "get_thread_author", read_then_deleted)
    manager = make_app()
    if operation == "rename":
        change = _threads.rename(manager.chat, thread_id, "Renamed")
    else:
        change = _threads.share(manager.chat, thread_id, operation == "share")
    with pytest.raises(ThreadNotFoundError):
        await change
    monkeypatch.setattr(layer, "get_thread_author", read)
    assert await layer.get_thread(thread_id) is None


@pytest.mark.parametrize("with_settings", [False, True])
async def test_a_thread_deleted_elsewhere_is_neither_recreated_nor_retried(
    make_app, layer, caplog, with_settings
):
    app = make_app()
    await app.send_user_message("hello")
    await app.save()
    thread_id = app.thread_id
    await layer.delete_thread(thread_id)  # from the server's thread list, or another view
    if with_settings:
        app.chat.writer.remember({"chat_settings": {"model": "small"}})
    await app.send_user_message("still there?")
    await app.save()  # nothing to write to: dropped, not an error
    await app.send_user_message("and now?")
    await asyncio.sleep(3 * _persistence.WRITE_INTERVAL)
    assert await layer.get_thread(thread_id) is None
    assert app.storage_error == _persistence.THREAD_DELETED
    assert app.chat.writer._task.done() and not app.chat.writer._writable()  # nothing left to retry
    assert len([r for r in caplog.records if "was deleted" in r.getMessage()]) == 1

    await app.new_chat()  # the next chat is kept as usual
    assert app.storage_error == ""
    await app.send_user_message("fresh start")
    await app.save()
    assert outputs(await layer.get_thread(app.thread_id)) == ["fresh start", "echo: fresh start"]


async def _switch(app, how, other_thread):
    if how == "new_chat":
        await app.new_chat()
    else:
        await app.resume(other_thread)


@pytest.mark.parametrize("how", ["new_chat", "resume"])
async def test_messages_sent_just_before_a_switch_are_kept_in_their_thread(make_app, layer, monkeypatch, how):
    other = make_app()
    await other.send_user_message("elsewhere")
    await other.save()
    monkeypatch.setattr(_persistence, "WRITE_INTERVAL", 60)  # only the switch itself writes
    app = make_app()
    await app.send_user_message("one")
    await app.send_user_message("two")
    left = app.thread_id
    await _switch(app, how, other.thread_id)
    await app.send_user_message("three")
    await app.save()
    assert outputs(await layer.get_thread(left)) == ["one", "echo: one", "two", "echo: two"]
    before = [] if how == "new_chat" else ["elsewhere", "echo: elsewhere"]
    assert outputs(await layer.get_thread(app.thread_id)) == [*before, "three", "echo: three"]


@pytest.mark.parametrize("how", ["new_chat", "resume"])
async def test_writes_that_failed_before_a_switch_land_in_their_own_thread(make_app, layer, monkeypatch, how):
    other = make_app()
    await other.send_user_message("elsewhere")
    await other.save()
    app = make_app()
    await app.send_user_message("one")
    await app.save()
    left = app.thread_id
    real = layer.write_steps

    async def broken(steps):
        raise cw.data.DataLayerError("disk full")

    monkeypatch.setattr(layer, "write_steps", broken)
    await app.send_user_message("two")
    with pytest.raises(cw.data.DataLayerError):
        await app.save()
    await _switch(app, how, other.thread_id)  # its flush fails too: "two" stays queued for its thread
    assert "disk full" in app.storage_error
    monkeypatch.setattr(layer, "write_steps", real)
    await app.send_user_message("three")
    await app.save()
    assert app.storage_error == ""
    assert outputs(await layer.get_thread(left)) == ["one", "echo: one", "two", "echo: two"]
    before = [] if how == "new_chat" else ["elsewhere", "echo: elsewhere"]
    assert outputs(await layer.get_thread(app.thread_id)) == [*before, "three", "echo: three"]


async def test_db_url_chooses_the_database_when_no_data_layer_is_given(
    recording, layer, tmp_path, monkeypatch
):
    monkeypatch.setenv("CHATWIDGET_OWNER", "alice")
    monkeypatch.setenv("CHATWIDGET_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'from-env.db'}")
    url = f"sqlite+aiosqlite:///{tmp_path / 'from-option.db'}"
    by_url = cw.ChatApp(title="by url", db_url=url)
    by_env = cw.ChatApp(title="by env")
    given = cw.ChatApp(title="given", data_layer=layer, db_url=url)  # an explicit data layer wins
    same_url = cw.ChatApp(title="same url", db_url=url)
    apps = [by_url, by_env, given, same_url]
    try:
        assert "db_url" not in by_url.widget.get_state()  # never sent to the browser
        for app in apps:
            await app.send_user_message(f"hello from {app.title}")
            await app.save()
        assert str(by_url.chat.writer.layer.url) == url
        assert str(by_env.chat.writer.layer.url).endswith("from-env.db")
        assert given.chat.writer.layer is layer
        assert same_url.chat.writer.layer is by_url.chat.writer.layer  # one engine per database
        stored = await by_url.chat.writer.layer.get_thread(by_url.thread_id)
        assert stored["name"] == "hello from by url"
        assert await layer.get_thread(by_url.thread_id) is None
        assert await by_env.chat.writer.layer.get_thread(by_url.thread_id) is None
        assert (await layer.get_thread(given.thread_id))["name"] == "hello from given"
    finally:
        for app in apps:
            await app.chat.close()  # the last chat on a database closes its engine


async def test_a_long_thread_resumes_newest_page_first_then_the_rest_in_order(make_app, layer, recording):
    owner = await layer.create_user(cw.User("alice"))
    await layer.update_thread("long", name="Long", user_id=owner.id, create=True)
    count = _threads.FIRST_PAGE * 2 + 50
    stamps = [f"2100-01-01T00:{n // 60:02d}:{n % 60:02d}.000Z" for n in range(count)]
    await layer.write_steps(
        [
            {
                "id": f"m{n:04d}",
                "threadId": "long",
                "type": "user_message" if n % 2 else "assistant_message",
                "name": "User" if n % 2 else "Assistant",
                "output": f"message {n}",
                "createdAt": stamps[n],
                "start": stamps[n],
                "end": stamps[n],
            }
            for n in range(count)
        ]
    )
    app = make_app()
    seen = []

    @app.on_chat_resume
    async def on_resume(thread):
        seen.append([s["id"] for s in thread["steps"]])

    comm = recording[-1]
    comm.clear()
    await app.resume("long")
    updates = comm.updates()
    first = next(u for u in updates if "head" in u)
    shown_first = sorted(k for k in first if k.startswith("s"))
    assert len(shown_first) == _threads.FIRST_PAGE  # the newest page alone is sent first
    ids = [f"m{n:04d}" for n in range(count)]
    assert [m.id for m in app.messages] == ids  # then every step, in creation order
    assert seen == [ids]  # on_chat_resume gets the whole thread
    await app.send_user_message("and on")
    assert app.messages[-1].content.startswith("echo: and on")
