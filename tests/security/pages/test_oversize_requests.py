"""Hostile sizes from the page, in a real JupyterLab: nothing may reach the kernel websocket
that the Jupyter server would drop it for (tornado closes it on a message over 10 MiB, and
the request dies with it), and every request ends with something the user can read."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from labdriver import _PANEL, Chat, MakeNotebook, Notebook
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

MIB = 1024 * 1024

SETUP = """
import asyncio, hashlib
import chatwidget as cw

ELEMENT = r'''
export function render({ props, el, submit, updateElement, callAction }) {
  for (const [label, run] of [
    ["huge answer", () => submit({ blob: "y".repeat(12 * 1024 * 1024) })],
    ["small answer", () => submit({ blob: "small" })],
    ["huge props", () => updateElement({ blob: "z".repeat(12 * 1024 * 1024) })],
    ["action", () => callAction({ name: "ping", payload: {} })],
  ]) {
    const b = document.createElement("button");
    b.textContent = label;
    b.onclick = run;
    el.append(b);
  }
}
'''

app = cw.ChatApp(title="Sizes", file_upload={"enabled": True, "max_size_mb": 40})

@app.on_message
async def reply(message: cw.Message):
    if message.content == "form":
        form = cw.CustomElement(name="form", source=ELEMENT, props={})
        res = await cw.AskElementMessage(content="Fill it in", element=form, timeout=300).send()
        await cw.Message(content=f"submitted {res['blob'] if res else None}").send()
        return
    for element in message.elements:
        data = open(element.path, "rb").read()
        await cw.Message(content=f"file {element.name} {len(data)} {hashlib.sha256(data).hexdigest()}").send()
    if not message.elements:
        await cw.Message(content=f"got {len(message.content)} characters").send()

app.display()
"""

#: Every change of the notebook kernel's websocket connection, from now on.
WATCH_SOCKET_JS = (
    "(path) => {"
    + _PANEL
    + """
  window.__socket = [];
  panel.sessionContext.session.kernel.connectionStatusChanged.connect(
    (_, status) => window.__socket.push(status));
}"""
)


def open_chat(notebook: MakeNotebook, page: Page) -> tuple[Notebook, Chat]:
    nb = notebook([SETUP])
    nb.run_all()
    chat = Chat.find(page)
    page.evaluate(WATCH_SOCKET_JS, nb.path)
    return nb, chat


def socket_changes(page: Page) -> list[str]:
    return page.evaluate("() => window.__socket")  # type: ignore[no-any-return]


def test_a_huge_pasted_message_is_refused_at_once_and_kept(notebook: MakeNotebook, page: Page) -> None:
    _, chat = open_chat(notebook, page)
    chat.input.evaluate(
        "(t) => { t.value = 'x'.repeat(11 * 1024 * 1024);"
        " t.dispatchEvent(new Event('input', {bubbles: true})); }"
    )
    started = time.monotonic()
    chat.input.press("Enter")
    error = chat.root.locator(".cw-composer-error")
    # At once (the request timeout is 15 s): it never went out.
    expect(error).to_contain_text("Too large to send to the kernel: 11.0 MB", timeout=5000)
    print(f"refused after {time.monotonic() - started:.2f} s")
    assert chat.input.evaluate("t => t.value.length") == 11 * MIB  # nothing lost
    expect(chat.messages).to_have_count(0)
    chat.input.fill("small one")
    chat.input.press("Enter")
    expect(chat.root.locator(".cw-message", has_text="got 9 characters")).to_have_count(1)
    assert socket_changes(page) == []  # the websocket never dropped


def test_a_huge_custom_element_submission_is_refused_and_the_prompt_stays(
    notebook: MakeNotebook, page: Page
) -> None:
    _, chat = open_chat(notebook, page)
    chat.send("form")
    frame = page.frame_locator(".cw-root iframe.cw-frame")
    frame.locator("button", has_text="huge answer").click()
    error = chat.root.locator(".cw-composer-error")
    expect(error).to_contain_text("Too large to send to the kernel: 12.0 MB", timeout=5000)
    expect(chat.root.locator(".cw-composer")).to_have_attribute("data-ask", "element")

    frame.locator("button", has_text="huge props").click()
    toast = chat.root.locator(".cw-toast-error")
    expect(toast).to_contain_text("Too large to send to the kernel: 12.0 MB", timeout=5000)

    frame.locator("button", has_text="small answer").click()
    expect(chat.root.locator(".cw-message", has_text="submitted small")).to_have_count(1)
    chat.wait_idle()
    assert socket_changes(page) == []


def test_a_big_file_goes_in_chunks(notebook: MakeNotebook, page: Page, tmp_path: Path) -> None:
    _, chat = open_chat(notebook, page)
    import hashlib

    data = bytes(range(256)) * (24 * MIB // 256)  # 24 MiB: over twice the websocket's limit
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    chat.root.locator("input.cw-file-input").set_input_files(str(path))
    chat.input.fill("")
    chat.root.locator("button.cw-send").click()
    digest = hashlib.sha256(data).hexdigest()
    expect(chat.root.locator(".cw-message", has_text=f"file big.bin {len(data)} {digest}")).to_have_count(
        1, timeout=120_000
    )
    assert socket_changes(page) == []


def test_a_request_the_kernel_never_answers_ends_with_an_error(notebook: MakeNotebook, page: Page) -> None:
    nb, chat = open_chat(notebook, page)
    chat.send("form")
    frame = page.frame_locator(".cw-root iframe.cw-frame")
    expect(frame.locator("button", has_text="action")).to_be_visible()
    # A cell that keeps the kernel busy: comm messages wait behind it, past the timeout.
    page.evaluate(
        "(path) => {"
        + _PANEL
        + "panel.sessionContext.session.kernel.requestExecute({code: 'import time; time.sleep(40)'}); }",
        nb.path,
    )
    frame.locator("button", has_text="action").click()
    toast = chat.root.locator(".cw-toast-error")
    expect(toast).to_contain_text("did not answer in time", timeout=30_000)
