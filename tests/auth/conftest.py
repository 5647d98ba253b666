"""Login tests: a real jupyter server with ``ChatIdentityProvider``, a real OIDC provider.

Both listen on 127.0.0.1 in the test's event loop. The OP (:mod:`oidc_op`) is the
``generic`` provider, found by discovery; a ``Browser`` plays the user agent with its own
cookie jar and follows redirects by hand (a bounded number). Threads are seeded through
``SQLDataLayer`` on the server's SQLite file, as a kernel would write them.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from oidc_op import CLIENT_ID, CLIENT_SECRET, OP, start_op
from pytest_jupyter.jupyter_server import *  # noqa: F403 - pytest-jupyter's fixtures and hooks
from traitlets.config import Config

from chatwidget.data import User
from chatwidget.data.sql import SQLDataLayer
from chatwidget.data.storage import LocalElementStorage

OWNER = "local-operator"
MAX_REDIRECTS = 8


def check_password(username: str, password: str) -> User | None:
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


@pytest.fixture
async def jp_asyncio_loop() -> asyncio.AbstractEventLoop:
    """pytest-jupyter's loop is pytest-asyncio's loop (see tests/server/conftest.py)."""
    return asyncio.get_running_loop()


@pytest.fixture
async def op() -> AsyncIterator[OP]:
    provider, server = start_op()
    yield provider
    server.stop()
    await server.close_all_connections()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"


@pytest.fixture
def oauth_policy() -> OAuthPolicy:
    return OAuthPolicy()


@pytest.fixture
def public_url(jp_http_port: int, jp_base_url: str) -> str:
    return f"http://127.0.0.1:{jp_http_port}{jp_base_url}"


@pytest.fixture
def auth_env(monkeypatch: pytest.MonkeyPatch, op: OP) -> None:
    """The reference's variables for the generic provider; the identity variables restored after."""
    for name in [
        "CHATWIDGET_IDENTITY_SECRET",
        "CHATWIDGET_IDENTITY_REQUIRED",
        "CHATWIDGET_PUBLIC_URL",
        "OAUTH_PROMPT",
        "JUPYTERHUB_USER",
    ]:
        monkeypatch.delenv(name, raising=False)
    for prefix in ("GITHUB", "GITLAB", "GOOGLE", "AZURE_AD", "OKTA", "AUTH0", "KEYCLOAK", "COGNITO"):
        monkeypatch.delenv(f"OAUTH_{prefix}_CLIENT_ID", raising=False)
    monkeypatch.setenv("CHATWIDGET_OWNER", OWNER)
    monkeypatch.setenv("OAUTH_GENERIC_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("OAUTH_GENERIC_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("OAUTH_GENERIC_ISSUER", op.issuer)
    monkeypatch.setenv("OAUTH_GENERIC_SCOPES", "openid profile email")


@pytest.fixture
def jp_server_config(
    auth_env: None, op: OP, db_url: str, public_url: str, oauth_policy: OAuthPolicy
) -> Config:
    op.redirect_uris.add(f"{public_url}login/oauth/generic/callback")

    async def oauth_callback(provider_id: str, token: Any, raw: dict[str, Any], default: User) -> User | None:
        return await oauth_policy(provider_id, token, raw, default)  # (Config copies objects, not functions)

    return Config(
        {
            "ServerApp": {
                "jpserver_extensions": {"chatwidget_server": True},
                "identity_provider_class": "chatwidget_server.auth.ChatIdentityProvider",
            },
            "ChatIdentityProvider": {
                "public_url": public_url,
                "password_auth_callback": check_password,
                "oauth_callback": oauth_callback,
            },
            "ChatWidgetServer": {"db_url": db_url},
        }
    )


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

    def session_cookie(self) -> str | None:
        for cookie in self.client.cookies.jar:
            if cookie.name.startswith("username-"):
                return cookie.value
        return None

    async def aclose(self) -> None:
        await self.client.aclose()


@pytest.fixture
async def browsers(
    jp_serverapp: Any, http_server: Any, jp_http_port: int, jp_base_url: str
) -> AsyncIterator[Callable[[], Browser]]:
    made: list[Browser] = []

    def make() -> Browser:
        browser = Browser(f"http://127.0.0.1:{jp_http_port}", jp_base_url)
        made.append(browser)
        return browser

    yield make
    for browser in made:
        await browser.aclose()
    await jp_serverapp.identity_provider.aclose()


class Seed:
    def __init__(self, url: str, elements: Path) -> None:
        self.layer = SQLDataLayer(url, storage=LocalElementStorage(elements))

    async def thread(self, owner: str, name: str = "A chat", text: str = "hello") -> str:
        thread_id = str(uuid.uuid4())
        user = await self.layer.create_user(User(identifier=owner))
        await self.layer.update_thread(thread_id, name=name, user_id=user.id)
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


@pytest.fixture
async def seed(db_url: str, tmp_path: Path) -> AsyncIterator[Seed]:
    s = Seed(db_url, tmp_path / "chat-elements")
    yield s
    await s.layer.close()
