"""What the login tests share: the test callbacks, a scripted browser, a thread seeder.

(Kept out of ``conftest.py``: test modules of several directories import helpers, and
``from conftest import ...`` would find whichever ``conftest`` was imported first.)
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from chatwidget.data import User
from chatwidget.data.sql import SQLDataLayer
from chatwidget.data.storage import LocalElementStorage

OWNER = "local-operator"
MAX_REDIRECTS = 8


#: Every (username, password) the deployment's password hook was asked to check.
PASSWORD_CHECKS: list[tuple[str, str]] = []


def check_password(username: str, password: str) -> User | None:
    PASSWORD_CHECKS.append((username, password))
    if (username, password) == ("bob", "correct horse"):
        return User(identifier="bob", display_name="Bob")
    return None


class OAuthPolicy:
    """What the deployment's ``oauth_callback`` does in a test (default: accept)."""

    def __init__(self) -> None:
        self.decide: Callable[[str, Any, dict[str, Any], User], User | None] = lambda p, t, raw, user: user
        self.calls: list[tuple[str, Any, dict[str, Any], User]] = []

    async def __call__(self, provider_id: str, token: Any, raw: dict[str, Any], default: User) -> User | None:
        self.calls.append((provider_id, token, raw, default))
        return self.decide(provider_id, token, raw, default)


class Browser:
    """A user agent: one cookie jar, redirects followed by hand, on loopback only."""

    def __init__(self, server: str, base_url: str) -> None:
        self.server = server
        self.base_url = base_url
        self.client = httpx.AsyncClient(timeout=20, follow_redirects=False)

    def url(self, path: str) -> str:
        return f"{self.server}{self.base_url}{path}"

    async def get(self, path: str, **kw: Any) -> httpx.Response:
        return await self.client.get(self.url(path), **kw)

    async def follow(self, response: httpx.Response, stop_at: str | None = None) -> httpx.Response:
        """Follow redirects (at most ``MAX_REDIRECTS``), stopping before a URL containing ``stop_at``."""
        for _ in range(MAX_REDIRECTS):
            if response.status_code not in (301, 302, 303, 307):
                return response
            location = str(response.url.join(response.headers["location"]))
            assert urlsplit(location).hostname == "127.0.0.1", location  # never leave loopback
            if stop_at is not None and stop_at in location:
                return response
            response = await self.client.get(location)
        raise AssertionError("too many redirects")

    async def start_login(self, next_url: str | None = None) -> httpx.Response:
        """Up to the provider's redirect back: the response whose Location is the callback."""
        params = {"next": next_url} if next_url is not None else {}
        first = await self.get("login/oauth/generic", params=params)
        assert first.status_code == 302, first.text
        at_op = await self.client.get(first.headers["location"])
        assert at_op.status_code == 302, at_op.text
        return at_op

    async def login(self, next_url: str | None = None) -> httpx.Response:
        """A whole OAuth login; the callback's response (a redirect to ``next`` on success)."""
        at_op = await self.start_login(next_url)
        return await self.client.get(at_op.headers["location"])

    async def xsrf(self) -> str:
        page = await self.get("login")
        match = re.search(r'name="_xsrf" value="([^"]+)"', page.text)
        assert match, page.text
        return match.group(1)

    async def password_login(self, username: str, password: str, next_url: str = "") -> httpx.Response:
        token = await self.xsrf()
        return await self.client.post(
            self.url("login/password"),
            data={"_xsrf": token, "username": username, "password": password, "next": next_url},
        )

    async def logout(self) -> httpx.Response:
        """Sign out as a person does: the logout page's button (a POST with its _xsrf token)."""
        page = await self.get("logout")
        match = re.search(r'name="_xsrf" value="([^"]+)"', page.text)
        assert match, page.text
        return await self.client.post(self.url("logout"), data={"_xsrf": match.group(1)})

    def session_cookie(self) -> str | None:
        for cookie in self.client.cookies.jar:
            if cookie.name.startswith("username-"):
                return cookie.value
        return None

    async def aclose(self) -> None:
        await self.client.aclose()


class Seed:
    def __init__(self, url: str, elements: Path) -> None:
        self.layer = SQLDataLayer(url, storage=LocalElementStorage(elements))

    async def thread(self, owner: str, name: str = "A chat", text: str = "hello") -> str:
        thread_id = str(uuid.uuid4())
        user = await self.layer.create_user(User(identifier=owner))
        await self.layer.update_thread(thread_id, name=name, user_id=user.id, create=True)
        for i, (step_type, output) in enumerate([("user_message", text), ("assistant_message", "hi there")]):
            await self.layer.create_step(
                {  # type: ignore[typeddict-item]
                    "id": str(uuid.uuid4()),
                    "threadId": thread_id,
                    "name": step_type,
                    "type": step_type,
                    "output": output,
                    "createdAt": f"2024-01-01T00:00:{i:02d}.000Z",
                }
            )
        return thread_id

    async def element(self, thread_id: str, content: bytes) -> str:
        element_id = str(uuid.uuid4())
        await self.layer.create_element(
            {"id": element_id, "threadId": thread_id, "type": "file", "name": "f.txt", "mime": "text/plain"},
            content,
        )
        return element_id


def forget_env(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Unset ``name`` for this test, and restore its state after, even if the code sets it.

    (``monkeypatch.delenv`` records nothing for an unset variable, so a variable that the
    identity provider sets during the test would outlive it.)
    """
    monkeypatch.setenv(name, "")
    monkeypatch.delenv(name)
