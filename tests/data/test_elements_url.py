"""``$CHATWIDGET_ELEMENTS_URL``: which element storage a URL names, what wins over what, what is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from moto_s3 import MotoServer, stored_names

from chatwidget.data.s3 import S3ElementStorage
from chatwidget.data.sql import SQLDataLayer
from chatwidget.data.storage import LocalElementStorage, new_object_key
from chatwidget.data.storage_url import ElementsURLError, configured_storage, storage_from_url

REFERENCE_VARIABLES = [
    "BUCKET_NAME",
    "APP_AWS_ACCESS_KEY",
    "APP_AWS_SECRET_KEY",
    "APP_AWS_REGION",
    "DEV_AWS_ENDPOINT",
]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ["CHATWIDGET_ELEMENTS_URL", *REFERENCE_VARIABLES]:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("url", "root"),
    [
        ("file:///srv/chat/elements", "/srv/chat/elements"),
        ("file://localhost/srv/chat/elements", "/srv/chat/elements"),
        ("file:///srv/chat%20files", "/srv/chat files"),
        ("/srv/chat/elements", "/srv/chat/elements"),
        ("  /srv/chat/elements\n", "/srv/chat/elements"),
    ],
)
def test_a_file_url_or_a_path_is_a_local_directory(url: str, root: str) -> None:
    storage = storage_from_url(url)
    assert isinstance(storage, LocalElementStorage) and storage.root == Path(root)


def test_a_relative_path_is_taken_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    storage = storage_from_url("elements")
    assert isinstance(storage, LocalElementStorage) and storage.root == tmp_path / "elements"


def test_an_s3_url_names_bucket_prefix_endpoint_and_region(monkeypatch: pytest.MonkeyPatch) -> None:
    plain = storage_from_url("s3://chat-files")
    assert isinstance(plain, S3ElementStorage)
    assert (plain.bucket, plain.prefix, plain.endpoint) == ("chat-files", "elements/", None)
    assert plain._options == {"region": "us-east-1"}  # no credentials given: the AWS chain's

    monkeypatch.setenv("APP_AWS_ACCESS_KEY", "ak")
    monkeypatch.setenv("APP_AWS_SECRET_KEY", "sk")
    full = storage_from_url("s3://chat-files/team/a/?endpoint=http://127.0.0.1:9000&region=eu-west-3")
    assert isinstance(full, S3ElementStorage)
    assert (full.bucket, full.prefix, full.endpoint) == ("chat-files", "team/a/", "http://127.0.0.1:9000")
    assert full._options["region"] == "eu-west-3"
    assert (full._options["access_key_id"], full._options["secret_access_key"]) == ("ak", "sk")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://host/elements", "unknown scheme 'ftp'"),
        ("https://bucket.s3.amazonaws.com", "unknown scheme 'https'"),
        ("s3://", "no bucket"),
        ("s3:chat-files", "no bucket"),
        ("s3://chat-files:9000", "invalid bucket name"),
        ("s3://chat files", "invalid bucket name"),
        ("s3://chat-files/../other", "invalid prefix"),
        ("s3://chat-files?token=x", "unknown parameter 'token'"),
        ("s3://chat-files?region=", "parameter 'region' is empty"),
        ("s3://chat-files?region=a&region=b", "given twice"),
        ("s3://chat-files?region=EU%20West", "invalid region"),
        ("s3://chat-files?endpoint=minio:9000", "endpoint= needs an http:// or https:// URL"),
        ("s3://chat-files#x", "no #fragment"),
        ("s3://[::1", "not a URL"),
        ("file://fileserver/share", "not host 'fileserver'"),
        ("file:relative/dir", "absolute path"),
        ("file:///srv/elements?mode=x", "takes no parameters"),
    ],
)
def test_a_url_that_names_no_storage_is_refused_naming_the_setting(url: str, reason: str) -> None:
    with pytest.raises(ElementsURLError, match=r"^CHATWIDGET_ELEMENTS_URL") as caught:
        storage_from_url(url)
    assert reason in str(caught.value)
    with pytest.raises(ElementsURLError, match=r"^ChatWidgetServer\.elements_url"):
        storage_from_url(url, setting="ChatWidgetServer.elements_url")


@pytest.mark.parametrize(
    "url",
    [
        "s3://AKIAEXAMPLE:wJalrXUtnFEMI@chat-files",
        "s3://AKIAEXAMPLE@chat-files",
        "s3://AKIAEXAMPLE:wJalr/XUtnFEMI@chat-files",  # a secret with a '/': still refused
        "s3://chat-files?endpoint=http://AKIAEXAMPLE:wJalrXUtnFEMI@127.0.0.1:9000",
        "file://user:wJalrXUtnFEMI@localhost/srv",
    ],
)
def test_credentials_in_the_url_are_refused_without_repeating_them(url: str) -> None:
    with pytest.raises(ElementsURLError) as caught:
        storage_from_url(url)
    message = str(caught.value)
    assert "must not carry credentials" in message and "APP_AWS_ACCESS_KEY" in message
    assert "wJalr" not in message and "AKIAEXAMPLE" not in message


def test_the_url_wins_over_the_reference_variables(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert configured_storage() is None  # nothing set: the data layer's own directory
    local = SQLDataLayer(f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}").storage
    assert isinstance(local, LocalElementStorage) and local.root == tmp_path / "chat-elements"

    monkeypatch.setenv("BUCKET_NAME", "from-variables")
    reference = configured_storage()
    assert isinstance(reference, S3ElementStorage) and reference.bucket == "from-variables"

    monkeypatch.setenv("CHATWIDGET_ELEMENTS_URL", f"file://{tmp_path}/by-url")
    by_url = SQLDataLayer(f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}").storage
    assert isinstance(by_url, LocalElementStorage) and by_url.root == tmp_path / "by-url"

    monkeypatch.setenv("CHATWIDGET_ELEMENTS_URL", "s3://from-url")
    by_url_s3 = configured_storage()
    assert isinstance(by_url_s3, S3ElementStorage) and by_url_s3.bucket == "from-url"
    given = configured_storage("s3://given")  # a setting given explicitly beats the variable
    assert isinstance(given, S3ElementStorage) and given.bucket == "given"

    monkeypatch.setenv("CHATWIDGET_ELEMENTS_URL", "   ")  # blank is unset
    assert isinstance(configured_storage(), S3ElementStorage)


def test_a_bad_url_fails_the_first_element_write_with_the_setting_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CHATWIDGET_ELEMENTS_URL", "s4://chat-files")
    with pytest.raises(ElementsURLError, match="CHATWIDGET_ELEMENTS_URL: unknown scheme 's4'"):
        SQLDataLayer(f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}").storage  # noqa: B018


async def test_a_round_trip_through_a_bucket_named_by_the_url(
    monkeypatch: pytest.MonkeyPatch, moto: MotoServer, bucket: str, s3_credentials: None, tmp_path: Path
) -> None:
    monkeypatch.setenv(
        "CHATWIDGET_ELEMENTS_URL", f"s3://{bucket}/chat?endpoint={moto.endpoint}&region=us-east-1"
    )
    layer = SQLDataLayer(f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}")
    try:
        await layer.update_thread("t1", create=True)
        await layer.create_element({"id": "e1", "threadId": "t1", "type": "file", "name": "a"}, b"bytes")
        assert await layer.read_element_content("t1", "e1") == b"bytes"
        key = (await layer.get_element("t1", "e1") or {}).get("objectKey")
        assert stored_names(layer.storage) == [f"chat/{key}"]  # under the URL's prefix
        await layer.delete_element("e1")
        assert stored_names(layer.storage) == []
    finally:
        await layer.close()
    direct = storage_from_url(moto.url(bucket))
    other_key = new_object_key()
    await direct.put(other_key, b"x")
    assert stored_names(direct) == [f"elements/{other_key}"]
