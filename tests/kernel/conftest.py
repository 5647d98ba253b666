"""Kernel tests: a recording comm stands in for the Jupyter kernel's comm."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import comm
import pytest
from comm import DummyComm

import chatwidget as cw


class RecordingComm(DummyComm):
    """Keeps every message the widget publishes, with its size as it would travel."""

    def __init__(self, **kwargs: Any) -> None:
        self.sent: list[dict[str, Any]] = []
        super().__init__(**kwargs)

    def publish_msg(
        self, msg_type: str, data: Any = None, metadata: Any = None, buffers: Any = None, **keys: Any
    ) -> None:
        self.sent.append({"msg_type": msg_type, "data": data, "bytes": len(json.dumps(data, default=str))})

    # -- reading what was sent ----------------------------------------------------------
    def updates(self) -> list[dict[str, Any]]:
        return [m["data"]["state"] for m in self.sent if m["data"] and m["data"].get("method") == "update"]

    def customs(self, kind: str | None = None) -> list[dict[str, Any]]:
        out = [m["data"]["content"] for m in self.sent if m["data"] and m["data"].get("method") == "custom"]
        return [c for c in out if kind is None or c.get("kind") == kind]

    def clear(self) -> None:
        self.sent.clear()

    # -- acting as the browser ------------------------------------------------------------
    def browser_sends(self, content: Any) -> None:
        self.handle_msg({"content": {"data": {"method": "custom", "content": content}}, "buffers": []})


@pytest.fixture
def recording(monkeypatch: pytest.MonkeyPatch) -> list[RecordingComm]:
    comms: list[RecordingComm] = []

    def create_comm(**kwargs: Any) -> RecordingComm:
        c = RecordingComm(**kwargs)
        comms.append(c)
        return c

    monkeypatch.setattr(comm, "create_comm", create_comm)
    return comms


@pytest.fixture
def app(recording: list[RecordingComm]) -> Any:
    a = cw.ChatApp(title="Test", persist=False)  # tests/kernel/test_kernel_threads.py covers persistence
    yield a
    a.close()


@pytest.fixture
def wire(app: cw.ChatApp) -> RecordingComm:
    assert isinstance(app.comm, RecordingComm)
    return app.comm


@pytest.fixture
def until() -> Any:
    """``await until(lambda: condition)``: poll the app's state, bounded in time."""

    async def wait(condition: Any, timeout: float = 10.0) -> None:
        async def poll() -> None:
            while not condition():  # noqa: ASYNC110 - the condition is the app's state, not an event
                await asyncio.sleep(0.005)

        await asyncio.wait_for(poll(), timeout)

    return wait


@pytest.fixture
def replied() -> Any:
    """``await until(replied(wire, "id1", "id2"))``: those requests got their reply."""

    def condition(wire: RecordingComm, *request_ids: str) -> Any:
        return lambda: {r["id"] for r in wire.customs("reply")} >= set(request_ids)

    return condition
