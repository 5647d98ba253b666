"""Element bytes on local disk and in an S3-compatible store (moto's server on loopback).

The same tests run on both; then what only an object store can do wrong: a missing bucket,
credentials the server refuses, a server that is down — each a clear error, and no element
row for bytes that were not stored.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import boto3
import httpx
import pytest

from chatwidget.data import DataLayerError, User
from chatwidget.data.s3 import ElementStorageError, S3ElementStorage, s3_storage_from_env
from chatwidget.data.sql import SQLDataLayer
from chatwidget.data.storage import ElementStorage, LocalElementStorage, new_object_key

KEY, SECRET = "testing-key", "testing-secret"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MotoServer:
    """``moto_server`` in a process of its own, on a free loopback port."""

    def __init__(self, log: Path, **env: str) -> None:
        self.port = _free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            env={**os.environ, **env},
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"moto_server exited:\n{log.read_text()}")
            try:
                httpx.get(self.endpoint + "/moto-api/", timeout=2)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("moto_server did not start")

    def client(self) -> object:
        return boto3.client(
            "s3", endpoint_url=self.endpoint, aws_access_key_id=KEY, aws_secret_access_key=SECRET,
            region_name="us-east-1",
        )  # fmt: skip

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    server = MotoServer(tmp_path_factory.mktemp("moto") / "moto.log")
    yield server
    server.stop()


@pytest.fixture
def bucket(moto: MotoServer) -> str:
    name = f"chat-{uuid.uuid4().hex[:12]}"
    moto.client().create_bucket(Bucket=name)  # type: ignore[attr-defined]
    return name


def s3(moto: MotoServer, bucket: str, **kwargs: object) -> S3ElementStorage:
    return S3ElementStorage(
        bucket,
        access_key=KEY,
        secret_key=SECRET,
        endpoint=moto.endpoint,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> ElementStorage:
    if request.param == "local":
        return LocalElementStorage(tmp_path / "elements")
    return s3(request.getfixturevalue("moto"), request.getfixturevalue("bucket"))


@pytest.fixture
async def layer(tmp_path: Path, storage: ElementStorage) -> AsyncIterator[SQLDataLayer]:
    layer = SQLDataLayer(f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}", storage=storage)
    yield layer
    await layer.close()


async def test_round_trip_replace_delete(storage: ElementStorage) -> None:
    key = new_object_key()
    assert await storage.get(key) is None
    await storage.put(key, b"abc")
    assert await storage.get(key) == b"abc"
    await storage.put(key, b"replaced")
    assert await storage.get(key) == b"replaced"
    await storage.delete(key)
    await storage.delete(key)  # deleting what is gone is fine
    assert await storage.get(key) is None


@pytest.mark.parametrize("key", ["../../etc/passwd", "", "A" * 32, "a" * 31 + "/"])
async def test_keys_cannot_name_other_objects(storage: ElementStorage, key: str) -> None:
    for call in (storage.put(key, b"x"), storage.get(key), storage.delete(key)):
        with pytest.raises(ValueError, match="invalid storage key"):
            await call


async def test_a_large_object_goes_up_in_parts_and_comes_back_whole(storage: ElementStorage) -> None:
    content = os.urandom(1024) * (19 * 1024)  # 19 MiB: three parts of 8 MiB
    key = new_object_key()
    await storage.put(key, content)
    assert await storage.get(key) == content
    chunks = await storage.stream(key)
    assert chunks is not None
    pieces = [c async for c in chunks]
    assert b"".join(pieces) == content and len(pieces) > 1  # read in pieces, not at once
    assert await storage.stream(new_object_key()) is None
    if isinstance(storage, S3ElementStorage):
        moto, bucket = storage.endpoint, storage.bucket
        client = boto3.client("s3", endpoint_url=moto, aws_access_key_id=KEY, aws_secret_access_key=SECRET,
                              region_name="us-east-1")  # fmt: skip
        assert not client.list_multipart_uploads(Bucket=bucket).get("Uploads")  # completed, none left


async def test_elements_through_the_data_layer(layer: SQLDataLayer) -> None:
    user = await layer.create_user(User("alice"))
    await layer.update_thread("t1", user_id=user.id, create=True)
    await layer.create_element({"id": "e1", "threadId": "t1", "type": "file", "name": "a"}, b"bytes")
    assert await layer.read_element_content("t1", "e1") == b"bytes"
    assert await layer.read_element_content("other", "e1") is None
    key = (await layer.get_element("t1", "e1") or {}).get("objectKey")
    assert key and await layer.storage.get(key) == b"bytes"
    await layer.delete_thread("t1")
    assert await layer.storage.get(key) is None  # the bytes go with the thread


async def test_a_missing_bucket_is_a_clear_error_and_nothing_is_written(
    moto: MotoServer, tmp_path: Path
) -> None:
    storage = s3(moto, "no-such-bucket")
    with pytest.raises(ElementStorageError, match="s3://no-such-bucket/"):
        await storage.put(new_object_key(), b"x")
    layer = SQLDataLayer(f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}", storage=storage)
    try:
        await layer.update_thread("t1", create=True)
        with pytest.raises(DataLayerError, match=r"element storage error.*no-such-bucket"):
            await layer.create_element({"id": "e1", "threadId": "t1", "type": "file"}, b"x")
        assert await layer.get_element("t1", "e1") is None  # no row for bytes never stored
    finally:
        await layer.close()


async def test_credentials_the_server_refuses(tmp_path: Path) -> None:
    # A server that checks signatures from the first request, and knows no such key.
    strict = MotoServer(tmp_path / "strict.log", INITIAL_NO_AUTH_ACTION_COUNT="0")
    try:
        storage = s3(strict, "any-bucket")
        with pytest.raises(ElementStorageError, match="s3://any-bucket/"):
            await storage.put(new_object_key(), b"x")
        with pytest.raises(ElementStorageError):
            await storage.get(new_object_key())
    finally:
        strict.stop()


async def test_a_server_that_is_down_fails_fast(tmp_path: Path) -> None:
    storage = S3ElementStorage(
        "b", access_key=KEY, secret_key=SECRET, endpoint=f"http://127.0.0.1:{_free_port()}", timeout=5
    )
    for call in (storage.put(new_object_key(), b"x"), storage.get(new_object_key())):
        with pytest.raises(ElementStorageError, match=r"127\.0\.0\.1"):
            await call


def test_the_reference_variables_configure_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BUCKET_NAME", raising=False)
    assert s3_storage_from_env() is None
    monkeypatch.setenv("BUCKET_NAME", "chat-files")
    monkeypatch.setenv("APP_AWS_ACCESS_KEY", "ak")
    monkeypatch.setenv("APP_AWS_SECRET_KEY", "sk")
    monkeypatch.setenv("APP_AWS_REGION", "eu-west-3")
    monkeypatch.setenv("DEV_AWS_ENDPOINT", "http://127.0.0.1:9")
    storage = s3_storage_from_env()
    assert storage is not None and storage.bucket == "chat-files" and storage.endpoint == "http://127.0.0.1:9"
    assert isinstance(SQLDataLayer("sqlite+aiosqlite://").storage, S3ElementStorage)
