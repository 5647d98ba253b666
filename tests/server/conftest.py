"""Server extension tests: a Jupyter server with the chatwidget extension, on a SQLite file.

The server runs in-process (pytest-jupyter's ``jp_serverapp``/``jp_fetch``). Threads are
written straight through a second data layer on the same database (``seed``), as a kernel
would, with whatever owner a test needs; the server's caller is ``CHATWIDGET_OWNER``
(``alice`` unless a test changes it: the variable is read at each request).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pytest_jupyter.jupyter_server import *  # noqa: F403 - pytest-jupyter's fixtures and hooks
from server_support import ME, Call, Reply, Seed
from traitlets.config import Config

from chatwidget.data.storage_url import storage_from_url


@pytest.fixture
async def jp_asyncio_loop() -> asyncio.AbstractEventLoop:
    """pytest-jupyter's loop is pytest-asyncio's loop (``asyncio_mode = auto`` runs the tests).

    pytest-jupyter starts the server on ``jp_asyncio_loop`` and would run async tests on it;
    here pytest-asyncio runs them, so both must be the same loop (pytest-asyncio closes it).
    """
    return asyncio.get_running_loop()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"


@pytest.fixture
def extension_config() -> dict[str, Any]:
    """Extra ``ChatWidgetServer`` options for a test (override in a module or a test)."""
    return {}


@pytest.fixture
def elements_url() -> str:
    """``ChatWidgetServer.elements_url`` for a test (override in a module or a test); empty:
    the server's layer keeps element bytes beside the database."""
    return ""


@pytest.fixture
def jp_server_config(db_url: str, elements_url: str, extension_config: dict[str, Any]) -> Config:
    options = {"db_url": db_url, **({"elements_url": elements_url} if elements_url else {})}
    return Config(
        {
            "ServerApp": {"jpserver_extensions": {"chatwidget_server": True}},
            "ChatWidgetServer": {**options, **extension_config},
        }
    )


@pytest.fixture(autouse=True)
def owner_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHATWIDGET_OWNER", ME)


@pytest.fixture
async def seed(db_url: str, elements_url: str, tmp_path: Path) -> AsyncIterator[Seed]:
    # Where the server's layer keeps element bytes: by default, next to the database.
    s = Seed(db_url, storage_from_url(elements_url) if elements_url else tmp_path / "chat-elements")
    yield s
    await s.layer.close()


@pytest.fixture
def call(
    jp_serverapp: Any, http_server_client: Any, jp_auth_header: dict[str, str], jp_base_url: str
) -> Call:
    async def request(
        method: str,
        path: str,
        body: Any = None,
        anonymous: bool = False,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        all_headers = dict(headers or {})
        if not anonymous:
            for key, value in jp_auth_header.items():
                all_headers.setdefault(key, value)
        payload = None
        if body is not None:
            payload = body if isinstance(body, (bytes, str)) else json.dumps(body)
        elif method in ("POST", "PUT", "PATCH"):
            payload = b""
        response = await http_server_client.fetch(
            jp_base_url + path,
            method=method,
            body=payload,
            headers=all_headers,
            raise_error=False,
            follow_redirects=False,
            allow_nonstandard_methods=True,
            request_timeout=20,
        )
        return Reply(response.code, response.headers, response.body or b"")

    return request
