"""What the user sees while the kernel is busy, in a real JupyterLab: a message typed while a
cell runs shows at once with the reason it waits and is answered after the cell; messages
typed during an answer are queued, can be edited or cancelled, and are answered in order;
a page reload mid-wait loses neither the draft nor the message, and sends nothing twice."""

from __future__ import annotations

import time

import pytest
from labdriver import ARTIFACTS, Chat, MakeNotebook
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

APP = """
import asyncio
import chatwidget as cw

app = cw.ChatApp(title="Busy", persist=False)


@app.on_message
async def echo(message: cw.Message):
    answer = cw.Message("")
    for i in range(TOKENS):
        await answer.stream_token(f"{message.content}-{i} ")
        await asyncio.sleep(DELAY)
    await answer.stream_token(f"done {message.content}")
    await answer.send()
"""
FAST = "TOKENS, DELAY = 2, 0.01"
SLOW = "TOKENS, DELAY = 40, 0.05"  # about 2 s per answer, streamed
# An answer that outlasts several clicks on a loaded machine (the queue must still hold them).
LONG = "TOKENS, DELAY = 200, 0.05"


def users_and_answers(chat: Chat) -> list[str]:
    """The conversation as the view shows it: `user: text`, `done: text` per message."""
    out = []
    for text in chat.texts():
        out.append(f"done: {text.split('done ')[-1]}" if "done " in text else f"user: {text}")
    return out


def transcript_users(nb, name: str = "app") -> list[str]:
    text = nb.add_and_run(f"print({name}.transcript())")
    return [line[len("User: ") :] for line in text.splitlines() if line.startswith("User: ")]


def test_a_message_typed_while_a_cell_runs_shows_at_once_and_is_answered_after(
    notebook: MakeNotebook, page: Page
) -> None:
    nb = notebook([APP, FAST, "app.display()", "app.display()  # a second view, as the side panel"])
    nb.run_all()
    chat, other = Chat.find(page, 0), Chat.find(page, 1)
    nb.add_and_start("import time\ntime.sleep(6)")
    nb.wait_busy()

    typed = time.monotonic()
    chat.send("typed while busy")
    pending = chat.root.locator(".cw-pending", has_text="typed while busy")
    expect(pending).to_be_visible(timeout=2_000)
    shown = time.monotonic() - typed
    expect(chat.input).to_have_value("")  # the composer is free: the outbox holds the message
    # No acknowledgement within 500 ms: the view says why, with the kernel's own status.
    expect(pending).to_have_attribute("data-notice", "kernelBusy", timeout=3_000)
    expect(pending.locator(".cw-pending-status")).to_contain_text("The kernel is busy")
    # The other view of the chat shows the same message waiting.
    expect(other.root.locator(".cw-pending", has_text="typed while busy")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "busy-kernel-waiting.png"))
    assert nb.state()["running"], "the cell ended before the checks: the test proves nothing"

    nb.wait_done(timeout=30_000)
    expect(chat.root.locator(".cw-pending")).to_have_count(0, timeout=15_000)
    expect(chat.assistant().last).to_contain_text("done typed while busy", timeout=15_000)
    expect(other.assistant().last).to_contain_text("done typed while busy")
    chat.wait_idle()
    assert users_and_answers(chat) == ["user: typed while busy", "done: typed while busy"]
    assert transcript_users(nb) == ["typed while busy"]
    assert shown < 1.5, f"the message took {shown:.2f} s to show"


def test_messages_typed_during_a_streaming_answer_are_queued_and_answered_in_order(
    notebook: MakeNotebook, page: Page
) -> None:
    nb = notebook([APP, SLOW, "app.display()"])
    nb.run_all()
    chat = Chat.find(page)
    chat.send("one")
    expect(chat.root).to_have_attribute("data-running", "true")
    expect(chat.root.locator(".cw-message.cw-streaming")).to_have_count(1)
    # Enter twice, quickly, while the answer streams.
    chat.input.fill("two")
    chat.input.press("Enter")
    chat.input.fill("three")
    chat.input.press("Enter")
    queued = chat.root.locator(".cw-pending")
    expect(queued).to_have_count(2)
    expect(queued.locator(".cw-pending-text")).to_have_text(["two", "three"])
    expect(queued.first).to_have_attribute("data-state", "queued")
    expect(queued.first.locator(".cw-pending-status")).to_contain_text("Queued")
    chat.root.screenshot(path=str(ARTIFACTS / "busy-kernel-queued.png"))

    expect(chat.root.locator(".cw-pending")).to_have_count(0, timeout=30_000)
    expect(chat.assistant()).to_have_count(3, timeout=30_000)
    chat.wait_idle(timeout=30_000)
    expect(chat.assistant().last).to_contain_text("done three")
    assert users_and_answers(chat) == [
        "user: one",
        "done: one",
        "user: two",
        "done: two",
        "user: three",
        "done: three",
    ]
    assert transcript_users(nb) == ["one", "two", "three"]


def test_a_queued_message_can_be_edited_or_cancelled(notebook: MakeNotebook, page: Page) -> None:
    nb = notebook([APP, LONG, "app.display()"])
    nb.run_all()
    chat = Chat.find(page)
    chat.send("long")
    expect(chat.root).to_have_attribute("data-running", "true")
    chat.send("oops")
    chat.send("drop")
    expect(chat.root.locator(".cw-pending")).to_have_count(2)
    chat.root.locator(".cw-pending", has_text="oops").locator("button.cw-pending-edit").click()
    expect(chat.input).to_have_value("oops")  # back in the composer
    chat.root.locator(".cw-pending", has_text="drop").locator("button.cw-pending-cancel").click()
    expect(chat.root.locator(".cw-pending")).to_have_count(0)
    chat.input.fill("fixed")
    chat.input.press("Enter")
    expect(chat.root.locator(".cw-pending", has_text="fixed")).to_have_attribute("data-state", "queued")
    expect(chat.assistant()).to_have_count(2, timeout=60_000)
    chat.wait_idle(timeout=60_000)
    assert transcript_users(nb) == ["long", "fixed"]


def test_a_reload_while_the_kernel_is_busy_keeps_the_draft_and_sends_the_message_once(
    notebook: MakeNotebook, page: Page
) -> None:
    nb = notebook([APP, FAST, "app.display()"])
    nb.run_all()
    chat = Chat.find(page)
    nb.add_and_start("import time\ntime.sleep(8)")
    nb.wait_busy()
    chat.send("sent before the reload")
    expect(chat.root.locator(".cw-pending", has_text="sent before the reload")).to_be_visible()
    chat.input.fill("a draft, not sent")
    # No "leave the page?" prompt: the notebook is saved (the cell still runs).
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_timeout(500)
    page.reload()
    page.wait_for_selector(".jp-Notebook", timeout=60_000)
    # The view comes back once the kernel can answer the page (after the cell).
    chat = Chat.find(page, timeout=60_000)
    expect(chat.input).to_have_value("a draft, not sent")
    expect(chat.assistant().last).to_contain_text("done sent before the reload", timeout=30_000)
    expect(chat.root.locator(".cw-pending")).to_have_count(0, timeout=15_000)
    chat.wait_idle()
    # Sent twice (before the reload, and again from the saved queue), shown and answered once.
    assert users_and_answers(chat) == ["user: sent before the reload", "done: sent before the reload"]
    assert transcript_users(nb) == ["sent before the reload"]
