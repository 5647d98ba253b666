"""Compatibility tests: reference code (Chainlit's API) run as chatwidget apps.

``browser`` gives an app whose comm is answered as the front end would: ``send(kind,
**fields)`` makes a request and returns its reply once the kernel settled it.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import comm
import pytest
from comm import DummyComm

import chatwidget as cw

_ids = itertools.count()


class BrowserComm(DummyComm):
    def __init__(self, **kwargs: Any) -> None:
        self.replies: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        super().__init__(**kwargs)

    def publish_msg(self, msg_type: str, data: Any = None, *args: Any, **kwargs: Any) -> None:
        if isinstance(data, dict) and data.get("method") == "custom":
            content = data["content"]
            if content.get("kind") == "reply":
                self.replies[content["id"]] = content
            else:
                self.events.append(content)

    async def send_request(
        self, kind: str, buffers: list[bytes] | None = None, **fields: Any
    ) -> dict[str, Any]:
        request_id = f"t{next(_ids)}"
        # ``for_`` stands for the wire's ``for`` (a Python keyword).
        content = {"id": request_id, "kind": kind, **{k.rstrip("_"): v for k, v in fields.items()}}
        self.handle_msg(
            {"content": {"data": {"method": "custom", "content": content}}, "buffers": buffers or []}
        )
        await until(lambda: request_id in self.replies, f"the reply to {kind}")
        return self.replies[request_id]


async def until(condition: Any, what: str, timeout: float = 10.0) -> None:
    """Wait for the app's state to meet ``condition``, bounded in time."""

    async def poll() -> None:
        while not condition():  # noqa: ASYNC110 - the condition is the app's state, not an event
            await asyncio.sleep(0.005)

    try:
        await asyncio.wait_for(poll(), timeout)
    except asyncio.TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


@pytest.fixture
def browser_app(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A ChatApp whose comm is a browser double; ``app.comm.send_request(kind, ...)``."""
    monkeypatch.setattr(comm, "create_comm", BrowserComm)
    apps: list[cw.ChatApp] = []

    def make(app: cw.ChatApp | None = None, **kwargs: Any) -> cw.ChatApp:
        app = app or cw.ChatApp(persist=False, **kwargs)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()


@pytest.fixture
def chainlit_file(tmp_path: Any) -> Any:
    """``chainlit_file(source, name="app.py")``: a Chainlit app file in a project folder."""

    def write(source: str, name: str = "app.py") -> Any:
        path = tmp_path / name
        path.write_text(source)
        return path

    return write
