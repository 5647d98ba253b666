"""A chat whose element bytes go to an S3 bucket that fails: the chat says so, naming the
bucket; no element row is written for bytes that were not stored; once the bucket is back,
the element is stored and the conversation goes on."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto_s3 import MotoServer, stored_names

import chatwidget as cw
from chatwidget.data import DataLayerError
from chatwidget.data.sql import SQLDataLayer
from chatwidget.testing import RecordingComm

REPORT = b"quarterly figures"


class BrokenBucket:
    """A bucket that fails until :meth:`fix`: it does not exist yet, or its server is stopped."""

    def __init__(self, how: str, moto: MotoServer, tmp_path: Path) -> None:
        self.how, self.name, self.tmp_path = how, f"chat-{uuid.uuid4().hex[:12]}", tmp_path
        if how == "missing bucket":
            self.server, self.own_server = moto, False
        else:  # a server of its own, with the bucket, stopped before the chat writes
            self.server, self.own_server = MotoServer(tmp_path / "stopped.log"), True
            self.server.client().create_bucket(Bucket=self.name)
            self.server.stop()

    def fix(self) -> None:
        if self.own_server:  # started again on the same port: the storage's endpoint is right again
            self.server = MotoServer(self.tmp_path / "restarted.log", port=self.server.port)
        self.server.client().create_bucket(Bucket=self.name)

    def close(self) -> None:
        if self.own_server:
            self.server.stop()


@pytest.fixture(params=["missing bucket", "stopped server"])
def broken(request: pytest.FixtureRequest, moto: MotoServer, tmp_path: Path) -> Iterator[BrokenBucket]:
    bucket = BrokenBucket(str(request.param), moto, tmp_path)
    yield bucket
    bucket.close()


@pytest.fixture
async def layer(
    broken: BrokenBucket, s3_credentials: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Any:
    # The kernel's own choice of storage, from the URL a deployment sets.
    monkeypatch.setenv("CHATWIDGET_ELEMENTS_URL", broken.server.url(broken.name))
    data = SQLDataLayer(f"sqlite+aiosqlite:///{tmp_path / 'threads.db'}")
    yield data
    await data.close()


@pytest.fixture
def app(recording: list[RecordingComm], layer: SQLDataLayer, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("CHATWIDGET_OWNER", "alice")
    chat = cw.ChatApp(title="Reports", data_layer=layer)

    @chat.on_message
    async def reply(message: cw.Message) -> None:
        if "report" in message.content:
            await cw.Message("here it is", elements=[cw.File(name="report.txt", content=REPORT)]).send()
        else:
            await cw.Message(f"echo: {message.content}").send()

    yield chat
    chat.close()


def _outputs(thread: Any) -> list[str]:
    return [s["output"] for s in thread["steps"] if s["type"].endswith("message")]


async def test_a_failing_bucket_is_reported_in_the_chat_and_leaves_no_element_row(
    app: cw.ChatApp, layer: SQLDataLayer, broken: BrokenBucket
) -> None:
    await app.send_user_message("the report, please")
    with pytest.raises(DataLayerError, match=f"element storage error: could not store s3://{broken.name}/"):
        await app.save()
    assert f"s3://{broken.name}/" in app.storage_error
    why = (
        "NoSuchBucket: The specified bucket does not exist"
        if broken.how == "missing bucket"
        else "error sending"
    )
    assert why in app.storage_error
    assert app.widget is not None and isinstance(app.widget.comm, RecordingComm)
    shown = [u["storage_error"] for u in app.widget.comm.updates() if u.get("storage_error")]
    assert shown and broken.name in shown[-1]  # what the views show under "could not be saved"

    element = app.messages[-1].elements[0]
    thread = await layer.get_thread(app.thread_id)
    assert thread is not None and thread["elements"] == []
    assert await layer.get_element(app.thread_id, element.id) is None
    assert _outputs(thread) == ["the report, please", "here it is"]  # the messages are kept

    broken.fix()
    await app.send_user_message("thanks")
    await app.save()
    assert app.storage_error == ""
    thread = await layer.get_thread(app.thread_id)
    assert thread is not None
    assert _outputs(thread) == ["the report, please", "here it is", "thanks", "echo: thanks"]
    assert [e["id"] for e in thread["elements"]] == [element.id]  # retried, once
    assert await layer.read_element_content(app.thread_id, element.id) == REPORT
    assert len(stored_names(layer.storage)) == 1  # no leftover object from the failed attempts
