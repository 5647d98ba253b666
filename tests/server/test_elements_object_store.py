"""Element downloads from an S3-compatible store: streamed with the usual headers, and 503
with the generic body when the store fails (details in the log)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import boto3
import httpx
import pytest
from chatwidget_server._files import FILE_CSP
from server_support import Call, Seed

from chatwidget.data.sql import SQLDataLayer


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


@pytest.fixture(scope="module")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's S3 server on a free loopback port, with a bucket ``chat-files``."""
    port = _closed_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(endpoint + "/moto-api/", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        boto3.client(
            "s3", endpoint_url=endpoint, aws_access_key_id="ak", aws_secret_access_key="sk",
            region_name="us-east-1",
        ).create_bucket(Bucket="chat-files")  # fmt: skip
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(10)


async def test_a_large_element_comes_down_from_s3_with_the_same_headers(
    call: Call, seed: Seed, monkeypatch: pytest.MonkeyPatch, moto_endpoint: str, db_url: str
) -> None:
    for name, value in [("BUCKET_NAME", "chat-files"), ("APP_AWS_ACCESS_KEY", "ak"),
                        ("APP_AWS_SECRET_KEY", "sk"), ("DEV_AWS_ENDPOINT", moto_endpoint)]:  # fmt: skip
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
