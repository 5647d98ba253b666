"""Server extension tests: a Jupyter server with the chatwidget extension, on a SQLite file.

The server runs in-process (pytest-jupyter's ``jp_serverapp``/``jp_fetch``). Threads are
written straight through a second data layer on the same database (``seed``), as a kernel
would, with whatever owner a test needs; the server's caller is ``CHATWIDGET_OWNER``
(``alice`` unless a test changes it: the variable is read at each request).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pytest_jupyter.jupyter_server import *  # noqa: F403 - pytest-jupyter's fixtures and hooks
from tornado.httputil import HTTPHeaders
from traitlets.config import Config

from chatwidget.data import User
from chatwidget.data.sql import SQLDataLayer
from chatwidget.data.storage import LocalElementStorage

ME = "alice"
OTHER = "mallory"


class Seed:
    """Writes threads, steps and elements as a kernel of ``owner`` would."""

    def __init__(self, url: str, elements: Path) -> None:
        self.layer = SQLDataLayer(url, storage=LocalElementStorage(elements))

    async def thread(
        self,
        owner: str = ME,
        name: str = "A chat",
        steps: list[dict[str, Any]] | None = None,
        metadata: dict[str, Any] | None = None,
        thread_id: str | None = None,
    ) -> str:
        thread_id = thread_id or str(uuid.uuid4())
        user = await self.layer.create_user(User(identifier=owner))
        await self.layer.update_thread(thread_id, name=name, user_id=user.id, metadata=metadata)
        if steps is None:
            steps = [
                {"name": "user", "type": "user_message", "output": "hello"},
                {"name": "Assistant", "type": "assistant_message", "output": "hi there"},
            ]
        for i, step in enumerate(steps):
            full = {"id": str(uuid.uuid4()), "threadId": thread_id, **step}
            full.setdefault("createdAt", f"2024-01-01T00:00:{i:02d}.000Z")
            await self.layer.create_step(full)  # type: ignore[arg-type]
        return thread_id

    async def element(
        self, thread_id: str, content: bytes, mime: str, name: str = "file", element_id: str | None = None
    ) -> str:
        element_id = element_id or str(uuid.uuid4())
        await self.layer.create_element(
            {"id": element_id, "threadId": thread_id, "type": "file", "name": name, "mime": mime},
            content,
        )
        return element_id


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
def jp_server_config(db_url: str, extension_config: dict[str, Any]) -> Config:
    return Config(
        {
            "ServerApp": {"jpserver_extensions": {"chatwidget_server": True}},
            "ChatWidgetServer": {"db_url": db_url, **extension_config},
        }
    )


@pytest.fixture(autouse=True)
def owner_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHATWIDGET_OWNER", ME)


@pytest.fixture
async def seed(db_url: str, tmp_path: Path) -> AsyncIterator[Seed]:
    # The server's layer keeps its element bytes next to the database: the same place.
    s = Seed(db_url, tmp_path / "chat-elements")
    yield s
    await s.layer.close()


@dataclass
class Reply:
    code: int
    headers: HTTPHeaders
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


#: ``call(method, path, body=None, anonymous=False, headers=None)``: a request to
#: ``{base_url}<path>`` (``path`` sent as written: no escaping), whatever the status.
Call = Callable[..., Awaitable[Reply]]


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
