"""Element downloads from an S3-compatible store: streamed with the usual headers, and 503
with the generic body when the store fails (details in the log)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from chatwidget_server._files import FILE_CSP
from moto_s3 import MotoServer, free_port
from server_support import Call, Seed

from chatwidget.data.sql import SQLDataLayer


async def test_an_object_store_that_is_down_answers_503(
    call: Call, seed: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    thread_id = await seed.thread()
    element_id = await seed.element(thread_id, b"\x89PNG", "image/png", name="p.png")
    # The server's layer picks its element storage at first use: an S3 server nobody runs.
    monkeypatch.setenv("BUCKET_NAME", "chat-files")
    monkeypatch.setenv("APP_AWS_ACCESS_KEY", "ak")
    monkeypatch.setenv("APP_AWS_SECRET_KEY", "sk")
    monkeypatch.setenv("DEV_AWS_ENDPOINT", f"http://127.0.0.1:{free_port()}")
    reply = await call("GET", f"chatwidget/api/threads/{thread_id}/elements/{element_id}/file")
    assert reply.code == 503
    assert reply.json() == {"message": "Storage is unavailable; try again later"}
    assert b"127.0.0.1" not in reply.body and "Content-Disposition" not in reply.headers


async def test_a_large_element_comes_down_from_s3_with_the_same_headers(
    call: Call, seed: Seed, monkeypatch: pytest.MonkeyPatch, moto: MotoServer, bucket: str, db_url: str
) -> None:
    for name, value in [("BUCKET_NAME", bucket), ("APP_AWS_ACCESS_KEY", "ak"),
                        ("APP_AWS_SECRET_KEY", "sk"), ("DEV_AWS_ENDPOINT", moto.endpoint)]:  # fmt: skip
        monkeypatch.setenv(name, value)
    content = os.urandom(1024) * (12 * 1024)  # 12 MiB: two parts up, several chunks down
    thread_id = await seed.thread()
    kernel = SQLDataLayer(db_url)  # as a kernel writes it: the bucket, from the same variables
    try:
        element_id = "big-element"
        await kernel.create_element(
            {
                "id": element_id,
                "threadId": thread_id,
                "type": "file",
                "name": "big.html",
                "mime": "text/html",
            },
            content,
        )
    finally:
        await kernel.close()
    reply = await call("GET", f"chatwidget/api/threads/{thread_id}/elements/{element_id}/file")
    assert reply.code == 200 and reply.body == content
    assert reply.headers["Content-Type"] == "application/octet-stream"
    assert reply.headers["Content-Disposition"].startswith('attachment; filename="big.html"')
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.headers["Content-Security-Policy"] == FILE_CSP  # as for a file on disk
    assert reply.headers["Cache-Control"] == "private, no-store"


class TestABucketThatDoesNotExist:
    @pytest.fixture
    def elements_url(self, moto: MotoServer, s3_credentials: None) -> str:
        return moto.url("no-such-bucket")

    async def test_downloads_answer_503(self, call: Call, db_url: str, tmp_path: Path) -> None:
        # The row is written by a layer whose bytes go elsewhere: the server's bucket is missing.
        elsewhere = Seed(db_url, tmp_path / "elsewhere")
        try:
            thread_id = await elsewhere.thread()
            element_id = await elsewhere.element(thread_id, b"\x89PNG", "image/png")
        finally:
            await elsewhere.layer.close()
        reply = await call("GET", f"chatwidget/api/threads/{thread_id}/elements/{element_id}/file")
        assert reply.code == 503
        assert reply.json() == {"message": "Storage is unavailable; try again later"}
        assert b"no-such-bucket" not in reply.body
