"""What the browser may see (chain of thought) and what it may send (bad input)."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

import chatwidget as cw
from chatwidget._protocol import PROTOCOL_VERSION


async def test_hidden_cot_sends_only_stubs(app, wire):
    app.cot = "hidden"

    @app.on_message
    async def reply(message):
        async with cw.Step(name="secret tool", type="tool") as s:
            s.input = "SECRET-INPUT"
            await s.stream_token("SECRET-")
            await asyncio.sleep(0.05)
            await s.stream_token("OUTPUT")
        await cw.Message("visible answer").send()

    await app.send_user_message("go")
    everything = json.dumps([m["data"] for m in wire.sent]) + json.dumps(app.widget.get_state())
    assert "SECRET" not in everything
    assert "visible answer" in everything and "secret tool" in everything  # the stub names it
    assert app.steps[1].output == "SECRET-OUTPUT"  # the kernel keeps it


async def test_tool_call_cot_shows_tool_steps_only(app):
    app.cot = "tool_call"
    async with cw.Step(name="t", type="tool") as tool:
        tool.output = "tool output"
    async with cw.Step(name="l", type="llm") as llm:
        llm.output = "llm output"
    assert app.chat.wire(tool)["output"] == "tool output"
    assert app.chat.wire(llm)["output"] == ""
    assert app.widget.config["cot"] == "tool_call"


def reply_to(wire, request_id):
    replies = [r for r in wire.customs("reply") if r["id"] == request_id]
    assert len(replies) == 1, replies
    return replies[0]


@pytest.mark.parametrize(
    "content",
    [
        None,
        42,
        "a string",
        ["a", "list"],
        {"kind": "send"},
        {"id": 5, "kind": "send"},
        {"id": "x" * 65, "kind": "send"},
    ],
)
async def test_unanswerable_messages_are_logged_and_ignored(app, wire, caplog, content):
    with caplog.at_level(logging.WARNING, logger="chatwidget"):
        wire.browser_sends(content)
    assert wire.customs() == []
    assert "ignored a message from the browser" in caplog.text


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ({"id": "1", "kind": "launch_missiles"}, "unknown_kind"),
        ({"id": "1b", "kind": ["send"]}, "unknown_kind"),
        ({"id": "1c", "kind": {"a": 1}}, "unknown_kind"),
        ({"id": "2", "kind": "send"}, "bad_request"),
        ({"id": "3", "kind": "send", "content": ["not", "text"]}, "bad_request"),
        ({"id": "4", "kind": "send", "content": "x" * 200_000}, "too_large"),
        ({"id": "5", "kind": "send", "content": "   "}, "empty"),
        ({"id": "6", "kind": "resync", "step": "no-such-step"}, "not_found"),
        ({"id": "7", "kind": "resync", "step": {"nested": {"deep": 1}}}, "bad_request"),
    ],
)
async def test_bad_requests_get_an_error_reply_without_a_traceback(app, wire, content, code):
    wire.browser_sends(content)
    reply = reply_to(wire, content["id"])
    assert reply["ok"] is False and reply["error"]["code"] == code
    assert "Traceback" not in json.dumps(reply)


async def test_deeply_nested_payload_is_refused_cheaply(app, wire):
    deep: object = "leaf"
    for _ in range(10_000):
        deep = [deep]
    wire.browser_sends({"id": "deep", "kind": "send", "content": deep})
    assert reply_to(wire, "deep")["error"]["code"] == "bad_request"


async def test_the_widget_still_works_after_bad_input(app, wire):
    @app.on_message
    async def reply(message):
        await cw.Message(f"echo: {message.content}").send()

    for bad in [None, {"id": "b1", "kind": "nope"}, {"id": "b2", "kind": "send", "content": 1}]:
        wire.browser_sends(bad)
    wire.browser_sends({"id": "good", "kind": "send", "content": "hello"})
    assert reply_to(wire, "good")["ok"] is True
    await asyncio.sleep(0)  # the handler starts after the chat start
    await app.wait()
    assert app.transcript() == "User: hello\nAssistant: echo: hello"


async def test_hello_and_busy(app, wire, until):
    gate = asyncio.Event()

    @app.on_message
    async def reply(message):
        await gate.wait()

    wire.browser_sends({"id": "h", "kind": "hello", "protocol": PROTOCOL_VERSION})
    assert reply_to(wire, "h")["result"] == {"protocol": PROTOCOL_VERSION, "signed_in": False}
    wire.browser_sends({"id": "m1", "kind": "send", "content": "first"})
    await until(lambda: app.running)
    assert app.running
    wire.browser_sends({"id": "m2", "kind": "send", "content": "second"})
    assert reply_to(wire, "m2")["error"]["code"] == "busy"
    wire.browser_sends({"id": "s", "kind": "stop"})
    assert reply_to(wire, "s")["result"] == {"stopped": True}
    await app.wait()
    assert [m.content for m in app.messages] == ["first", "Task manually stopped."]


async def test_messages_arriving_on_another_thread_are_handled_on_the_apps_loop(recording, until, replied):
    """JupyterLab may send comm messages to a kernel subshell: another thread, another loop."""
    import threading

    app = cw.ChatApp(persist=False)  # created on the running loop, as in a notebook cell
    wire = app.widget.comm
    threads = []

    @app.on_message
    async def reply(message):
        threads.append(threading.get_ident())
        await cw.Message("ok").send()

    sender = threading.Thread(target=wire.browser_sends, args=({"id": "t", "kind": "send", "content": "hi"},))
    sender.start()
    sender.join()
    await until(lambda: threads and not app.running)
    assert threads == [threading.get_ident()]
    assert replied(wire, "t")()
    app.close()


async def test_allowed_image_hosts_reach_the_views_and_refuse_urls(app):
    app.allowed_image_hosts = ["images.example.org", "*.cdn.example", "127.0.0.1:8080", "*"]
    assert app.widget.config["allowed_image_hosts"] == app.allowed_image_hosts
    for bad in ["https://images.example.org", "images.example.org/path", "", "a b", "*.", "host:port"]:
        with pytest.raises(Exception, match="allowed_image_hosts"):
            cw.ChatApp(allowed_image_hosts=[bad])
