"""An S3-compatible server for element tests (moto's, in a process of its own on loopback).

A pytest plugin (see the root ``conftest.py``): ``moto`` is one server for the whole test
session, ``bucket`` a fresh bucket on it, ``element_storage`` runs a test once on local disk
and once in a bucket. Nothing here is imported or started unless a test asks for it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # imported by the functions that need them: the plugin loads in every test run
    from chatwidget.data.s3 import S3ElementStorage
    from chatwidget.data.storage import ElementStorage

KEY, SECRET = "testing-key", "testing-secret"
STORAGES = ["local", "s3"]


def free_port() -> int:
    """A loopback port nothing listens on (as long as nobody takes it meanwhile)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MotoServer:
    """``moto_server`` in a process of its own, on a free loopback port (or ``port``: a server
    started again where a stopped one was; it starts empty)."""

    def __init__(self, log: Path, port: int | None = None, **env: str) -> None:
        import httpx

        self.port = port or free_port()
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

    def client(self) -> Any:
        return s3_client(self.endpoint)

    def new_bucket(self) -> str:
        name = f"chat-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def url(self, bucket: str) -> str:
        """The bucket as ``$CHATWIDGET_ELEMENTS_URL`` names it (credentials from the environment)."""
        return f"s3://{bucket}?endpoint={self.endpoint}"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def s3_storage(moto: MotoServer, bucket: str, **kwargs: Any) -> S3ElementStorage:
    from chatwidget.data.s3 import S3ElementStorage

    return S3ElementStorage(bucket, access_key=KEY, secret_key=SECRET, endpoint=moto.endpoint, **kwargs)


def stored_names(storage: ElementStorage) -> list[str]:
    """Every object the storage holds, as it names them: ``ab/abcd...`` on disk, keys in a bucket."""
    from chatwidget.data.s3 import S3ElementStorage
    from chatwidget.data.storage import LocalElementStorage

    if isinstance(storage, LocalElementStorage):
        if not storage.root.exists():
            return []
        return sorted(str(p.relative_to(storage.root)) for p in storage.root.rglob("*") if p.is_file())
    assert isinstance(storage, S3ElementStorage) and storage.endpoint
    listed = s3_client(storage.endpoint).list_objects_v2(Bucket=storage.bucket).get("Contents", [])
    return sorted(o["Key"] for o in listed)


def s3_client(endpoint: str) -> Any:
    """boto3's client for the moto server at ``endpoint``: a second opinion on what is stored."""
    import boto3

    return boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id=KEY, aws_secret_access_key=SECRET,
        region_name="us-east-1",
    )  # fmt: skip


@pytest.fixture(scope="session")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    server = MotoServer(tmp_path_factory.mktemp("moto") / "moto.log")
    yield server
    server.stop()


@pytest.fixture
def bucket(moto: MotoServer) -> str:
    """A new, empty bucket: tests never see each other's objects."""
    return moto.new_bucket()


@pytest.fixture
def s3_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reference's credential variables, set to what moto accepts."""
    monkeypatch.setenv("APP_AWS_ACCESS_KEY", KEY)
    monkeypatch.setenv("APP_AWS_SECRET_KEY", SECRET)


@pytest.fixture(params=STORAGES)
def element_storage(request: pytest.FixtureRequest, tmp_path: Path) -> ElementStorage:
    """Runs the test on local disk, then in a bucket of the session's moto server."""
    from chatwidget.data.storage import LocalElementStorage

    if request.param == "local":
        return LocalElementStorage(tmp_path / "elements")
    return s3_storage(request.getfixturevalue("moto"), request.getfixturevalue("bucket"))
