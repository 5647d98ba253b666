"""Element downloads when the object store fails: 503 with the generic body, details in the log."""

from __future__ import annotations

import socket

import pytest
from server_support import Call, Seed


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_an_object_store_that_is_down_answers_503(
    call: Call, seed: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    thread_id = await seed.thread()
    element_id = await seed.element(thread_id, b"\x89PNG", "image/png", name="p.png")
    # The server's layer picks its element storage at first use: an S3 server nobody runs.
    monkeypatch.setenv("BUCKET_NAME", "chat-files")
    monkeypatch.setenv("APP_AWS_ACCESS_KEY", "ak")
    monkeypatch.setenv("APP_AWS_SECRET_KEY", "sk")
    monkeypatch.setenv("DEV_AWS_ENDPOINT", f"http://127.0.0.1:{_closed_port()}")
    reply = await call("GET", f"chatwidget/api/threads/{thread_id}/elements/{element_id}/file")
    assert reply.code == 503
    assert reply.json() == {"message": "Storage is unavailable; try again later"}
    assert b"127.0.0.1" not in reply.body and "Content-Disposition" not in reply.headers
