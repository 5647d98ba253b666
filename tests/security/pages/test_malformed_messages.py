"""Malformed custom messages from the page, straight into the widget's comm (what any script
in the page could send): the chat stays usable and no traceback reaches the page."""

from __future__ import annotations

import pytest
from labdriver import Chat, MakeNotebook, PageEvents
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

NOTEBOOK = [
    """
import chatwidget as cw

app = cw.ChatApp(title="Robust chat")

@app.on_message
async def echo(message: cw.Message):
    await cw.Message(content=f"echo: {message.content}").send()

app.display()
"""
]

#: Small malformed payloads: JSON that Playwright passes as it is.
SMALL = [
    # not an object
    "just a string",
    42,
    None,
    True,
    [1, 2, 3],
    [{"kind": "send", "id": "in-a-list", "content": "hi"}],
    # no kind, unknown kinds, kernel-only kinds, hostile names
    {},
    {"id": "no-kind"},
    {"kind": "explode", "id": "unknown-1"},
    {"kind": "__proto__", "id": "unknown-2"},
    {"kind": "constructor", "id": "unknown-3"},
    {"kind": "reply", "id": "kernel-only", "ok": True, "result": {}},
    {"kind": "stream", "id": "kernel-only-2", "seq": 1, "deltas": []},
    {"kind": ["send"], "id": "kind-list"},
    # bad ids
    {"kind": "send", "content": "no id"},
    {"kind": "send", "id": 7, "content": "numeric id"},
    {"kind": "send", "id": "", "content": "empty id"},
    {"kind": "send", "id": "x" * 10_000, "content": "huge id"},
    {"kind": "send", "id": {"nested": "id"}, "content": "object id"},
    # wrong field types
    {"kind": "send", "id": "w1", "content": 123},
    {"kind": "send", "id": "w2", "content": {"text": "an object"}},
    {"kind": "send", "id": "w3", "content": None},
    {"kind": "send", "id": "w4", "content": ["a", "list"]},
    {"kind": "send", "id": "w5", "content": ""},
    {"kind": "send", "id": "w6", "content": "   \n\t "},
    {"kind": "resync", "id": "w7", "step": ["s0"]},
    {"kind": "resync", "id": "w8", "step": "no-such-step"},
    {"kind": "resync", "id": "w9"},
    {"kind": "stop", "id": "w10", "reason": {"deep": [1, 2]}},
    {"kind": "hello", "id": "w11", "protocol": {"version": None}},
    {"kind": "hello", "id": "w12", "protocol": "999"},
]

#: Large ones are built in the page: a 5 MB string, 10,000-deep nesting.
LARGE_JS = """(() => {
  const big = 'x'.repeat(5 * 1024 * 1024);
  let deepObj = 'bottom', deepList = 'bottom';
  for (let i = 0; i < 10000; i++) { deepObj = { a: deepObj }; deepList = [deepList]; }
  return [
    big,
    { kind: 'send', id: 'big-content', content: big },
    { kind: 'send', id: 'big-field', content: 42, extra: big },
    { kind: big, id: 'big-kind' },
    deepObj,
    deepList,
    { kind: 'send', id: 'deep-content', content: deepObj },
    { kind: 'resync', id: 'deep-step', step: deepList },
  ];
})()"""

TRACEBACK_MARKERS = ("Traceback (most recent call last)", 'File "', "site-packages", "Error:")


def assert_still_working(chat: Chat, text: str, n_user: int) -> None:
    chat.send(text)
    expect(chat.root.locator(".cw-message.cw-assistant", has_text=f"echo: {text}")).to_have_count(1)
    chat.wait_idle()
    # Only what was typed became a message: nothing malformed was accepted as one.
    expect(chat.root.locator(".cw-message.cw-user")).to_have_count(n_user)


def assert_no_traceback(page: Page, chat: Chat) -> None:
    for text in (chat.root.inner_text(), page.locator(".jp-Notebook").inner_text()):
        for marker in TRACEBACK_MARKERS:
            assert marker not in text, f"{marker!r} reached the page:\n{text[-2000:]}"
    errors = chat.root.locator(".cw-composer-error")
    for i in range(errors.count()):
        assert errors.nth(i).inner_text().strip() == "", errors.nth(i).inner_text()


def test_malformed_messages_leave_the_chat_usable(
    notebook: MakeNotebook, page: Page, page_events: PageEvents
) -> None:
    nb = notebook(NOTEBOOK)
    nb.run_all()
    chat = Chat.find(page)
    assert_still_working(chat, "before", 1)

    assert nb.send_custom(".cw-root", SMALL) == len(SMALL)
    assert_still_working(chat, "after small ones", 2)
    assert_no_traceback(page, chat)

    assert nb.send_custom(".cw-root", LARGE_JS) == 8
    assert_still_working(chat, "after large ones", 3)
    assert_no_traceback(page, chat)

    # The kernel is alive and idle, and its model holds exactly the typed conversation.
    assert nb.add_and_run("print([m.content for m in app.messages])").strip() == repr(
        ["before", "echo: before", "after small ones", "echo: after small ones",
         "after large ones", "echo: after large ones"]
    )  # fmt: skip
    assert not [e for e in page_events.errors if "chatwidget" in e or "cw-" in e], page_events.errors
    # Not even unseen: no traceback travelled to the browser (it belongs in the server's log).
    assert page_events.tracebacks == [], page_events.tracebacks[0]
