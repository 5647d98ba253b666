"""Threads in a real JupyterLab: chat, restart the kernel, display the app again, open the
thread list, resume the conversation, share it (the public page in a fresh browser context
with no token shows it), unshare it (404)."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from labdriver import TIMEOUT_MS, Chat, JupyterLab, MakeNotebook
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

APP = """
import chatwidget as cw

app = cw.ChatApp(title="Threads")

@app.on_message
async def echo(message: cw.Message):
    await cw.Message(content=f"echo: {message.content}").send()

app.display()
"""


def restart_kernel(lab: JupyterLab) -> None:
    status, sessions = lab.api("GET", "/api/sessions")
    assert status == 200 and sessions, sessions
    for session in sessions:
        status, _ = lab.api("POST", f"/api/kernels/{session['kernel']['id']}/restart", timeout=60)
        assert status == 200, status


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=20) as resp:  # noqa: S310 - the test server on loopback
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_resume_share_and_unshare_after_a_restart(
    notebook: MakeNotebook, page: Page, lab: JupyterLab, browser: Browser
) -> None:
    nb = notebook([APP])
    nb.run_all()
    chat = Chat.find(page)
    chat.send("remember the blue whale")
    expect(chat.root.locator(".cw-message", has_text="echo: remember the blue whale")).to_have_count(1)
    chat.wait_idle()
    chat.send("and the red fox")
    expect(chat.root.locator(".cw-message", has_text="echo: and the red fox")).to_have_count(1)
    chat.wait_idle()
    nb.add_and_run("await app.save()")

    # Saved first: an unsaved notebook makes the page refuse to unload.
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    expect(page.locator(".jp-mod-current .jp-mod-dirty")).to_have_count(0)
    restart_kernel(lab)
    # JupyterLab 4.6 sends comm messages on a kernel subshell (commsOverSubshells) and keeps
    # the old subshell id across a restart, which the new kernel refuses ("Unknown
    # subshell_id"): a reloaded page starts clean, as a user would after a restart.
    nb.open(lab, timeout=60_000)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    expect(page.locator(".cw-root")).to_have_count(0)
    nb.add_and_run(APP, timeout=60_000)
    chat = Chat.find(page)
    expect(chat.messages).to_have_count(0)

    chat.root.locator("button.cw-threads-button").click()
    panel = chat.root.locator(".cw-threads")
    expect(panel).to_be_visible()
    row = panel.locator(".cw-thread", has_text="remember the blue whale")
    expect(row).to_have_count(1)
    expect(panel.locator(".cw-thread-group-title").first).to_have_text("Today")

    # Search narrows the list (debounced).
    panel.locator("input.cw-threads-search").fill("blue whale")
    expect(row).to_have_count(1)

    row.locator("button.cw-thread-name").click()
    expect(panel).to_be_hidden()
    expect(chat.root.locator(".cw-message .cw-content")).to_have_text(
        [
            "remember the blue whale",
            "echo: remember the blue whale",
            "and the red fox",
            "echo: and the red fox",
        ]
    )
    # The resumed chat goes on.
    chat.send("one more")
    expect(chat.root.locator(".cw-message", has_text="echo: one more")).to_have_count(1)
    chat.wait_idle()

    # Share: a public link relative to the server's base URL.
    chat.root.locator("button.cw-threads-button").click()
    row = panel.locator(".cw-thread", has_text="remember the blue whale")
    share = row.locator("button.cw-thread-share")
    share.click()
    expect(share).to_have_attribute("aria-pressed", "true")
    link_field = row.locator("input.cw-share-link")
    expect(link_field).to_be_visible()
    link = link_field.input_value()
    assert link.startswith(lab.base + "/"), link
    assert "token" not in link

    anonymous = browser.new_context()
    try:
        public = anonymous.new_page()
        public.goto(link, timeout=TIMEOUT_MS)
        shared = public.locator("#cw-shared")
        expect(shared).to_have_attribute("data-rendered", "bundle", timeout=TIMEOUT_MS)
        expect(shared.locator(".cw-root .cw-message .cw-content").first).to_have_text(
            "remember the blue whale", timeout=TIMEOUT_MS
        )
        expect(shared.locator(".cw-message", has_text="echo: and the red fox")).to_have_count(1)
        expect(shared.locator(".cw-composer")).to_be_hidden()
        public.screenshot(path="test-artifacts/shared-page.png")
    finally:
        anonymous.close()

    # Unshare: the page is gone.
    share.click()
    expect(share).to_have_attribute("aria-pressed", "false")
    assert http_status(link) == 404
