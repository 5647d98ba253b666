"""Element bytes on local disk and in an S3-compatible store (moto's server on loopback).

The same tests run on both; then what only an object store can do wrong: a missing bucket,
credentials the server refuses, a server that is down — each a clear error, and no element
row for bytes that were not stored.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from moto_s3 import KEY, SECRET, MotoServer, free_port, s3_client, s3_storage

from chatwidget.data import DataLayerError, User
from chatwidget.data.s3 import ElementStorageError, S3ElementStorage, s3_storage_from_env
from chatwidget.data.sql import SQLDataLayer
from chatwidget.data.storage import ElementStorage, new_object_key


@pytest.fixture
async def layer(tmp_path: Path, element_storage: ElementStorage) -> AsyncIterator[SQLDataLayer]:
    layer = SQLDataLayer(f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}", storage=element_storage)
    yield layer
    await layer.close()


async def test_round_trip_replace_delete(element_storage: ElementStorage) -> None:
    key = new_object_key()
    assert await element_storage.get(key) is None
    await element_storage.put(key, b"abc")
    assert await element_storage.get(key) == b"abc"
    await element_storage.put(key, b"replaced")
    assert await element_storage.get(key) == b"replaced"
    await element_storage.delete(key)
    await element_storage.delete(key)  # deleting what is gone is fine
    assert await element_storage.get(key) is None


@pytest.mark.parametrize("key", ["../../etc/passwd", "", "A" * 32, "a" * 31 + "/"])
async def test_keys_cannot_name_other_objects(element_storage: ElementStorage, key: str) -> None:
    for call in (element_storage.put(key, b"x"), element_storage.get(key), element_storage.delete(key)):
        with pytest.raises(ValueError, match="invalid storage key"):
            await call


async def test_a_large_object_goes_up_in_parts_and_comes_back_whole(element_storage: ElementStorage) -> None:
    content = os.urandom(1024) * (19 * 1024)  # 19 MiB: three parts of 8 MiB
    key = new_object_key()
    await element_storage.put(key, content)
    assert await element_storage.get(key) == content
    chunks = await element_storage.stream(key)
    assert chunks is not None
    pieces = [c async for c in chunks]
    assert b"".join(pieces) == content and len(pieces) > 1  # read in pieces, not at once
    assert await element_storage.stream(new_object_key()) is None
    if isinstance(element_storage, S3ElementStorage) and element_storage.endpoint:
        client = s3_client(element_storage.endpoint)
        assert not client.list_multipart_uploads(Bucket=element_storage.bucket).get("Uploads")  # none left


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
    storage = s3_storage(moto, "no-such-bucket")
    with pytest.raises(
        ElementStorageError, match=r"s3://no-such-bucket/.*: NoSuchBucket: The specified bucket"
    ):
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
        storage = s3_storage(strict, "any-bucket")
        with pytest.raises(ElementStorageError, match=r"s3://any-bucket/.*: InvalidAccessKeyId: "):
            await storage.put(new_object_key(), b"x")
        with pytest.raises(ElementStorageError):
            await storage.get(new_object_key())
    finally:
        strict.stop()


async def test_a_server_that_is_down_fails_fast(tmp_path: Path) -> None:
    storage = S3ElementStorage(
        "b", access_key=KEY, secret_key=SECRET, endpoint=f"http://127.0.0.1:{free_port()}", timeout=5
    )
    for call in (storage.put(new_object_key(), b"x"), storage.get(new_object_key())):
        with pytest.raises(ElementStorageError, match=r"127\.0\.0\.1"):
            await call


def test_the_reference_variables_configure_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHATWIDGET_ELEMENTS_URL", raising=False)  # it would take precedence
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
