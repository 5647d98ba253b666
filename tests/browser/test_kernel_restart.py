"""A kernel that restarts or dies mid-stream, in a real JupyterLab.

Nothing arrives from a kernel that went away: no final state, no reply. The views must
notice on their own (the widget manager and the kernel connection say so), end the stream,
mark what was unfinished as interrupted, stop taking input, and a chat displayed again
after the restart must work without reloading the page.
"""

from __future__ import annotations

import os
import signal
import time

import pytest
from labdriver import _PANEL, Chat, MakeNotebook, Notebook
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

#: The bar: every view leaves the streaming state this soon after the restart or death.
WITHIN_MS = 5000

APP = """
import asyncio, os
import chatwidget as cw

app = cw.ChatApp(title="Restart")
PID = os.getpid()

@app.on_message
async def reply(message: cw.Message):
    if message.content == "slow":
        async with cw.Step(name="lookup", type="tool") as step:
            answer = cw.Message(content="")
            await answer.stream_token("half of an answer")
            await asyncio.sleep(300)
        return
    await cw.Message(content=f"answer to {message.content}").send()

app.display()
"""


def start_stream(page: Page, nb: Notebook) -> tuple[Chat, int]:
    nb.run_all()
    pid = int(nb.add_and_run("print(PID)").strip())
    chat = Chat.find(page)
    chat.send("slow")
    answer = chat.assistant()
    expect(answer).to_have_class("cw-message cw-assistant cw-streaming")
    expect(answer.locator(".cw-content")).to_have_text("half of an answer")
    expect(chat.root).to_have_attribute("data-running", "true")
    return chat, pid


def assert_interrupted(chat: Chat, timeout: int = WITHIN_MS) -> None:
    """Within `timeout` of the kernel going away: no stream, nothing running, the answer
    kept and marked, the user told, the composer closed."""
    expect(chat.root.locator(".cw-streaming")).to_have_count(0, timeout=timeout)
    expect(chat.root).to_have_attribute("data-running", "false", timeout=timeout)
    answer = chat.assistant()
    expect(answer).to_have_class("cw-message cw-assistant cw-interrupted", timeout=timeout)
    expect(answer.locator(".cw-content")).to_have_text("half of an answer")
    notice = answer.locator(".cw-interrupted-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Interrupted")
    step = chat.root.locator(".cw-step.cw-interrupted")
    expect(step).to_have_count(1)
    expect(step).not_to_have_class("cw-running")
    banner = chat.root.locator(".cw-disconnected-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Run its cell again")
    expect(chat.root).to_have_attribute("data-connection", "lost")
    assert chat.root.locator(".cw-composer").evaluate("e => e.inert") is True


def chat_again(page: Page, nb: Notebook) -> None:
    """Run the notebook again: the new chat answers, with no page reload."""
    nb.wait_idle(60_000)
    nb.run_all()
    expect(page.locator(".cw-root")).to_have_count(1)
    chat = Chat.find(page)
    expect(chat.root).to_have_attribute("data-connection", "live")
    expect(chat.root.locator(".cw-disconnected-banner")).to_be_hidden()
    chat.send("ping")
    expect(chat.root.locator(".cw-message.cw-assistant", has_text="answer to ping")).to_have_count(1)
    chat.wait_idle()


def test_restart_from_the_kernel_menu_interrupts_the_stream(notebook: MakeNotebook, page: Page) -> None:
    nb = notebook([APP])
    chat, _ = start_stream(page, nb)
    page.evaluate(
        "(path) => {" + _PANEL + "app.shell.activateById(panel.id);"
        " app.commands.execute('notebook:restart-kernel'); }",
        nb.path,
    )
    accept = page.locator(".jp-Dialog button.jp-mod-accept")
    expect(accept).to_be_visible()
    started = time.monotonic()
    accept.click()
    assert_interrupted(chat)
    print(f"interrupted {time.monotonic() - started:.2f} s after the restart")
    chat_again(page, nb)


def test_a_kernel_that_dies_interrupts_the_stream(notebook: MakeNotebook, page: Page) -> None:
    nb = notebook([APP])
    chat, pid = start_stream(page, nb)
    started = time.monotonic()
    os.kill(pid, signal.SIGKILL)  # the server's restarter notices and starts a new kernel
    assert_interrupted(chat)
    print(f"interrupted {time.monotonic() - started:.2f} s after the kill")
    # JupyterLab says the kernel died and restarts; its dialog goes first.
    ok = page.locator(".jp-Dialog button.jp-mod-accept")
    expect(ok).to_be_visible()
    ok.click()
    chat_again(page, nb)
