"""Several chats in one kernel: each notice reaches its own chat, and the rule outside a
handler is explicit."""

from __future__ import annotations

import asyncio

import pytest

import chatwidget as cw
from chatwidget import _runner
from chatwidget.data.sql import SQLDataLayer


@pytest.fixture
def two(recording):
    first, second = cw.ChatApp(title="first", persist=False), cw.ChatApp(title="second", persist=False)
    yield first, second
    first.close()
    second.close()


async def test_stopping_one_chat_posts_the_notice_in_that_chat_only(two, until):
    first, second = two
    started = asyncio.Event()

    @first.on_message
    async def slow(message):
        started.set()
        await asyncio.sleep(30)

    @first.on_stop
    def stopped():
        cw.Message("on_stop ran").send_sync()

    task = asyncio.ensure_future(first.send_user_message("go"))
    await started.wait()
    assert first.stop()
    await task
    await until(lambda: "on_stop ran" in first.transcript())
    assert "Task manually stopped." in first.transcript()
    assert second.transcript() == "" and second.messages == []


async def test_an_error_in_one_chat_is_shown_in_that_chat_only(two):
    first, second = two

    @second.on_message
    async def broken(message):
        raise ValueError("only the second breaks")

    @first.on_message
    async def fine(message):
        await cw.Message("fine").send()

    await second.send_user_message("x")
    await first.send_user_message("y")
    assert "An error occurred" in second.transcript()
    assert "error" not in first.transcript().lower() and "fine" in first.transcript()


async def test_outside_a_handler_the_chat_must_be_named_when_several_are_open(two):
    first, second = two
    with pytest.raises(cw.NoChatError, match="with app:"):
        await cw.Message("to whom?").send()
    assert first.messages == [] and second.messages == []
    with second:
        await cw.Message("for the second").send()
    with first:
        await cw.Message("for the first").send()
    assert [m.content for m in second.messages] == ["for the second"]
    assert [m.content for m in first.messages] == ["for the first"]
    second.close()
    await cw.Message("the only open chat").send()  # one app open: no doubt which
    assert first.messages[-1].content == "the only open chat"


async def test_no_app_at_all_is_a_clear_error():
    with pytest.raises(cw.NoChatError, match=r"create a cw\.ChatApp"):
        await cw.Message("nobody").send()


async def test_a_traceback_is_shown_to_the_author_but_never_stored(recording, tmp_path):
    layer = SQLDataLayer(f"sqlite+aiosqlite:///{tmp_path / 't.db'}")
    app = cw.ChatApp(title="dev", data_layer=layer, error_details="traceback")

    @app.on_message
    async def broken(message):
        raise RuntimeError("the ```bad``` **value**")

    try:
        await app.send_user_message("go")
        await app.save()
        error, trace = app.steps[-2], app.steps[-1]
        assert error.is_error and "RuntimeError: the ```bad``` **value**" in error.content
        assert "````text" in error.content  # shown literally: a fence longer than the text's backticks
        assert trace.name == "Traceback" and trace.parent_id == error.id
        assert 'raise RuntimeError("the ```bad``` **value**")' in trace.output
        assert "_runner.py" not in trace.output  # from the handler's frame on
        assert app.chat.wire(trace)["output"] == trace.output  # the views show it
        assert "Traceback" not in app.transcript() and "Traceback" not in app.transcript_html()
        stored = await layer.get_thread(app.thread_id)
        assert [s["id"] for s in stored["steps"]] == [s.id for s in app.steps[:-1]]
    finally:
        await app.chat.close()
        await layer.close()


@pytest.mark.parametrize(("mode", "shown"), [("none", "(RuntimeError)."), ("message", "RuntimeError: oops")])
async def test_error_details_choose_what_the_user_reads(chat, mode, shown):
    app = chat(error_details=mode)

    @app.on_message
    async def broken(message):
        raise RuntimeError("oops")

    await app.send_user_message("go")
    assert shown in app.messages[-1].content and len(app.steps) == 2  # no traceback step


def test_show_error_details_is_the_message_mode():
    assert cw.ChatApp(headless=True, show_error_details=True).error_details == "message"
    assert cw.ChatApp(headless=True).error_details == "none"  # not in a notebook's kernel


async def test_handlers_get_the_arguments_they_accept(chat):
    app = chat()
    calls = []

    @app.on_message
    async def no_parameters():
        calls.append("message")
        await cw.Message("ok", actions=[cw.Action(name="go")]).send()

    @app.action_callback("go")
    def clicked():
        calls.append("action")

    @app.set_starters
    async def starters(user, language):
        calls.append(("starters", user, language))
        return [cw.Starter(label="Hi", message="hi")]

    await app.send_user_message("x")
    action = app.messages[-1].actions[0]
    await app.chat.runner.invoke("action", app.handlers.action("go"), action)
    assert calls == [("starters", None, None), "message", "action"]
    assert app.starters == [{"label": "Hi", "message": "hi", "icon": None, "command": None}]


def test_the_worker_threads_go_with_the_last_chat_that_uses_them():
    workers = _runner._Workers()
    workers.acquire()
    workers.acquire()
    pool = workers.pool()
    workers.release()
    assert not pool._shutdown  # another chat may still need it
    workers.release()
    assert pool._shutdown and workers.pool() is not pool


async def test_a_prompt_is_answered_from_the_browser_while_another_chat_is_open(two, until):
    first, second = two  # two open chats: the answer must not need the "only open chat" rule

    @first.on_message
    async def ask(message):
        res = await cw.AskUserMessage("Ticket number?", timeout=10).send()
        await cw.Message(f"Ticket {res['output']}").send()

    comm = first.widget.comm
    comm.browser_sends({"kind": "send", "id": "r1", "content": "about my ticket"})
    await until(lambda: first.ask.get("id"))
    comm.browser_sends({"kind": "ask_reply", "id": "r2", "ask": first.ask["id"], "output": "4711"})
    await until(lambda: "Ticket 4711" in first.transcript())
    assert {r["id"]: r["ok"] for r in comm.customs("reply")} == {"r1": True, "r2": True}
    assert second.messages == []
