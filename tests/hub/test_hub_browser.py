"""Through the hub, in Chromium: alice signs in, chats in JupyterLab and shares; bob signs in
and sees none of it; an anonymous visitor reads the share page exactly while it is shared."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest
from hubdriver import PASSWORD, Hub
from playwright.sync_api import Browser, BrowserContext, Page, expect

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
from labdriver import ARTIFACTS, TIMEOUT_MS, Chat, Notebook, write_notebook

pytestmark = pytest.mark.browser

APP = """
import chatwidget as cw

app = cw.ChatApp(title="Hub chat")

@app.on_message
async def echo(message: cw.Message):
    await cw.Message(content=f"echo: {message.content}").send()

app.display()
"""


class UserLab:
    """What ``Notebook.open`` needs of a lab: URLs, here those of a user's server behind the hub."""

    def __init__(self, hub: Hub, user: str) -> None:
        self.base = f"{hub.url}/user/{user}"

    def url(self, path: str, **query: str) -> str:
        qs = "&".join(f"{k}={v}" if v else k for k, v in query.items())
        return f"{self.base}{path}" + (f"?{qs}" if qs else "")


def sign_in(browser: Browser, hub: Hub, user: str) -> tuple[BrowserContext, Page]:
    expect.set_options(timeout=TIMEOUT_MS)
    context = browser.new_context(viewport={"width": 1280, "height": 960})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", PASSWORD)
    page.click("#login_submit")
    page.wait_for_url(f"{hub.url}/user/{user}/**")
    return context, page


def open_chat(hub: Hub, page: Page, user: str) -> tuple[Notebook, Chat]:
    path = write_notebook(hub.root / "home" / user, "hub_chat", [APP])
    nb = Notebook(page, path).open(UserLab(hub, user))  # type: ignore[arg-type]
    nb.run_all()
    return nb, Chat.find(page)


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"hub-{name}.png"), timeout=10_000)


def test_alice_shares_bob_sees_nothing_anonymous_reads_while_shared(browser: Browser, hub: Hub) -> None:
    alice_context, alice = sign_in(browser, hub, "alice")
    bob_context, bob = sign_in(browser, hub, "bob")
    anonymous = browser.new_context()
    try:
        nb, chat = open_chat(hub, alice, "alice")
        chat.send("the violet heron")
        expect(chat.root.locator(".cw-message", has_text="echo: the violet heron")).to_have_count(1)
        chat.wait_idle()
        nb.add_and_run("await app.save()")

        chat.root.locator("button.cw-threads-button").click()
        row = chat.root.locator(".cw-threads .cw-thread", has_text="the violet heron")
        expect(row).to_have_count(1)
        share = row.locator("button.cw-thread-share")
        share.click()
        expect(share).to_have_attribute("aria-pressed", "true")
        link = chat.root.locator(".cw-threads input.cw-share-link").input_value()
        assert link.startswith(f"{hub.url}/user/alice/chatwidget/share/"), link
        thread_id = link.rstrip("/").split("/")[-2]
        screenshot(alice, "alice-shared")

        # Bob: his thread list in his own lab has none of hers, nor has his server's API.
        bob_nb, bob_chat = open_chat(hub, bob, "bob")
        bob_chat.send("the grey goose")
        expect(bob_chat.root.locator(".cw-message", has_text="echo: the grey goose")).to_have_count(1)
        bob_chat.wait_idle()
        bob_nb.add_and_run("await app.save()")
        bob_chat.root.locator("button.cw-threads-button").click()
        expect(bob_chat.root.locator(".cw-thread", has_text="the grey goose")).to_have_count(1)
        expect(bob_chat.root.locator(".cw-thread", has_text="violet heron")).to_have_count(0)
        assert bob.request.get(f"{hub.url}/user/bob/chatwidget/api/threads/{thread_id}").status == 404
        screenshot(bob, "bob-sees-nothing")

        public = anonymous.new_page()
        public.goto(link)
        shared = public.locator("#cw-shared")
        expect(shared).to_have_attribute("data-rendered", "bundle")
        expect(shared.locator(".cw-message", has_text="echo: the violet heron")).to_have_count(1)
        screenshot(public, "anonymous-share-page")

        share.click()
        expect(share).to_have_attribute("aria-pressed", "false")
        assert httpx.get(link).status_code == 404
        assert public.goto(link).status == 404  # type: ignore[union-attr]
    finally:
        for context in (alice_context, bob_context, anonymous):
            context.close()
