"""The connect dialog's requests, as a browser (or a hostile page) sends them, and the end of a
real kernel (or interpreter) disconnecting its MCP servers and taking its stdio servers with it."""

from __future__ import annotations

import asyncio
import json
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import psutil
import pytest
from jupyter_client.manager import AsyncKernelManager

import chatwidget as cw

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mcp_servers import STDIO_ARGS, TOOLS_SERVER, running

PYTHON = sys.executable
COMMAND_LINE = shlex.join([PYTHON, *STDIO_ARGS])


def reply(wire: Any, request_id: str) -> dict[str, Any]:
    (found,) = [r for r in wire.customs("reply") if r["id"] == request_id]
    return dict(found)


def children() -> set[int]:
    return {p.pid for p in psutil.Process().children(recursive=True) if running(p.pid)}


def connect(wire: Any, request_id: str, **fields: Any) -> None:
    wire.browser_sends({"id": request_id, "kind": "mcp_connect", **fields})


async def test_the_dialog_connects_and_disconnects_a_stdio_server(
    app: cw.ChatApp, wire: Any, until: Any, replied: Any
) -> None:
    app.mcp = cw.McpFeature(enabled=True, stdio=True, allowed_executables=[PYTHON])
    assert app.widget is not None and app.widget.config["mcp"] == {"enabled": True, "transports": ["stdio"]}
    connect(wire, "c1", name="tools", transport="stdio", target=COMMAND_LINE)
    await until(replied(wire, "c1"), timeout=30)
    answer = reply(wire, "c1")
    assert answer["ok"], answer
    assert answer["result"] == {"name": "tools", "tools": ["add", "echo", "whoami", "slow", "fail"]}
    assert [s["name"] for s in app.connected_mcp] == ["tools"]
    assert any("connected_mcp" in update for update in wire.updates())  # the views see the list
    pid = app.mcp_servers.pid("tools")
    assert pid is not None and running(pid)

    wire.browser_sends({"id": "d1", "kind": "mcp_disconnect", "name": "tools"})
    await until(replied(wire, "d1"), timeout=30)
    assert reply(wire, "d1")["result"] == {"disconnected": True}
    assert app.connected_mcp == []
    await until(lambda: not running(pid), timeout=15)

    wire.browser_sends({"id": "d2", "kind": "mcp_disconnect", "name": "tools"})
    await until(replied(wire, "d2"))
    assert reply(wire, "d2")["error"]["code"] == "not_found"


async def test_a_command_lines_leading_assignments_reach_the_servers_environment(
    app: cw.ChatApp, wire: Any, until: Any, replied: Any
) -> None:
    app.mcp = cw.McpFeature(enabled=True, stdio=True, allowed_executables=[PYTHON])
    target = f"CHATWIDGET_TEST_FLAVOUR='mint tea' {COMMAND_LINE}"
    connect(wire, "c1", name="tools", transport="stdio", target=target)
    await until(replied(wire, "c1"), timeout=30)
    assert reply(wire, "c1")["ok"], reply(wire, "c1")
    pid = app.mcp_servers.pid("tools")
    assert pid is not None
    assert psutil.Process(pid).environ()["CHATWIDGET_TEST_FLAVOUR"] == "mint tea"
    assert "mint" not in json.dumps(app.connected_mcp)  # the views list the command, not the values
    await app.disconnect_mcp("tools")


@pytest.mark.parametrize(
    ("options", "fields", "message"),
    [
        ({}, {"transport": "stdio", "target": COMMAND_LINE}, "does not allow MCP servers"),
        ({"enabled": True}, {"transport": "stdio", "target": COMMAND_LINE}, "does not allow stdio"),
        (
            {"enabled": True, "stdio": True, "allowed_executables": ["npx"]},
            {"transport": "stdio", "target": COMMAND_LINE},
            "not on this app's list of allowed executables",
        ),
        (
            # A page cannot add to the allow-lists: unknown fields are ignored.
            {"enabled": True, "stdio": True},
            {
                "transport": "stdio",
                "target": COMMAND_LINE,
                "allowed_executables": [PYTHON],
                "mcp": {"stdio": {"allowed_executables": [PYTHON]}},
            },
            "allows no executable",
        ),
        (
            {"enabled": True, "stdio": True, "allowed_executables": [PYTHON]},
            {"transport": "stdio", "target": f"{PYTHON} -c 'import os' ; touch /tmp/pwned"},
            None,  # allowed: the ';' is an argument of python, not a shell's
        ),
        (
            {"enabled": True, "stdio": True, "allowed_executables": [PYTHON]},
            {"transport": "stdio", "target": f"LD_PRELOAD=/tmp/evil.so {COMMAND_LINE}"},
            "may not set LD_PRELOAD",
        ),
        (
            {"enabled": True, "stdio": True, "allowed_executables": [PYTHON], "dialog": False},
            {"transport": "stdio", "target": COMMAND_LINE},
            "does not let its users connect",
        ),
        (
            {"enabled": True, "streamable_http": True, "allowed_urls": ["http://127.0.0.1:9/mcp"]},
            {"transport": "streamable-http", "target": "http://169.254.169.254/latest/meta-data/"},
            "not among this app's allowed URLs",
        ),
        (
            {"enabled": True, "sse": True, "allowed_urls": ["http://127.0.0.1:9/"]},
            {"transport": "streamable-http", "target": "http://127.0.0.1:9/mcp"},
            "does not allow streamable-http",
        ),
        ({"enabled": True, "stdio": True}, {"transport": "telnet", "target": "x"}, "Unknown MCP transport"),
    ],
)
async def test_refusals_are_clear_errors_and_start_nothing(
    app: cw.ChatApp,
    wire: Any,
    until: Any,
    replied: Any,
    options: dict[str, Any],
    fields: dict[str, Any],
    message: str | None,
) -> None:
    app.mcp = cw.McpFeature(**options)
    before = children()
    connect(wire, "c", name="x", **fields)
    await until(replied(wire, "c"), timeout=30)
    answer = reply(wire, "c")
    if message is None:  # the command ran as an argument list and is no MCP server: it fails to connect
        assert answer["error"]["code"] == "mcp_failed"
        assert not Path("/tmp/pwned").exists()
    else:
        assert answer == {
            "kind": "reply",
            "id": "c",
            "ok": False,
            "error": {"code": "mcp_refused", "message": answer["error"]["message"]},
        }
        assert message in answer["error"]["message"]
    await asyncio.sleep(0.1)
    assert children() <= before
    assert app.connected_mcp == []


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"name": "x", "transport": "stdio"},
        {"name": "x", "transport": "stdio", "target": ["python", "-c", "1"]},
        {"name": 5, "transport": "stdio", "target": "python"},
        {"name": "x", "transport": "stdio", "target": "p" * 5000},
    ],
)
async def test_malformed_connect_requests_are_answered(
    app: cw.ChatApp, wire: Any, until: Any, replied: Any, fields: dict[str, Any]
) -> None:
    app.mcp = cw.McpFeature(enabled=True, stdio=True, allowed_executables=[PYTHON])
    connect(wire, "m", **fields)
    await until(replied(wire, "m"))
    assert reply(wire, "m")["error"]["code"] in ("bad_request", "too_large")


async def test_a_server_that_cannot_be_reached_is_a_clear_error(
    app: cw.ChatApp, wire: Any, until: Any, replied: Any
) -> None:
    app.mcp = cw.McpFeature(enabled=True, streamable_http=True, allowed_urls=["http://127.0.0.1:9/"])
    connect(wire, "c", name="gone", transport="streamable-http", target="http://127.0.0.1:9/mcp")
    await until(replied(wire, "c"), timeout=40)
    error = reply(wire, "c")["error"]
    assert error["code"] == "mcp_failed" and error["message"].startswith("Could not connect to 'gone': ")
    assert "Traceback" not in error["message"]


KERNEL_CELL = f"""
from pathlib import Path
import chatwidget as cw
app = cw.ChatApp(mcp=cw.McpFeature(enabled=True, stdio=True, allowed_executables=[{PYTHON!r}]))
server = cw.McpStdioConnection(name="tools", command={PYTHON!r}, args=[{str(TOOLS_SERVER)!r}, "stdio"])

@app.on_mcp_disconnect
async def disconnected(name, session):
    await session.send_ping()  # the session still answers: the server is not killed yet
    Path(EVIDENCE).write_text(name)

await app.connect_mcp(server)
print(app.mcp_servers.pid("tools"))
"""


async def _kernel_with_a_stdio_server(evidence: Path) -> tuple[AsyncKernelManager, int]:
    """A real kernel whose chat connected the stdio server; its on_mcp_disconnect handler
    writes the server's name to ``evidence``, outside the kernel."""
    manager = AsyncKernelManager(kernel_name="python3")
    manager.kernel_spec.argv[0] = sys.executable
    await manager.start_kernel()
    client = manager.client()
    client.start_channels()
    printed: list[str] = []
    try:
        await client.wait_for_ready(timeout=60)
        result = await client.execute_interactive(
            f"EVIDENCE = {str(evidence)!r}\n{KERNEL_CELL}",
            timeout=60,
            output_hook=lambda msg: printed.append(msg["content"].get("text", "")),
        )
        assert result["content"]["status"] == "ok", json.dumps(result["content"])[:2000]
    finally:
        client.stop_channels()
    pid = int("".join(printed).strip())
    assert running(pid)
    return manager, pid


async def test_a_kernel_shutdown_disconnects_its_stdio_servers_then_ends_them(tmp_path: Path) -> None:
    evidence = tmp_path / "disconnected"
    manager, pid = await _kernel_with_a_stdio_server(evidence)
    await manager.shutdown_kernel(now=False)  # a polite shutdown (a shutdown_request), as JupyterLab's
    assert evidence.exists(), "on_mcp_disconnect did not run at the kernel's shutdown"
    assert evidence.read_text() == "tools"
    for _ in range(300):
        if not running(pid):
            break
        await asyncio.sleep(0.05)
    assert not running(pid), "the stdio server outlived its kernel"


EXITING_SCRIPT = f"""
import asyncio
import sys
from pathlib import Path
import chatwidget as cw
app = cw.ChatApp(headless=True, mcp=cw.McpFeature(enabled=True, stdio=True, allowed_executables=[{PYTHON!r}]))

@app.on_mcp_disconnect
async def disconnected(name, session):
    await session.send_ping()
    Path(sys.argv[1]).write_text(name)

loop = asyncio.new_event_loop()
loop.run_until_complete(app.connect_mcp(
    cw.McpStdioConnection(name="tools", command={PYTHON!r}, args=[{str(TOOLS_SERVER)!r}, "stdio"])
))
print(app.mcp_servers.pid("tools"))
"""


def test_an_interpreter_exiting_with_its_loop_still_open_disconnects_its_servers(
    tmp_path: Path,
) -> None:
    evidence = tmp_path / "disconnected"
    # The script ends with the chat open and its loop stopped but not closed.
    done = subprocess.run(
        [PYTHON, "-c", EXITING_SCRIPT, str(evidence)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert evidence.read_text() == "tools"
    assert not running(int(done.stdout.strip())), "the stdio server outlived the interpreter"
