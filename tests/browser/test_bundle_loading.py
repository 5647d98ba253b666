"""The front end crosses to a page once: from the server extension over HTTP (cached by build),
or, where the server has no extension, once from the kernel; never in each chat's state."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from labdriver import ARTIFACTS, TIMEOUT_MS, Chat, JupyterLab, Notebook, write_notebook
from playwright.sync_api import Browser, Page, expect

from chatwidget import assets

pytestmark = pytest.mark.browser

CHATS = 3
CELLS = [
    f"""
import chatwidget as cw

async def reply(message):
    await cw.Message("ok: " + message.content).send()

apps = [cw.ChatApp(title=f"Chat {{i}}", persist=False) for i in range({CHATS})]
for a in apps:
    a.on_message(reply)
    a.display()
"""
]


def bundle_bytes() -> int:
    files = assets.bundle_files()
    assert files is not None, "the front end is not built"
    return sum(map(len, files))


class Traffic:
    """What the page receives: kernel websocket frame sizes, HTTP requests for the bundle."""

    def __init__(self, page: Page) -> None:
        self.frames: list[int] = []
        self.bundle_requests: list[str] = []
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))
        page.on("request", self._request)

    def _frame(self, payload: str | bytes) -> None:
        self.frames.append(len(payload.encode() if isinstance(payload, str) else payload))

    def _request(self, request: Any) -> None:
        if "/chatwidget/static/chatwidget." in request.url:
            self.bundle_requests.append(request.url)


def open_chats(page: Page, lab: JupyterLab, name: str) -> list[Chat]:
    path = write_notebook(lab.root, name, CELLS)
    Notebook(page, path).open(lab).run_all()
    chats = [Chat.find(page, i) for i in range(CHATS)]
    for chat in chats:
        chat.send("hello")
        expect(chat.assistant().last).to_contain_text("ok: hello")
    return chats


def test_with_the_extension_the_bundle_comes_over_http_once(browser: Browser, lab: JupyterLab) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 960})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    traffic = Traffic(page)
    try:
        open_chats(page, lab, "bundle_over_http")
        build = assets.build_id()
        assert sorted(u.split("/")[-1] for u in traffic.bundle_requests) == [
            f"chatwidget.css?v={build}",
            f"chatwidget.js?v={build}",
        ]
        # Three chats and their turns: far less than one bundle on the websocket.
        assert sum(traffic.frames) < bundle_bytes() / 3, traffic.frames
    finally:
        page.screenshot(path=str(ARTIFACTS / "bundle-over-http.png"))
        context.close()
        lab.shutdown_sessions()


@pytest.fixture(scope="module")
def bare_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    """A JupyterLab without chatwidget's server extension."""
    home = tmp_path_factory.mktemp("bare-lab")
    server = JupyterLab(
        root=home / "notebooks",
        home=home,
        log_path=ARTIFACTS / "jupyter-lab-bare.log",
        extra_args=("--ServerApp.jpserver_extensions={'chatwidget_server': False}",),
    )
    server.start()
    yield server
    server.stop()


def test_without_the_extension_the_kernel_sends_the_bundle_once(
    browser: Browser, bare_lab: JupyterLab
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 960})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    traffic = Traffic(page)
    try:
        status = page.request.get(bare_lab.url("/chatwidget/static/chatwidget.js")).status
        assert status == 404, "the extension is still enabled"
        open_chats(page, bare_lab, "bundle_from_kernel")
        size = bundle_bytes()
        big = [n for n in traffic.frames if n > size / 2]
        assert len(big) == 1, f"{len(big)} frames carried the bundle for {CHATS} chats"
        assert sum(traffic.frames) < 1.5 * size
        # The CSS came with it: the transcript copy beside each chat is hidden.
        expect(page.locator(".cw-static").first).to_be_hidden()
    finally:
        page.screenshot(path=str(ARTIFACTS / "bundle-from-kernel.png"))
        context.close()
        bare_lab.shutdown_sessions()


def test_the_loader_is_all_a_widget_carries() -> None:
    from chatwidget._widget import ChatWidget

    esm = ChatWidget._esm
    assert isinstance(esm, str) and len(esm) < 4096
    assert assets.build_id() in esm
    assert ChatWidget._css == ""
    assert Path(assets.STATIC / "chatwidget.js").stat().st_size > 50 * len(esm)
