"""MCP servers in a chat, against real servers written with the SDK's FastMCP: one over stdio
(started by the chat), one over streamable HTTP and one over SSE on free loopback ports."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

import chatwidget as cw
from chatwidget import _mcp_shutdown
from chatwidget._mcp_link import end_orphans
from chatwidget.mcp import McpRefusedError, result_text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mcp_servers import STDIO_ARGS, HttpServer, http_server, running

PYTHON = sys.executable


def stdio(name: str = "tools") -> cw.McpStdioConnection:
    return cw.McpStdioConnection(name=name, command=PYTHON, args=list(STDIO_ARGS))


def feature(**options: Any) -> cw.McpFeature:
    defaults: dict[str, Any] = {"enabled": True, "stdio": True, "allowed_executables": [PYTHON]}
    return cw.McpFeature(**{**defaults, **options})


@pytest.fixture(scope="module")
def streamable() -> Iterator[HttpServer]:
    with http_server("streamable-http") as server:
        yield server


@pytest.fixture(scope="module")
def sse() -> Iterator[HttpServer]:
    with http_server("sse") as server:
        yield server


async def gone(pid: int, timeout: float = 15.0) -> bool:
    for _ in range(int(timeout / 0.05)):
        if not running(pid):
            return True
        await asyncio.sleep(0.05)
    return False


def tool_steps(app: cw.ChatApp) -> list[dict[str, Any]]:
    return [s.to_dict() for s in app.steps if s.type == "tool"]


def tool_app(**options: Any) -> tuple[cw.ChatApp, list[Any]]:
    """The reference's MCP example: tools kept per connection in the user session; a message
    'tool {json}' calls a tool and answers with its text."""
    app = cw.ChatApp(headless=True, mcp=feature(**options))
    events: list[Any] = []

    @app.on_mcp_connect
    async def connected(connection: Any, session: Any) -> None:
        tools = await session.list_tools()
        mcp_tools = cw.user_session.get("mcp_tools", {})
        mcp_tools[connection.name] = [t.name for t in tools.tools]
        cw.user_session.set("mcp_tools", mcp_tools)
        events.append(("connect", connection.name, connection.client_type))

    @app.on_mcp_disconnect
    async def disconnected(name: str, session: Any) -> None:
        events.append(("disconnect", name, type(session).__name__))

    @app.on_message
    async def reply(message: cw.Message) -> None:
        name, _, arguments = message.content.partition(" ")
        result = await app.mcp_servers.call_tool(name, json.loads(arguments or "{}"))
        await cw.Message(f"{'error' if result.isError else 'result'}: {result_text(result)}").send()

    return app, events


async def test_a_stdio_servers_tools_run_as_steps(chat: Any) -> None:
    app, events = tool_app()
    chat(app)
    session = await app.connect_mcp(stdio())
    assert type(session).__name__ == "ClientSession"
    assert events == [("connect", "tools", "stdio")]
    assert app.session["mcp_tools"]["tools"] == ["add", "echo", "whoami", "slow", "fail"]
    assert app.connected_mcp == [
        {
            "name": "tools",
            "transport": "stdio",
            "target": f"{PYTHON} {' '.join(STDIO_ARGS)}",
            "tools": ["add", "echo", "whoami", "slow", "fail"],
        }
    ]
    add = app.mcp_servers.tools()["tools"][0]
    assert add["name"] == "add" and add["description"] == "Add two integers."
    assert add["input_schema"]["properties"].keys() == {"a", "b"}
    spec = app.mcp_servers.openai_tools()[0]
    assert spec == {
        "type": "function",
        "function": {"name": "add", "description": "Add two integers.", "parameters": add["input_schema"]},
    }

    await app.send_user_message('add {"a": 2, "b": 40}')
    await app.send_user_message('fail {"reason": "no such file"}')
    steps = tool_steps(app)
    assert [(s["name"], s["isError"]) for s in steps] == [("add", False), ("fail", True)]
    assert json.loads(steps[0]["input"]) == {"a": 2, "b": 40}
    assert steps[0]["output"] == "42"
    assert "no such file" in steps[1]["output"]
    for step in steps:
        assert step["start"] and step["end"] and step["metadata"]["mcp_server"] == "tools"
        assert isinstance(step["metadata"]["duration_ms"], int)
        assert step["parentId"] is None or step["parentId"] != step["id"]
    assert [m.content for m in app.messages if m.type == "assistant_message"] == [
        "result: 42",
        "error: Error executing tool fail: no such file",
    ]

    pid = app.mcp_servers.pid("tools")
    assert pid is not None and running(pid)
    assert await app.disconnect_mcp("tools") is True
    assert events[-1] == ("disconnect", "tools", "ClientSession")
    assert await gone(pid), "the stdio server outlived its connection"
    assert app.connected_mcp == [] and "tools" not in app.mcp_servers
    assert await app.disconnect_mcp("tools") is False


async def test_the_chats_end_ends_its_stdio_servers(chat: Any) -> None:
    app, events = tool_app()
    chat(app)
    await app.connect_mcp(stdio("one"))
    await app.connect_mcp(stdio("two"))
    pids = [app.mcp_servers.pid("one"), app.mcp_servers.pid("two")]
    assert all(pid is not None and running(pid) for pid in pids) and pids[0] != pids[1]
    await app.new_chat()
    assert {e[1] for e in events if e[0] == "disconnect"} == {"one", "two"}
    for pid in pids:
        assert pid is not None and await gone(pid)
    assert app.connected_mcp == []

    await app.connect_mcp(stdio("three"))
    pid = app.mcp_servers.pid("three")
    assert pid is not None
    app.close()  # a closed widget ends its chat: the server goes with it
    assert await gone(pid)


async def test_the_kernels_end_waits_for_disconnect_handlers_a_bounded_time(
    chat: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_mcp_shutdown, "_tried", False)  # each process's end tries once
    monkeypatch.setattr(_mcp_shutdown, "SHUTDOWN_SECONDS", 0.5)
    app = chat(mcp=feature())
    started: list[str] = []
    release = asyncio.Event()

    @app.on_mcp_disconnect
    async def stuck(name: str, session: Any) -> None:
        started.append(name)
        await release.wait()  # a handler that would hold the kernel's end for ever

    await app.connect_mcp(stdio("one"))
    await app.connect_mcp(stdio("two"))
    pids = [app.mcp_servers.pid("one"), app.mcp_servers.pid("two")]
    began = asyncio.get_running_loop().time()
    await _mcp_shutdown.disconnect_everywhere()
    assert asyncio.get_running_loop().time() - began < 2.0
    assert sorted(started) == ["one", "two"]  # side by side, not one after the other
    assert app.connected_mcp == []
    end_orphans()  # what the kernel's exit then does
    for pid in pids:
        assert pid is not None and not running(pid)
    release.set()


async def test_a_server_of_the_same_name_replaces_the_old_one(chat: Any) -> None:
    app, events = tool_app()
    chat(app)
    await app.connect_mcp(stdio())
    first = app.mcp_servers.pid("tools")
    await app.connect_mcp(stdio())
    assert first is not None and await gone(first)
    assert app.mcp_servers.pid("tools") not in (None, first)
    assert [e[0] for e in events] == ["connect", "disconnect", "connect"]
    await app.disconnect_mcp("tools")


async def test_a_stdio_server_killed_mid_call(chat: Any) -> None:
    app, events = tool_app()
    chat(app)
    await app.connect_mcp(stdio())
    pid = app.mcp_servers.pid("tools")
    assert pid is not None
    asking = asyncio.ensure_future(app.send_user_message('slow {"seconds": 120}'))
    for _ in range(400):
        if tool_steps(app):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # the request is on its way to the server
    psutil.Process(pid).kill()
    await asyncio.wait_for(asking, 60)

    (step,) = tool_steps(app)
    assert step["name"] == "slow" and step["isError"] is True and step["end"]
    assert "Connection closed" in step["output"]
    assert app.messages[-1].type == "assistant_message" and "error occurred" in app.messages[-1].content
    for _ in range(100):  # the server's end is noticed and its connection dropped
        if not app.connected_mcp:
            break
        await asyncio.sleep(0.05)
    assert app.connected_mcp == [] and ("disconnect", "tools", "ClientSession") in events

    # The chat keeps working: a new server, a new call.
    await app.connect_mcp(stdio())
    await app.send_user_message('echo {"text": "still here"}')
    assert app.messages[-1].content == "result: still here"
    await app.disconnect_mcp("tools")


async def test_streamable_http_server(chat: Any, streamable: HttpServer) -> None:
    app, events = tool_app(streamable_http=True, allowed_urls=[streamable.url])
    chat(app)
    await app.connect_mcp(cw.McpStreamableHttpConnection(name="web", url=streamable.url))
    assert events == [("connect", "web", "streamable-http")]
    assert app.mcp_servers.pid("web") is None
    await app.send_user_message('echo {"text": "over http"}')
    assert app.messages[-1].content == "result: over http"
    assert tool_steps(app)[0]["metadata"]["mcp_server"] == "web"
    await app.disconnect_mcp("web")
    assert events[-1] == ("disconnect", "web", "ClientSession")


async def test_sse_server_and_every_request_checked_against_the_allow_list(
    chat: Any, sse: HttpServer
) -> None:
    # The SSE stream is at /sse but its messages go to /messages/: allowing /sse only is not enough,
    # because every request the connection makes is checked, not only the first.
    narrow = cw.ChatApp(headless=True, mcp=feature(sse=True, allowed_urls=[sse.url], connect_timeout=10))
    chat(narrow)
    with pytest.raises(McpRefusedError, match="/messages/ is not among this app's allowed URLs"):
        await narrow.connect_mcp(cw.McpSseConnection(name="events", url=sse.url))
    assert narrow.connected_mcp == []

    app, _events = tool_app(sse=True, allowed_urls=[sse.origin + "/"])
    chat(app)
    await app.connect_mcp(cw.McpSseConnection(name="events", url=sse.url))
    await app.send_user_message('add {"a": 1, "b": 1}')
    assert app.messages[-1].content == "result: 2"
    await app.disconnect_mcp("events")


async def test_an_http_server_killed_mid_call(chat: Any) -> None:
    with http_server("streamable-http") as server:
        app, _events = tool_app(streamable_http=True, allowed_urls=[server.url], tool_timeout=30)
        chat(app)
        await app.connect_mcp(cw.McpStreamableHttpConnection(name="web", url=server.url))
        asking = asyncio.ensure_future(app.send_user_message('slow {"seconds": 120}'))
        for _ in range(400):
            if tool_steps(app):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        server.kill()
        await asyncio.wait_for(asking, 60)
    (step,) = tool_steps(app)
    assert step["isError"] is True and step["output"]
    assert "error occurred" in app.messages[-1].content
    app.mcp_servers  # noqa: B018 - still usable
    await app.disconnect_mcp("web")
    app.on_message(lambda message: cw.Message(f"echo {message.content}").send_sync())
    await app.send_user_message("after")
    assert app.messages[-1].content == "echo after"


async def test_connect_failures_leave_nothing_running(chat: Any) -> None:
    app = chat(
        cw.ChatApp(headless=True, mcp=feature(streamable_http=True, allowed_urls=["http://127.0.0.1:9/"]))
    )
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    with pytest.raises(Exception) as failed:  # noqa: PT011 - the SDK's own error for a dead server
        await app.connect_mcp(cw.McpStdioConnection(name="bad", command=PYTHON, args=["-c", "print('hi')"]))
    assert not isinstance(failed.value, McpRefusedError)
    with pytest.raises(Exception) as failed:  # noqa: PT011
        await app.connect_mcp(cw.McpStreamableHttpConnection(name="closed", url="http://127.0.0.1:9/mcp"))
    assert not isinstance(failed.value, McpRefusedError)
    assert app.connected_mcp == []
    await asyncio.sleep(0.2)
    assert {p.pid for p in psutil.Process().children(recursive=True) if running(p.pid)} <= before


async def test_a_chat_connects_at_most_max_servers(chat: Any) -> None:
    app = chat(cw.ChatApp(headless=True, mcp=feature(max_servers=1)))
    await app.connect_mcp(stdio("one"))
    with pytest.raises(McpRefusedError, match="at most 1 MCP servers"):
        await app.connect_mcp(stdio("two"))
    await app.connect_mcp(stdio("one"))  # replacing one is not one more
    await app.mcp_servers.close()
    assert len(app.mcp_servers) == 0


async def test_calling_an_unknown_tool(chat: Any) -> None:
    app = chat(cw.ChatApp(headless=True, mcp=feature()))
    with pytest.raises(LookupError, match="No connected MCP server offers the tool 'add'"):
        await app.mcp_servers.call_tool("add", {"a": 1, "b": 2})


async def test_stopping_an_answer_mid_call_keeps_the_server(chat: Any) -> None:
    app, events = tool_app()
    chat(app)
    await app.connect_mcp(stdio())
    pid = app.mcp_servers.pid("tools")
    asking = asyncio.ensure_future(app.send_user_message('slow {"seconds": 120}'))
    for _ in range(400):
        if tool_steps(app):
            break
        await asyncio.sleep(0.05)
    assert app.stop() is True
    await asyncio.wait_for(asking, 30)
    (step,) = tool_steps(app)
    assert step["end"] and step["isError"] is False  # stopped, not failed
    assert app.mcp_servers.pid("tools") == pid and pid is not None and running(pid)
    await app.send_user_message('add {"a": 20, "b": 22}')
    assert app.messages[-1].content == "result: 42"
    assert [e[0] for e in events] == ["connect"]
    await app.disconnect_mcp("tools")
