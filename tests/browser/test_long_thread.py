"""A long stored thread resumed in a real JupyterLab: its newest messages paint first, the
rest of the first page comes in below the fold, the older ones arrive later without moving
what the reader sees, and "load earlier" walks back through all of them."""

from __future__ import annotations

import pytest
from labdriver import Chat, MakeNotebook
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

MESSAGES = 900  # more than the first page the kernel sends (200 steps): older ones follow

SETUP = f"""
import tempfile
import chatwidget as cw
from chatwidget.data import User
from chatwidget.data.sql import SQLDataLayer
from chatwidget.identity import local_owner

layer = SQLDataLayer(f"sqlite+aiosqlite:///{{tempfile.mkdtemp()}}/long.db")
app = cw.ChatApp(title="Long", data_layer=layer)
owner = await layer.create_user(User(local_owner()))
await layer.update_thread(
    "long", name="A long one", user_id=owner.id, metadata={{"app": app.name}}, create=True
)
steps = [
    {{
        "id": f"m{{i}}", "threadId": "long", "name": "user" if i % 2 == 0 else "Assistant",
        "type": "user_message" if i % 2 == 0 else "assistant_message",
        "output": f"message number {{i}}", "createdAt": f"2026-01-01T00:{{i // 60:02d}}:{{i % 60:02d}}.000Z",
    }}
    for i in range({MESSAGES})
]
await layer.write_steps(steps)

@app.on_message
async def reply(message: cw.Message):
    await cw.Message(content="ok " + message.content).send()

app.display()
"""

#: The number of the message at the top of the scroller's visible area.
TOP_VISIBLE_JS = """(root) => {
  const s = root.querySelector('.cw-messages');
  const box = s.getBoundingClientRect();
  for (const m of root.querySelectorAll('.cw-message')) {
    if (m.getBoundingClientRect().bottom > box.top + 1) {
      return Number(/message number (\\d+)/.exec(m.textContent)[1]);
    }
  }
  return null;
}"""
#: Rendering what came in above may move the view by a line or two (the browser's estimate of
#: off-screen heights), never by the page that came in.
DRIFT = 3


def test_a_long_thread_paints_its_newest_first_and_keeps_the_reader_in_place(
    notebook: MakeNotebook, page: Page
) -> None:
    nb = notebook([SETUP])
    nb.run_all()
    chat = Chat.find(page)
    chat.root.locator("button.cw-threads-button").click()
    chat.root.locator(".cw-thread", has_text="A long one").locator("button.cw-thread-name").click()
    newest = chat.root.locator(".cw-message", has_text=f"message number {MESSAGES - 1}")
    expect(newest).to_be_visible()
    # The first page fills in (50 items), and no more: the rest waits for the reader.
    expect(chat.messages).to_have_count(50)
    page.wait_for_timeout(1000)  # the older steps have come from the kernel by now
    expect(chat.messages).to_have_count(50)
    expect(chat.messages.first).to_contain_text(f"message number {MESSAGES - 50}")
    at_bottom = "(s) => s.scrollHeight - s.scrollTop - s.clientHeight < 4"
    scroller = chat.root.locator(".cw-messages")
    assert scroller.evaluate(at_bottom)  # still following the bottom

    # "Load earlier" clicked while following (no scroll event has come yet): a page is added.
    chat.root.locator(".cw-load-earlier").evaluate("(b) => b.click()")
    expect(chat.messages).to_have_count(100)
    page.wait_for_timeout(300)
    expect(chat.messages).to_have_count(100)  # and not taken back by the next layout

    # Reading back: each "load earlier" adds a page above, the message read stays put.
    scroller.evaluate("(s) => { s.scrollTop = 0; }")
    expect(chat.messages).to_have_count(150)  # the top reached: one more page, above
    page.wait_for_timeout(300)
    assert abs(chat.root.evaluate(TOP_VISIBLE_JS) - (MESSAGES - 100)) <= DRIFT
    for _ in range(40):
        if chat.messages.count() == MESSAGES:
            break
        before = chat.root.evaluate(TOP_VISIBLE_JS)
        chat.root.locator(".cw-load-earlier").evaluate("(b) => b.click()")  # no scrolling to it
        page.wait_for_timeout(100)
        assert abs(chat.root.evaluate(TOP_VISIBLE_JS) - before) <= DRIFT
    expect(chat.messages).to_have_count(MESSAGES)
    expect(chat.messages.first).to_contain_text("message number 0")
    expect(chat.root.locator(".cw-load-earlier")).to_be_hidden()

    # A turn after all that goes to the bottom of the same thread.
    chat.send("one more")
    expect(chat.root.locator(".cw-message", has_text="ok one more")).to_be_visible()
