"""The attack surface, in one folder: hostile requests against a real server.

A real jupyter server runs in the test's event loop with chatwidget's identity provider,
the chat extension, Voila, terminals and JupyterLab loaded, and a real OpenID provider on
loopback (``tests/auth/oidc_op.py``); a ``Browser`` (``tests/auth/login_helpers.py``)
plays the user agent. ``app.ipynb`` is the published chat app, ``secret.ipynb`` a notebook
that is not published. The same rules followed in Chromium, as a deployment would:
``tests/browser/test_publish_app_recipe.py`` (it needs the browser fixtures there).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "auth"))

from login_helpers import Browser, check_password, forget_env
from oidc_op import CLIENT_ID, CLIENT_SECRET, OP, start_op
from pytest_jupyter.jupyter_server import *  # noqa: F403 - pytest-jupyter's fixtures and hooks
from traitlets.config import Config

APP_CELL = "import chatwidget as cw\napp = cw.ChatApp(title='Published')\napp.display()\n"


def notebook(*sources: str) -> str:
    cells = [
        {
            "id": f"cell-{i}",
            "cell_type": "code",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
            "source": s,
        }
        for i, s in enumerate(sources)
    ]
    return json.dumps(
        {
            "cells": cells,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


@pytest.fixture
async def jp_asyncio_loop() -> asyncio.AbstractEventLoop:
    """pytest-jupyter's loop is pytest-asyncio's loop (see tests/server/conftest.py)."""
    return asyncio.get_running_loop()


@pytest.fixture
def jp_env_jupyter_path() -> str:
    """The installed share/jupyter (Voila's templates, the widget extensions), not an empty one."""
    return str(Path(sys.prefix) / "share" / "jupyter")


@pytest.fixture
async def op() -> AsyncIterator[OP]:
    provider, server = start_op()
    yield provider
    server.stop()
    await server.close_all_connections()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """SQLite; modules that store things use both backends (``storage_backends.db_url``)."""
    return f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"


@pytest.fixture
def public_url(jp_http_port: int, jp_base_url: str) -> str:
    return f"http://127.0.0.1:{jp_http_port}{jp_base_url}"


@pytest.fixture
def identity_config() -> dict[str, Any]:
    """``ChatIdentityProvider`` options of a test (override in a module or a test)."""
    return {"allowed_users": {"generic:alice-1"}, "developers": {"password:bob"}}


@pytest.fixture
def extra_config() -> dict[str, Any]:
    """Other sections of the server's config for a test (e.g. ``{"GenericOAuth": {...}}``)."""
    return {}


@pytest.fixture
def auth_env(monkeypatch: pytest.MonkeyPatch, op: OP) -> None:
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
    monkeypatch.setenv("CHATWIDGET_OWNER", "local-operator")
    monkeypatch.setenv("OAUTH_GENERIC_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("OAUTH_GENERIC_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("OAUTH_GENERIC_ISSUER", op.issuer)
    monkeypatch.setenv("OAUTH_GENERIC_SCOPES", "openid profile email")


@pytest.fixture
def jp_server_config(
    auth_env: None,
    op: OP,
    db_url: str,
    public_url: str,
    identity_config: dict[str, Any],
    extra_config: dict[str, Any],
    jp_root_dir: Path,
) -> Config:
    op.redirect_uris.add(f"{public_url}login/oauth/generic/callback")
    (jp_root_dir / "app.ipynb").write_text(notebook(APP_CELL))
    (jp_root_dir / "secret.ipynb").write_text(notebook("print('the secret runs')"))
    (jp_root_dir / "notes.txt").write_text("private notes")
    config = Config(
        {
            "ServerApp": {
                "jpserver_extensions": {
                    "chatwidget_server": True,
                    "voila.server_extension": True,
                    "jupyter_server_terminals": True,
                    "jupyterlab": True,
                },
                "identity_provider_class": "chatwidget_server.auth.ChatIdentityProvider",
            },
            "ChatIdentityProvider": {
                "public_url": public_url,
                "password_auth_callback": check_password,
                "app_notebooks": ["app.ipynb"],
                **identity_config,
            },
            "ChatWidgetServer": {"db_url": db_url},
        }
    )
    for section, options in expand_github(extra_config, op).items():
        config[section].update(options)  # (a Config makes its missing sections)
    return config


def expand_github(extra_config: dict[str, Any], op: OP) -> dict[str, Any]:
    """``{"__github__": options}`` becomes the GitHub provider pointed at the loopback OP."""
    config = dict(extra_config)
    options = config.pop("__github__", None)
    if options is not None:
        endpoints = {
            k: f"{op.issuer}/{v}" for k, v in [("authorize_url", "authorize"), ("token_url", "token")]
        }
        endpoints["userinfo_url"] = f"{op.issuer}/userinfo"
        config["GitHubOAuth"] = {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            **endpoints,
            **options,
        }
    return config


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
    await jp_serverapp.kernel_manager.shutdown_all(now=True)
