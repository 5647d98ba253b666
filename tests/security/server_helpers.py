"""What the security tests share: signed-in browsers, XSRF headers, kernel websockets."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx
from login_helpers import Browser
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

ALICE = "generic:alice-1"
KERNEL_ID = re.compile(r'"kernelId":\s*"([0-9a-f-]{36})"')


async def app_user(browsers: Any) -> Browser:
    """Alice, signed in with OAuth, listed in ``allowed_users``: an app user."""
    browser: Browser = browsers()
    await browser.xsrf()  # the _xsrf cookie, for the requests that need it
    done = await browser.login()
    assert done.status_code in (200, 302), done.text
    assert browser.session_cookie()
    return browser


async def developer(browsers: Any) -> Browser:
    """Bob, signed in with a password, listed in ``developers``."""
    browser: Browser = browsers()
    done = await browser.password_login("bob", "correct horse")
    assert done.status_code == 302, done.text
    return browser


def xsrf_headers(browser: Browser) -> dict[str, str]:
    token = next(c.value for c in browser.client.cookies.jar if c.name == "_xsrf")
    return {"X-XSRFToken": token}


async def request(browser: Browser, method: str, path: str, body: Any = None) -> httpx.Response:
    content = None if body is None else json.dumps(body)
    return await browser.client.request(
        method, browser.url(path), content=content, headers=xsrf_headers(browser)
    )


def cookie_header(browser: Browser) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in browser.client.cookies.jar)


async def open_socket(
    browser: Browser, path: str, subprotocols: list[str] | None = None
) -> WebSocketClientConnection:
    url = browser.url(path).replace("http://", "ws://")
    req = HTTPRequest(url, headers={"Cookie": cookie_header(browser)}, request_timeout=20)
    return await websocket_connect(req, subprotocols=subprotocols)


async def socket_status(browser: Browser, path: str) -> int:
    """101 if the websocket opened, else the HTTP status it was refused with."""
    try:
        conn = await open_socket(browser, path)
    except HTTPClientError as exc:
        return exc.code
    conn.close()
    return 101


def kernel_message(msg_type: str, content: dict[str, Any], channel: str = "shell") -> dict[str, Any]:
    header = {
        "msg_id": uuid.uuid4().hex,
        "msg_type": msg_type,
        "session": "s",
        "username": "",
        "version": "5.3",
        "date": "2024-01-01T00:00:00Z",
    }
    return {"channel": channel, "header": header, "parent_header": {}, "metadata": {}, "content": content}


async def replies_until(conn: WebSocketClientConnection, msg_type: str, limit: int = 200) -> list[str]:
    """The ``msg_type`` of every message received until one of ``msg_type`` arrives."""
    seen: list[str] = []
    for _ in range(limit):
        raw = await conn.read_message()
        assert raw is not None, f"the websocket closed; saw {seen}"
        if isinstance(raw, bytes):
            continue
        kind = json.loads(raw)["header"]["msg_type"]
        seen.append(kind)
        if kind == msg_type:
            return seen
    raise AssertionError(f"no {msg_type} in {seen}")


def alice_may_view_every_thread(thread: dict[str, Any], viewer: Any) -> bool:
    """An ``on_shared_thread_view`` that lets alice read threads nobody shared."""
    return viewer is not None and viewer.identifier == ALICE
