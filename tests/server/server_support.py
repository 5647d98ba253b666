"""Helpers of the server tests (a module name of its own: ``conftest`` is ambiguous across test folders)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tornado.httputil import HTTPHeaders

from chatwidget.data import User
from chatwidget.data.sql import SQLDataLayer
from chatwidget.data.storage import ElementStorage, LocalElementStorage

ME = "alice"
OTHER = "mallory"


class Seed:
    """Writes threads, steps and elements as a kernel of ``owner`` would."""

    def __init__(self, url: str, elements: Path | ElementStorage) -> None:
        storage = LocalElementStorage(elements) if isinstance(elements, Path) else elements
        self.layer = SQLDataLayer(url, storage=storage)

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
        await self.layer.update_thread(thread_id, name=name, user_id=user.id, metadata=metadata, create=True)
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


# on_shared_thread_view callbacks, named by import string in the share tests.
def allow_public_profile(thread: dict[str, Any], viewer: Any) -> bool:
    return (thread.get("metadata") or {}).get("chat_profile") == "public"


async def async_allow_viewers(thread: dict[str, Any], viewer: Any) -> bool:
    return viewer is not None and viewer.identifier == "alice"


def raising_check(thread: dict[str, Any], viewer: Any) -> bool:
    raise RuntimeError("boom")
