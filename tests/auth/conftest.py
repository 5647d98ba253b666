"""Login tests: a real jupyter server with ``ChatIdentityProvider``, a real OIDC provider.

Both listen on 127.0.0.1 in the test's event loop. The OP (:mod:`oidc_op`) is the
``generic`` provider, found by discovery; a ``Browser`` plays the user agent with its own
cookie jar and follows redirects by hand (a bounded number). Threads are seeded through
``SQLDataLayer`` on the server's SQLite file, as a kernel would write them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from login_helpers import OWNER, Browser, OAuthPolicy, Seed, check_password, forget_env
from oidc_op import CLIENT_ID, CLIENT_SECRET, OP, start_op
from pytest_jupyter.jupyter_server import *  # noqa: F403 - pytest-jupyter's fixtures and hooks
from traitlets.config import Config

from chatwidget.data import User


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
        forget_env(monkeypatch, name)
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
                # The login tests are about the flow: their users are developers (roles: tests/security).
                "developers": {"generic:alice-1", "generic:bob-2", "password:bob"},
            },
            "ChatWidgetServer": {"db_url": db_url},
        }
    )


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


@pytest.fixture
async def seed(db_url: str, tmp_path: Path) -> AsyncIterator[Seed]:
    s = Seed(db_url, tmp_path / "chat-elements")
    yield s
    await s.layer.close()
