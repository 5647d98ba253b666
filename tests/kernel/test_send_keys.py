"""What the browser's outbox relies on: a message sent twice under its key is shown and
answered once, and a chat is running from the moment it accepts a message."""

from __future__ import annotations

import asyncio

import pytest

import chatwidget as cw
from chatwidget import _delivered


def reply_to(wire, request_id):
    replies = [r for r in wire.customs("reply") if r["id"] == request_id]
    assert len(replies) == 1, replies
    return replies[0]


async def test_a_message_sent_again_under_its_key_is_delivered_once(app, wire):
    @app.on_message
    async def echo(message):
        await cw.Message(f"echo: {message.content}").send()

    wire.browser_sends({"id": "r1", "kind": "send", "content": "hello", "key": "k1"})
    first = reply_to(wire, "r1")["result"]
    await app.wait()
    # The same message again: a page reload, or a resend after a timeout while a cell ran.
    wire.browser_sends({"id": "r2", "kind": "send", "content": "hello", "key": "k1"})
    again = reply_to(wire, "r2")
    assert again["ok"] is True
    assert again["result"] == {"message_id": first["message_id"], "duplicate": True}
    await app.wait()
    assert app.transcript() == "User: hello\nAssistant: echo: hello"
    # Another key is another message.
    wire.browser_sends({"id": "r3", "kind": "send", "content": "hello", "key": "k2"})
    assert "duplicate" not in reply_to(wire, "r3")["result"]
    await app.wait()
    assert app.transcript().count("User: hello") == 2


async def test_a_resend_while_the_first_copy_is_answered_is_not_refused_as_busy(app, wire):
    gate = asyncio.Event()

    @app.on_message
    async def slow(message):
        await gate.wait()

    wire.browser_sends({"id": "a", "kind": "send", "content": "one", "key": "same"})
    wire.browser_sends({"id": "b", "kind": "send", "content": "one", "key": "same"})
    assert reply_to(wire, "b")["result"]["duplicate"] is True
    gate.set()
    await app.wait()
    assert [m.content for m in app.messages] == ["one"]


async def test_the_chat_is_running_before_the_reply_to_a_send(app, wire):
    """The outbox sends the next held message once `running` is false again: the `running`
    update must come before the reply, or the next message would race this answer."""

    @app.on_message
    async def reply(message):
        await cw.Message("ok").send()

    wire.browser_sends({"id": "m", "kind": "send", "content": "hi", "key": "k"})
    order = []
    for sent in wire.sent:
        data = sent["data"] or {}
        if data.get("method") == "update" and data["state"].get("running") is True:
            order.append("running")
        if data.get("method") == "custom" and data["content"].get("kind") == "reply":
            order.append("reply")
    assert order[:2] == ["running", "reply"]
    await app.wait()
    assert not app.running


async def test_on_chat_start_runs_before_the_first_typed_message_is_answered(app, wire):
    seen = []

    @app.on_chat_start
    async def start():
        await asyncio.sleep(0.01)
        seen.append("start")

    @app.on_message
    async def reply(message):
        seen.append(f"answer {message.content}")

    wire.browser_sends({"id": "m", "kind": "send", "content": "first", "key": "k"})
    assert app.running  # at once, on_chat_start included
    await app.wait()
    assert seen == ["start", "answer first"]


@pytest.mark.parametrize("key", ["", ["a"], {"k": 1}, "x" * 65, 7])
async def test_a_bad_key_is_refused_and_nothing_is_shown(app, wire, key):
    wire.browser_sends({"id": "bad", "kind": "send", "content": "hi", "key": key})
    reply = reply_to(wire, "bad")
    assert reply["ok"] is False and reply["error"]["code"] in {"bad_request", "too_large"}
    assert app.messages == []


def test_only_the_newest_keys_are_kept():
    keys = _delivered.DeliveredKeys()
    for i in range(keys.LIMIT + 5):
        keys.add(f"k{i}", f"m{i}")
    assert keys.get("k0") is None and keys.get("k4") is None
    assert keys.get("k5") == "m5" and keys.get(f"k{keys.LIMIT + 4}") == f"m{keys.LIMIT + 4}"


async def test_a_message_typed_as_the_view_opens_is_answered_after_the_greeting(app, wire):
    """The view's hello starts on_chat_start; a message sent meanwhile waits for it."""
    from chatwidget._protocol import PROTOCOL_VERSION

    seen = []

    @app.on_chat_start
    async def greet():
        await asyncio.sleep(0.05)
        await cw.Message("welcome").send()
        seen.append("greeting")

    @app.on_message
    async def reply(message):
        seen.append(f"answer {message.content}")
        await cw.Message(f"echo: {message.content}").send()

    wire.browser_sends({"id": "h", "kind": "hello", "protocol": PROTOCOL_VERSION})
    await asyncio.sleep(0.01)  # the greeting is under way
    wire.browser_sends({"id": "m", "kind": "send", "content": "quick", "key": "k"})
    await app.wait()
    assert seen == ["greeting", "answer quick"]
    # The user's message shows when sent; the answer comes after the greeting.
    assert [m.content for m in app.messages if m.type == "assistant_message"] == ["welcome", "echo: quick"]
