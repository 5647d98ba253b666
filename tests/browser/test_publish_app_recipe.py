"""The README's recipe "publish a chat app to people who must not run code", followed as written.

A real `jupyter lab` server (Voila inside it) with chatwidget's identity provider: bob is an
app user, the notebook `support.ipynb` is the published app. He signs in, lands on the app,
chats, and his conversation is kept as his; everything else on the server answers him 403
(the route-by-route and websocket checks are tests/security/test_app_user_routes.py).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from labdriver import ARTIFACTS, TIMEOUT_MS, Chat, JupyterLab, write_notebook
from playwright.sync_api import Browser, expect

pytestmark = pytest.mark.browser

HERE = Path(__file__).resolve().parent

APP = """
import chatwidget as cw

app = cw.ChatApp(title="Support")

@app.on_message
async def answer(message: cw.Message):
    await cw.Message(f"support says: {message.content}").send()

app.display()
"""


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    home = tmp_path_factory.mktemp("published-app")
    server = JupyterLab(
        root=home / "apps",
        home=home,
        log_path=ARTIFACTS / "jupyter-published-app.log",
        extra_args=(
            "--ServerApp.identity_provider_class=chatwidget_server.auth.ChatIdentityProvider",
            "--ChatIdentityProvider.password_auth_callback=login_accounts.check_password",
            "--ChatIdentityProvider.developers=password:alice",
            "--ChatIdentityProvider.app_notebooks=support.ipynb",
            "--ServerApp.default_url=/voila/render/support.ipynb",
            "--LabApp.default_url=/voila/render/support.ipynb",  # jupyter lab has its own
        ),
    )
    server.root.mkdir(parents=True)
    write_notebook(server.root, "support", [APP])
    write_notebook(server.root, "admin", ["print('not for app users')"])
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])))
        env.setenv("CHATWIDGET_DATABASE_URL", f"sqlite+aiosqlite:///{home / 'threads.db'}")
        server.start()
    yield server
    server.stop()


def test_an_app_user_signs_in_chats_and_reaches_nothing_else(browser: Browser, published: JupyterLab) -> None:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    refused: list[str] = []
    page.on("response", lambda r: refused.append(r.url) if r.status == 403 else None)
    try:
        page.goto(f"{published.base}/login")
        page.fill("#username", "bob")
        page.fill("#password", "correct horse")
        page.click("button[type=submit]")
        page.wait_for_url("**/voila/render/support.ipynb", wait_until="commit")  # the default_url
        chat = Chat.find(page, 0, timeout=60_000)
        chat.send("my printer is on fire")
        expect(chat.assistant().last).to_contain_text("support says: my printer is on fire")
        chat.wait_idle()
        page.screenshot(path=str(ARTIFACTS / "published-app.png"))
        assert refused == [], refused  # the app page itself needs nothing that is closed

        deadline = time.monotonic() + 20
        mine: list[dict[str, str]] = []
        while not mine and time.monotonic() < deadline:
            reply = page.request.get(f"{published.base}/chatwidget/api/threads")
            assert reply.status == 200
            mine = reply.json()["data"]
            page.wait_for_timeout(200)
        assert [(t["name"], t["userIdentifier"]) for t in mine] == [("my printer is on fire", "password:bob")]

        for path in [
            "/lab",
            "/lab/tree/admin.ipynb",
            "/voila/render/admin.ipynb",
            "/voila/tree",
            "/api/contents",
            "/api/kernels",
            "/api/sessions",
            "/api/terminals",
            "/api/kernelspecs",
            "/files/admin.ipynb",
            "/nbconvert/html/admin.ipynb",
        ]:
            assert page.request.get(f"{published.base}{path}").status == 403, path
        xsrf = next(c["value"] for c in context.cookies() if c["name"] == "_xsrf")
        started = page.request.post(
            f"{published.base}/api/kernels", headers={"X-XSRFToken": xsrf}, data={"name": "python3"}
        )
        assert started.status == 403
    finally:
        context.close()
        status, kernels = published.api("GET", "/api/kernels")  # Voila's kernels are not sessions
        for kernel in kernels if status == 200 else []:
            published.api("DELETE", f"/api/kernels/{kernel['id']}", timeout=30)
