"""Hostile input from a page to the kernel: uploads, prompt answers, unstorable text.

The kernel tests' way: a recording comm stands in for the browser (``wire.browser_sends``);
storage runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from storage_backends import db_url

import chatwidget as cw
from chatwidget.data.sql import SQLDataLayer
from chatwidget.testing import RecordingComm

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.fixture
def app(chat_views: list[RecordingComm]) -> Any:
    a = cw.ChatApp(title="Hostile", persist=False)
    yield a
    a.close()


@pytest.fixture
def wire(app: cw.ChatApp) -> RecordingComm:
    assert app.widget is not None and isinstance(app.widget.comm, RecordingComm)
    return app.widget.comm


def reply_to(wire: RecordingComm, request_id: str) -> dict[str, Any]:
    (reply,) = [r for r in wire.customs("reply") if r["id"] == request_id]
    return reply


async def until(condition: Any, timeout: float = 10.0) -> None:
    async def poll() -> None:
        while not condition():  # noqa: ASYNC110 - the condition is the app's state
            await asyncio.sleep(0.005)

    await asyncio.wait_for(poll(), timeout)


def upload(wire: RecordingComm, request_id: str, name: str, mime: str, data: bytes) -> dict[str, Any]:
    """A whole upload as the page does it; the reply to its last step (start or end)."""
    wire.browser_sends(
        {"id": request_id, "kind": "upload_start", "name": name, "mime": mime, "size": len(data)}
    )
    started = reply_to(wire, request_id)
    if not started["ok"]:
        return started
    upload_id = started["result"]["upload"]
    wire.browser_sends(
        {"id": f"{request_id}-c", "kind": "upload_chunk", "upload": upload_id, "offset": 0}, [data]
    )
    wire.browser_sends({"id": f"{request_id}-e", "kind": "upload_end", "upload": upload_id})
    return reply_to(wire, f"{request_id}-e")


def test_pending_uploads_are_capped_in_count_and_bytes(app: cw.ChatApp, wire: RecordingComm) -> None:
    app.file_upload = {"enabled": True, "accept": ["text/plain"], "max_files": 1, "max_size_mb": 100}
    for n in range(app.chat.uploads.max_files):
        assert upload(wire, f"u{n}", f"{n}.txt", "text/plain", b"x")["ok"]
    over = upload(wire, "one-more", "x.txt", "text/plain", b"x")
    assert not over["ok"] and "waiting" in over["error"]["message"]
    assert len(list(app.chat.uploads.directory.iterdir())) == app.chat.uploads.max_files


def test_pending_bytes_are_capped(app: cw.ChatApp, wire: RecordingComm) -> None:
    app.file_upload = {"enabled": True, "accept": ["text/plain"], "max_files": 1, "max_size_mb": 10_000}
    app.chat.uploads.max_bytes = 1000
    assert upload(wire, "a", "a.txt", "text/plain", b"x" * 600)["ok"]
    wire.browser_sends(
        {"id": "b", "kind": "upload_start", "name": "b.txt", "mime": "text/plain", "size": 600}
    )
    assert not reply_to(wire, "b")["ok"]  # refused before any byte is written


@pytest.mark.parametrize("accept", [["image/*"], ["*/*"], {"image/*": []}, ["image/*", "image/png"]])
def test_svg_is_not_an_image_unless_named(app: cw.ChatApp, wire: RecordingComm, accept: Any) -> None:
    app.file_upload = {"enabled": True, "accept": accept, "max_files": 1, "max_size_mb": 1}
    refused = upload(wire, "svg", "pic.svg", "image/svg+xml", SVG)
    assert not refused["ok"] and "not accepted" in refused["error"]["message"]
    disguised = upload(wire, "svg2", "pic.png", "image/svg+xml", SVG)
    assert not disguised["ok"]


@pytest.mark.parametrize("accept", [["image/svg+xml"], [".svg"]])
def test_svg_is_accepted_where_named(app: cw.ChatApp, wire: RecordingComm, accept: Any) -> None:
    app.file_upload = {"enabled": True, "accept": accept, "max_files": 1, "max_size_mb": 1}
    assert upload(wire, "svg", "pic.svg", "image/svg+xml", SVG)["ok"]


@pytest.mark.parametrize(
    ("name", "mime", "data"),
    [
        ("pic.png", "image/png", SVG),  # markup declared as a PNG
        ("pic.png", "image/png", b"MZ\x90\x00 an executable"),
        ("pic.jpg", "image/jpeg", PNG),
        ("doc.pdf", "application/pdf", b"<html><script>alert(1)</script>"),
        ("pic.heic", "image/heic", b"  <?xml version='1.0'?><svg/>"),
    ],
)
def test_uploads_are_checked_by_their_bytes(
    app: cw.ChatApp, wire: RecordingComm, name: str, mime: str, data: bytes
) -> None:
    app.file_upload = {
        "enabled": True,
        "accept": ["image/*", "application/pdf"],
        "max_files": 1,
        "max_size_mb": 1,
    }
    reply = upload(wire, "u", name, mime, data)
    assert not reply["ok"] and "claims to be" in reply["error"]["message"]
    assert list(app.chat.uploads.directory.iterdir()) == []  # nothing left behind
    assert upload(wire, "good", "pic.png", "image/png", PNG)["ok"]


@pytest.mark.parametrize(
    "mime", ["text/plain\r\nX-Evil: 1", "text/plain\n", "image/png\x00", "text/ plain", "a" * 300]
)
def test_a_type_with_control_characters_is_refused(app: cw.ChatApp, wire: RecordingComm, mime: str) -> None:
    app.file_upload = {"enabled": True, "accept": ["*/*"], "max_files": 1, "max_size_mb": 1}
    reply = upload(wire, "u", "a.txt", mime, b"hi")
    assert not reply["ok"] and reply["error"]["code"] in ("upload", "too_large")


async def test_an_action_reply_does_not_answer_a_text_prompt(app: cw.ChatApp, wire: RecordingComm) -> None:
    got: list[Any] = []

    @app.on_message
    async def main(message: cw.Message) -> None:
        got.append(await cw.AskUserMessage("Your name?", timeout=30).send())

    task = asyncio.ensure_future(app.send_user_message("go"))
    await until(lambda: app.ask)
    ask_id = app.ask["id"]
    wire.browser_sends({"id": "forged", "kind": "ask_reply", "ask": ask_id, "action": "some-action-id"})
    wire.browser_sends({"id": "files", "kind": "ask_reply", "ask": ask_id, "files": []})
    await until(lambda: len(wire.customs("reply")) >= 2)
    assert reply_to(wire, "forged")["error"]["code"] == "bad_answer"
    assert reply_to(wire, "files")["error"]["code"] == "bad_answer"
    assert app.ask and not task.done()  # still waiting for a real answer
    wire.browser_sends({"id": "real", "kind": "ask_reply", "ask": ask_id, "output": "Ada"})
    await asyncio.wait_for(task, 5)
    assert got[0]["output"] == "Ada"


def test_a_request_nested_too_deeply_is_refused(app: cw.ChatApp, wire: RecordingComm) -> None:
    nested: dict[str, Any] = {}
    for _ in range(5000):  # deeper than Python's recursion limit
        nested = {"a": nested}
    wire.browser_sends({"id": "deep", "kind": "element_props", "element": "x", "props": nested})
    assert reply_to(wire, "deep")["error"]["code"] == "bad_request"


__all__ = ["db_url"]  # both backends for the storage test below


@pytest.fixture
async def layer(db_url: str, tmp_path: Path) -> AsyncIterator[SQLDataLayer]:
    data = SQLDataLayer(db_url)
    yield data
    await data.close()


@pytest.fixture
def kept(chat_views: list[RecordingComm], layer: SQLDataLayer, monkeypatch: pytest.MonkeyPatch) -> Any:
    """An app that keeps its threads in ``layer`` and echoes each message."""
    monkeypatch.setenv("CHATWIDGET_OWNER", "alice")
    app = cw.ChatApp(title="Kept", data_layer=layer)

    @app.on_message
    async def echo(message: cw.Message) -> None:
        await cw.Message(f"echo: {message.content}").send()

    yield app
    app.close()


async def stored_outputs(layer: SQLDataLayer, app: cw.ChatApp) -> list[str]:
    stored = await layer.get_thread(app.thread_id)
    assert stored is not None
    return [s["output"] for s in stored["steps"]]


@pytest.mark.parametrize("bad", ["\ud800", "\x00"], ids=["lone-surrogate", "nul"])
async def test_unstorable_text_of_the_app_never_blocks_later_writes(
    kept: cw.ChatApp, layer: SQLDataLayer, bad: str
) -> None:
    await kept.send_user_message(f"broken {bad} text")  # from the app's code: replaced when written
    await kept.save()
    await kept.send_user_message("fine")
    await kept.save()
    assert not kept.storage_error
    outputs = await stored_outputs(layer, kept)
    assert outputs == ["broken \ufffd text", "echo: broken \ufffd text", "fine", "echo: fine"]
    stored = await layer.get_thread(kept.thread_id)
    assert stored is not None and stored["name"] == "broken \ufffd text"


async def send(app: cw.ChatApp, request_id: str, content: str) -> dict[str, Any]:
    """A message typed in the page, answered; the reply to its ``send``."""
    wire = app.widget.comm
    wire.browser_sends({"id": request_id, "kind": "send", "content": content})
    await until(lambda: any(r["id"] == request_id for r in wire.customs("reply")))
    await app.wait()
    return reply_to(wire, request_id)


@pytest.mark.parametrize("bad", ["\ud800", "\x00"], ids=["lone-surrogate", "nul"])
async def test_unstorable_text_from_the_page_is_replaced_and_said_so(
    kept: cw.ChatApp, layer: SQLDataLayer, bad: str
) -> None:
    reply = await send(kept, "s1", f"broken {bad} text {bad}")
    assert reply["ok"] and reply["notice"] == "2 characters that could not be stored were replaced by \ufffd"
    assert kept.messages[0].content == "broken \ufffd text \ufffd"  # what the app and the views see
    await kept.save()
    assert "notice" not in await send(kept, "s2", "fine")
    await kept.save()
    assert not kept.storage_error
    outputs = await stored_outputs(layer, kept)
    assert outputs == ["broken \ufffd text \ufffd", "echo: broken \ufffd text \ufffd", "fine", "echo: fine"]


async def test_an_edit_and_a_feedback_comment_are_replaced_and_said_so(
    kept: cw.ChatApp, layer: SQLDataLayer
) -> None:
    await send(kept, "s1", "first")
    wire = kept.widget.comm
    wire.browser_sends({"id": "e", "kind": "edit", "step": kept.messages[0].id, "content": "uno\x00"})
    await until(lambda: any(r["id"] == "e" for r in wire.customs("reply")))
    await kept.wait()
    answer = kept.messages[-1]
    wire.browser_sends({"id": "f", "kind": "feedback", "step": answer.id, "value": 1, "comment": "ok \ud800"})
    await until(lambda: any(r["id"] == "f" for r in wire.customs("reply")))
    assert reply_to(wire, "e")["notice"] == reply_to(wire, "f")["notice"]
    assert reply_to(wire, "f")["notice"].startswith("1 character")
    await kept.save()
    assert not kept.storage_error
    stored = await layer.get_thread(kept.thread_id)
    assert stored is not None
    assert [s["output"] for s in stored["steps"]] == ["uno\ufffd", "echo: uno\ufffd"]
    (step,) = [s for s in stored["steps"] if s.get("feedback")]
    assert step["feedback"]["comment"] == "ok \ufffd"


async def test_a_rename_from_the_page_is_replaced_and_said_so(kept: cw.ChatApp, layer: SQLDataLayer) -> None:
    await send(kept, "s1", "hello")
    await kept.save()
    wire = kept.widget.comm
    wire.browser_sends({"id": "r", "kind": "rename", "thread": kept.thread_id, "name": "new \ud800 name"})
    await until(lambda: any(r["id"] == "r" for r in wire.customs("reply")))
    reply = reply_to(wire, "r")
    assert reply["ok"], reply
    assert reply["result"] == {"name": "new \ufffd name"} and reply["notice"].startswith("1 character")
    stored = await layer.get_thread(kept.thread_id)
    assert stored is not None and stored["name"] == "new \ufffd name"


#: Records no database of ours takes, whatever their text: a step's metadata its JSON column
#: cannot encode, an element page beyond the integer column's range.
REFUSED = {
    "message": lambda: cw.Message("unsaved", metadata={"when": datetime.now(timezone.utc)}),
    "element": lambda: cw.Message("see it", elements=[cw.Text(name="notes", content="x", page=2**70)]),
}


@pytest.mark.parametrize("refused", list(REFUSED))
async def test_a_record_the_database_refuses_is_dropped_and_never_blocks_later_ones(
    kept: cw.ChatApp, layer: SQLDataLayer, refused: str
) -> None:
    @kept.on_message
    async def answer(message: cw.Message) -> None:
        if message.content == "poison":
            await REFUSED[refused]().send()
        await cw.Message(f"echo: {message.content}").send()

    await send(kept, "s1", "before")
    await kept.save()
    await send(kept, "s2", "poison")
    await send(kept, "s3", "after")
    await kept.save()  # the refused record is dropped, not raised
    await send(kept, "s4", "later")
    await kept.save()
    what = "a message" if refused == "message" else "the element 'notes'"
    assert f"the database refused {what}, which is left out" in kept.storage_error
    with_element = ["see it"] if refused == "element" else []  # only the element is left out
    assert await stored_outputs(layer, kept) == [
        *["before", "echo: before", "poison", *with_element, "echo: poison"],
        *["after", "echo: after", "later", "echo: later"],
    ]
    assert kept.chat.writer is not None and not kept.chat.writer._writable()  # nothing left to retry
