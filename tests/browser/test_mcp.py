"""MCP servers from the widget, in a real JupyterLab: connect a stdio server written with the
SDK's FastMCP through the dialog, call its tools from an on_message handler, watch the steps,
kill the server in the middle of a call, reconnect, disconnect."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest
from labdriver import ARTIFACTS, Chat, MakeNotebook, Notebook
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

TOOLS_SERVER = Path(__file__).resolve().parents[1] / "mcp_servers" / "tools_server.py"
COMMAND = shlex.join([sys.executable, str(TOOLS_SERVER), "stdio"])

APP = f"""
import json
import chatwidget as cw
from chatwidget.mcp import result_text

app = cw.ChatApp(
    title="Tools",
    mcp=cw.McpFeature(enabled=True, stdio=True, allowed_executables=[{sys.executable!r}]),
)

@app.on_message
async def reply(message):
    name, _, arguments = message.content.partition(" ")
    result = await app.mcp_servers.call_tool(name, json.loads(arguments or "{{}}"))
    await cw.Message(f"result: {{result_text(result)}}").send()

app.display()
"""

PLAIN = """
plain = cw.ChatApp(title="No tools")
plain.display()
"""


def connect(chat: Chat, name: str, command: str) -> None:
    dialog = chat.root.locator(".cw-mcp")
    if not dialog.is_visible():
        chat.root.locator(".cw-mcp-button").click()
    expect(dialog).to_be_visible()
    dialog.locator(".cw-mcp-name").fill(name)
    dialog.locator(".cw-mcp-transport").select_option("stdio")
    dialog.locator(".cw-mcp-target").fill(command)
    dialog.locator(".cw-mcp-connect").click()


def kernel_pid(nb: Notebook) -> int:
    return int(nb.add_and_run("print(app.mcp_servers.pid('tools'))").strip())


def test_connect_call_kill_and_disconnect_from_the_widget(notebook: MakeNotebook, page: Page) -> None:
    nb = notebook([APP, PLAIN])
    nb.run_all()
    chat = Chat.find(page, 0)
    plain = Chat.find(page, 1)
    expect(plain.root.locator(".cw-mcp-button")).to_be_hidden()  # the app did not enable MCP
    expect(chat.root.locator(".cw-mcp-button")).to_be_visible()

    # A command whose executable is not on the developer's list: refused, in the dialog.
    connect(chat, "shell", "bash -c 'touch /tmp/chatwidget-mcp-pwned'")
    dialog = chat.root.locator(".cw-mcp")
    expect(dialog.locator(".cw-mcp-error")).to_contain_text("not on this app's list of allowed executables")
    expect(dialog.locator(".cw-mcp-server")).to_have_count(0)
    assert not Path("/tmp/chatwidget-mcp-pwned").exists()

    connect(chat, "tools", COMMAND)
    server = dialog.locator(".cw-mcp-server[data-name='tools']")
    expect(server).to_contain_text("5 tools", timeout=60_000)
    expect(dialog.locator(".cw-mcp-error")).to_be_hidden()
    chat.root.screenshot(path=str(ARTIFACTS / "mcp-dialog-connected.png"))
    chat.root.locator(".cw-mcp .cw-panel-close").click()
    expect(dialog).to_be_hidden()

    chat.send(json.dumps({"a": 2, "b": 3}).join(["add ", ""]))
    expect(chat.assistant().last).to_contain_text("result: 5")
    add = chat.root.locator(".cw-step", has=page.locator(".cw-step-name", has_text="add"))
    expect(add).to_have_count(1)
    expect(add).to_have_attribute("data-type", "tool")
    add.locator(".cw-step-header").first.click()
    expect(add.locator(".cw-step-input")).to_contain_text('"a": 2')
    expect(add.locator(".cw-step-output")).to_contain_text("5")
    chat.wait_idle()

    # The server dies in the middle of a call: the step ends as an error, the chat goes on.
    chat.send('slow {"seconds": 120}')
    slow = chat.root.locator(".cw-step", has=page.locator(".cw-step-name", has_text="slow"))
    expect(slow).to_have_class("cw-step cw-running")
    pid = kernel_pid(nb)
    nb.add_and_run(f"import psutil; psutil.Process({pid}).kill()")
    expect(slow).to_have_class("cw-step cw-error")
    expect(chat.assistant().last).to_contain_text("error occurred")
    chat.wait_idle()
    slow.locator(".cw-step-header").first.click()
    chat.root.screenshot(path=str(ARTIFACTS / "mcp-server-killed-mid-call.png"))
    chat.root.locator(".cw-mcp-button").click()
    expect(dialog.locator(".cw-mcp-none")).to_be_visible()  # the dead server left the list

    connect(chat, "tools", COMMAND)
    expect(server).to_contain_text("5 tools", timeout=60_000)
    chat.send('echo {"text": "still working"}')
    expect(chat.assistant().last).to_contain_text("result: still working")
    chat.wait_idle()
    pid = kernel_pid(nb)

    server.locator(".cw-mcp-disconnect").click()
    expect(dialog.locator(".cw-mcp-server")).to_have_count(0)
    expect(dialog.locator(".cw-mcp-none")).to_be_visible()
    gone = nb.add_and_run(
        "import psutil, time\n"
        f"for _ in range(200):\n    if not psutil.pid_exists({pid}): break\n    time.sleep(0.05)\n"
        f"print(psutil.pid_exists({pid}) and psutil.Process({pid}).status() != 'zombie')"
    )
    assert gone.strip() == "False", "the stdio server outlived its connection"
