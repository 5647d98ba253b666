"""The chat core in a real JupyterLab: send, steps, streamed markdown, stop, errors, two views."""

from __future__ import annotations

import pytest
from labdriver import Chat, MakeNotebook, PageEvents
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

SETUP = """
import asyncio
import chatwidget as cw

app = cw.ChatApp(title="Test chat")
events = []
"""

SEARCH_AND_STREAM = """
@app.on_message
async def reply(message: cw.Message):
    async with cw.Step(name="search", type="tool") as step:
        step.input = message.content
        step.output = "found 3 results"
    answer = cw.Message(content="")
    # Gaps long enough that a loaded machine still draws each token on its own.
    for word in ["Hello", " ", "**world**"]:
        await answer.stream_token(word)
        await asyncio.sleep(0.3)
    await answer.send()

app.display()
"""

#: Record every state the assistant's answer goes through (text, streaming class, aria-busy).
RECORD_ASSISTANT_JS = """
root => {
  root.__seen = [];
  const record = () => {
    const m = root.querySelector('.cw-message.cw-assistant');
    if (!m) return;
    const state = {
      text: (m.querySelector('.cw-content') || m).textContent.trim(),
      streaming: m.classList.contains('cw-streaming'),
      busy: m.getAttribute('aria-busy'),
    };
    const last = root.__seen[root.__seen.length - 1];
    if (!last || JSON.stringify(last) !== JSON.stringify(state)) root.__seen.push(state);
  };
  new MutationObserver(record).observe(root, {subtree: true, childList: true, characterData: true,
                                              attributes: true});
}
"""

TRACEBACK_MARKERS = ("Traceback (most recent call last)", 'File "', "site-packages")


def assert_no_traceback(chat: Chat) -> None:
    text = chat.root.inner_text()
    for marker in TRACEBACK_MARKERS:
        assert marker not in text, f"traceback text {marker!r} reached the page:\n{text}"


def test_message_step_and_streamed_markdown(notebook: MakeNotebook, page: Page) -> None:
    nb = notebook([SETUP, SEARCH_AND_STREAM])
    nb.run_all()
    chat = Chat.find(page)
    expect(chat.root.locator(".cw-title")).to_have_text("Test chat")
    chat.root.evaluate(RECORD_ASSISTANT_JS)

    chat.send("what is new?")
    user = chat.root.locator(".cw-message.cw-user")
    expect(user).to_have_count(1)
    expect(user.locator(".cw-content")).to_have_text("what is new?")

    step = chat.root.locator(".cw-step").filter(has=page.locator(".cw-step-name", has_text="search"))
    expect(step).to_have_count(1)
    expect(step.locator(".cw-step-name")).to_have_text("search")
    expect(step).to_have_attribute("data-type", "tool")
    expect(step.locator(".cw-step-input")).to_contain_text("what is new?")
    expect(step.locator(".cw-step-output")).to_contain_text("found 3 results")

    answer = chat.assistant()
    expect(answer).to_have_count(1)
    expect(answer).not_to_have_class("cw-streaming")
    expect(answer.locator(".cw-content")).to_have_text("Hello world")
    expect(answer.locator(".cw-content strong")).to_have_text("world")
    assert "**" not in answer.inner_text()
    chat.wait_idle()

    # It streamed: the view showed the answer unfinished, marked as streaming, before the end.
    seen = chat.root.evaluate("root => root.__seen")
    assert any(s["streaming"] and s["text"] in ("Hello", "Hello ") for s in seen), seen
    final = seen[-1]
    assert final["text"] == "Hello world" and not final["streaming"] and final["busy"] != "true", final
    assert all(s["busy"] == "true" for s in seen if s["streaming"]), seen

    # Order in the flow: the user's message, then (somewhere after it) the answer.
    kinds = chat.messages.evaluate_all("els => els.map(e => e.dataset.type)")
    assert kinds == ["user_message", "assistant_message"], kinds

    # The step opens like a <details> when its header is clicked.
    step.locator(".cw-step-header").first.click()
    expect(step.locator(".cw-step-output").first).to_be_visible()
    assert_no_traceback(chat)


def test_stop_cancels_a_running_handler(notebook: MakeNotebook, page: Page) -> None:
    nb = notebook(
        [
            SETUP,
            """
@app.on_message
async def slow(message: cw.Message):
    if message.content == "quick":
        await cw.Message(content="quick answer").send()
        return
    answer = cw.Message(content="")
    await answer.stream_token("working")
    events.append("started")
    await asyncio.sleep(60)
    events.append("not stopped")
    await answer.send()

@app.on_stop
async def stopped():
    events.append("on_stop")

app.display()
""",
        ]
    )
    nb.run_all()
    chat = Chat.find(page)
    chat.send("take your time")
    expect(chat.root).to_have_attribute("data-running", "true")
    expect(chat.root.locator(".cw-message.cw-assistant .cw-content").first).to_have_text("working")

    stop = chat.root.locator("button.cw-stop")
    expect(stop).to_be_visible()
    expect(stop).to_be_enabled()
    stop.click()

    expect(chat.root.locator(".cw-message", has_text="Task manually stopped.")).to_have_count(1)
    chat.wait_idle()
    assert nb.add_and_run("print(events)").strip() == "['started', 'on_stop']"

    # The chat goes on after a stop.
    chat.send("quick")
    expect(chat.root.locator(".cw-message.cw-assistant", has_text="quick answer")).to_have_count(1)
    chat.wait_idle()
    assert_no_traceback(chat)


def test_a_raising_handler_shows_an_error_and_the_chat_goes_on(
    notebook: MakeNotebook, page: Page, page_events: PageEvents
) -> None:
    nb = notebook(
        [
            SETUP,
            """
@app.on_message
async def fragile(message: cw.Message):
    if message.content == "fail":
        raise RuntimeError("kaboom in the handler")
    await cw.Message(content=f"echo: {message.content}").send()

app.display()
""",
        ]
    )
    nb.run_all()
    chat = Chat.find(page)
    chat.send("fail")
    error = chat.root.locator(".cw-message.cw-error")
    expect(error).to_have_count(1)
    expect(error).to_be_visible()
    chat.wait_idle()
    # In JupyterLab the person chatting wrote the handler: they see the exception, shown
    # literally, and its traceback in a collapsed block of the chat.
    expect(error).to_contain_text("RuntimeError: kaboom in the handler")
    trace = chat.root.locator(".cw-step", has_text="Traceback")
    expect(trace).to_have_count(1)
    expect(trace.locator(".cw-step-body, pre").first).to_be_hidden()
    trace.locator(".cw-step-header, summary, button").first.click()
    expect(trace).to_contain_text('raise RuntimeError("kaboom in the handler")')

    chat.send("still there?")
    expect(chat.root.locator(".cw-message.cw-assistant", has_text="echo: still there?")).to_have_count(1)
    expect(error).to_have_count(1)
    chat.wait_idle()


def test_two_views_show_one_live_conversation(notebook: MakeNotebook, page: Page) -> None:
    nb = notebook([SETUP, SEARCH_AND_STREAM, "app.display()"])
    nb.run_all()
    first, second = Chat.find(page, 0), Chat.find(page, 1)
    expect(page.locator(".cw-root")).to_have_count(2)

    first.send("from the first view")
    for view in (first, second):
        expect(view.root.locator(".cw-message.cw-user .cw-content")).to_have_text(["from the first view"])
        expect(view.assistant().locator(".cw-content")).to_have_text(["Hello world"])
        expect(view.root.locator(".cw-step .cw-step-name")).to_have_text(["search"])
        view.wait_idle()

    second.send("from the second view")
    for view in (first, second):
        expect(view.root.locator(".cw-message.cw-user .cw-content")).to_have_text(
            ["from the first view", "from the second view"]
        )
        expect(view.assistant().locator(".cw-content")).to_have_text(["Hello world", "Hello world"])
        view.wait_idle()
    assert first.texts() == second.texts()

    # A view opened after the conversation started gets the whole history (a snapshot).
    nb.add_and_run("app.display()")
    third = Chat.find(page, 2)
    expect(third.root.locator(".cw-message")).to_have_count(4)
    assert third.texts() == first.texts()


def test_code_block_and_table_render(notebook: MakeNotebook, page: Page) -> None:
    nb = notebook(
        [
            SETUP,
            '''
REPLY = """Here is code:

```python
def greet(name):
    return f"hello {name}"
```

| fruit  | count |
|--------|------:|
| apple  |     3 |
| banana |    12 |
"""

@app.on_message
async def reply(message: cw.Message):
    await cw.Message(content=REPLY).send()

app.display()
''',
        ]
    )
    nb.run_all()
    chat = Chat.find(page)
    chat.send("show me")
    content = chat.assistant().locator(".cw-content")
    expect(content).to_have_count(1)

    code = content.locator("pre code")
    expect(code).to_have_count(1)
    expect(code).to_contain_text('return f"hello {name}"')
    # highlight.js marks tokens up: at least the `def` keyword and the string are spans.
    expect(code.locator("[class*='hljs-keyword']", has_text="def")).to_have_count(1)
    expect(code.locator("[class*='hljs-string']").first).to_be_visible()

    table = content.locator("table")
    expect(table).to_have_count(1)
    expect(table.locator("th")).to_have_text(["fruit", "count"])
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator("tbody tr").nth(1).locator("td")).to_have_text(["banana", "12"])


TWO_CHATS = """
import asyncio
import chatwidget as cw
from chatwidget.data import DataLayerError
from chatwidget.data.sql import SQLDataLayer


class FailingLayer(SQLDataLayer):
    async def write_steps(self, steps):
        raise DataLayerError("the disk of the second chat is full")


import tempfile
first = cw.ChatApp(title="First", persist=False)
second = cw.ChatApp(title="Second", data_layer=FailingLayer(f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/t.db"))

@first.on_message
async def slow(message):
    await asyncio.sleep(60)

@second.on_message
async def fragile(message):
    if message.content == "fail":
        raise ValueError("second chat failed")
    await cw.Message(f"second: {message.content}").send()

first.display()
second.display()
"""


def test_two_chats_in_one_notebook_keep_their_notices_apart(notebook: MakeNotebook, page: Page) -> None:
    nb = notebook([TWO_CHATS])
    nb.run_all()
    first, second = Chat.find(page, 0), Chat.find(page, 1)
    expect(first.root.locator(".cw-title")).to_have_text("First")
    expect(second.root.locator(".cw-title")).to_have_text("Second")

    first.send("take your time")
    first.root.locator("button.cw-stop").click()
    expect(first.root).to_contain_text("Task manually stopped.")
    second.send("fail")
    expect(second.root.locator(".cw-message.cw-error")).to_contain_text("ValueError: second chat failed")
    expect(second.root.locator(".cw-storage-error")).to_contain_text("the disk of the second chat is full")
    second.send("still here")
    expect(second.assistant().last).to_contain_text("second: still here")

    expect(second.root).not_to_contain_text("Task manually stopped.")
    expect(first.root.locator(".cw-message.cw-error")).to_have_count(0)
    expect(first.root.locator(".cw-storage-error")).to_be_hidden()


def test_what_a_handler_prints_shows_under_the_cell_that_displayed_the_chat(
    notebook: MakeNotebook, page: Page
) -> None:
    nb = notebook(
        [
            SETUP
            + """
import logging

@app.on_message
async def noisy(message: cw.Message):
    print(f"printed by the handler: {message.content}")
    logging.getLogger("my.app").warning("logged by the handler")
    await cw.Message("done").send()

app.display()
""",
            "1 + 1",
        ]
    )
    nb.run_all()
    chat = Chat.find(page)
    chat.send("hello")
    expect(chat.assistant().last).to_contain_text("done")
    outputs = page.locator(".jp-Cell").first.locator(".jp-OutputArea-output")
    expect(outputs.filter(has_text="printed by the handler: hello")).to_have_count(1)
    expect(outputs.filter(has_text="logged by the handler")).to_have_count(1)
    expect(page.locator(".jp-Cell").nth(1).locator(".jp-OutputArea")).not_to_contain_text("printed by")
