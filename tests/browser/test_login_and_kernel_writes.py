"""A user signs in with a password to a real JupyterLab, chats in a notebook, and the kernel
keeps the conversation as that user's: the owner comes from the server's signed identity,
not from anything the browser says."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from labdriver import ARTIFACTS, TIMEOUT_MS, Chat, JupyterLab, Notebook, write_notebook
from playwright.sync_api import Browser, BrowserContext, Page, expect

pytestmark = pytest.mark.browser

HERE = Path(__file__).resolve().parent
THREADS = "/chatwidget/api/threads"

CHAT_CELL = """
import chatwidget as cw

app = cw.ChatApp(title="Signed in")

@app.on_message
async def answer(message: cw.Message):
    await cw.Message(f"echo: {message.content}").send()

app.display()
"""


@pytest.fixture(scope="module")
def secured_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    home = tmp_path_factory.mktemp("secured-lab")
    lab = JupyterLab(
        root=home / "notebooks",
        home=home,
        log_path=ARTIFACTS / "jupyter-lab-login.log",
        extra_args=(
            "--ServerApp.identity_provider_class=chatwidget_server.auth.ChatIdentityProvider",
            "--ChatIdentityProvider.password_auth_callback=login_accounts.check_password",
            # They write notebooks: developers (app users are tests/browser/test_publish_app_recipe.py).
            "--ChatIdentityProvider.developers=password:bob",
            "--ChatIdentityProvider.developers=password:alice",
        ),
    )
    with pytest.MonkeyPatch.context() as env:  # read by the server when it starts
        env.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])))
        env.setenv("CHATWIDGET_DATABASE_URL", f"sqlite+aiosqlite:///{home / 'threads.db'}")
        lab.start()
    yield lab
    lab.stop()


def signed_in(browser: Browser, lab: JupyterLab, username: str, password: str) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{lab.base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/lab"), wait_until="commit")
    return context, page


def threads_of(page: Page, lab: JupyterLab) -> list[dict[str, Any]]:
    reply = page.request.get(f"{lab.base}{THREADS}")
    assert reply.status == 200, reply.text()
    return reply.json()["data"]  # type: ignore[no-any-return]


def test_the_signed_in_user_owns_what_the_kernel_writes(browser: Browser, secured_lab: JupyterLab) -> None:
    path = write_notebook(secured_lab.root, "signed_in_chat", [CHAT_CELL])
    bob, page = signed_in(browser, secured_lab, "bob", "correct horse")
    try:
        page.goto(f"{secured_lab.base}/lab/tree/{path}?reset")  # no token: bob's session cookie
        page.wait_for_selector(".jp-Notebook")
        notebook = Notebook(page, path)
        notebook.wait_idle(60_000)
        notebook.run_all()
        chat = Chat.find(page)
        chat.send("hello from bob")
        chat.wait_idle()
        expect(chat.assistant().last).to_contain_text("echo: hello from bob")
        assert not chat.root.locator(".cw-storage-error").is_visible()

        deadline = time.monotonic() + 20
        while not (mine := threads_of(page, secured_lab)) and time.monotonic() < deadline:
            page.wait_for_timeout(200)  # the kernel writes in the background
        assert [(t["name"], t["userIdentifier"]) for t in mine] == [("hello from bob", "password:bob")]
        page.screenshot(path=str(ARTIFACTS / "signed-in-chat.png"))

        alice, other = signed_in(browser, secured_lab, "alice", "battery staple")
        try:
            assert threads_of(other, secured_lab) == []
            reply = other.request.get(f"{secured_lab.base}{THREADS}/{mine[0]['id']}")
            assert reply.status == 404
        finally:
            alice.close()
        status, operator = secured_lab.api("GET", THREADS)  # the server's token: its owner, not bob
        assert status == 200 and operator["data"] == []
    finally:
        bob.close()
        secured_lab.shutdown_sessions()
