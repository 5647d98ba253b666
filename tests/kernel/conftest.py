"""Kernel tests: a recording comm (the pytest plugin's ``chat_views``) stands in for the kernel's comm."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import chatwidget as cw
from chatwidget.testing import RecordingComm


@pytest.fixture
def recording(chat_views: list[RecordingComm]) -> list[RecordingComm]:
    return chat_views


@pytest.fixture
def app(recording: list[RecordingComm]) -> Any:
    a = cw.ChatApp(title="Test", persist=False)  # tests/kernel/test_kernel_threads.py covers persistence
    yield a
    a.close()


@pytest.fixture
def wire(app: cw.ChatApp) -> RecordingComm:
    assert app.widget is not None and isinstance(app.widget.comm, RecordingComm)
    return app.widget.comm


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
