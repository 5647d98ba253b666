"""Element downloads: owner only, read by (thread, element), with headers that keep files inert.

Every test runs twice, the server's element storage named by ``elements_url`` as a
deployment names it: a directory (``file://``), then a bucket on moto's S3 server (``s3://``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from chatwidget_server.app import ChatWidgetServer
from moto_s3 import STORAGES
from server_support import OTHER, Call, Seed

from chatwidget.data.s3 import S3ElementStorage
from chatwidget.data.sql import SQLDataLayer
from chatwidget.data.storage import LocalElementStorage
from chatwidget.data.storage_url import ElementsURLError

API = "chatwidget/api/threads"


@pytest.fixture(params=STORAGES)
def elements_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "local":
        return f"file://{tmp_path}/elements"
    request.getfixturevalue("s3_credentials")  # read by the server's layer and the seed's alike
    return str(request.getfixturevalue("moto").url(request.getfixturevalue("bucket")))


ACTIVE = [
    ("text/html", "page.html", b"<script>alert(1)</script>"),
    ("image/svg+xml", "pic.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    ("application/xml", "a.xml", b"<a/>"),
    ("text/javascript", "a.js", b"alert(1)"),
    ("application/xhtml+xml", "a.xhtml", b"<html/>"),
    (None, "unknown.bin", b"\x00\x01"),
    ("text/html; charset=utf-8", "b.html", b"<b>x</b>"),
    ("IMAGE/SVG+XML", "c.svg", b"<svg/>"),
]
PASSIVE = [
    ("image/png", "plot.png", b"\x89PNG\r\n"),
    ("application/pdf", "doc.pdf", b"%PDF-1.4"),
    ("text/plain", "notes.txt", b"plain <b>text</b>"),
    ("audio/mpeg", "a.mp3", b"ID3"),
    ("video/mp4", "v.mp4", b"\x00\x00\x00\x18ftyp"),
]


def _file(thread_id: str, element_id: str) -> str:
    return f"{API}/{thread_id}/elements/{element_id}/file"


@pytest.mark.parametrize(("mime", "name", "content"), ACTIVE)
async def test_active_types_are_attachments(
    call: Call, seed: Seed, mime: str | None, name: str, content: bytes
) -> None:
    thread_id = await seed.thread()
    element_id = await seed.element(thread_id, content, mime or "", name=name)
    reply = await call("GET", _file(thread_id, element_id))
    assert reply.code == 200
    assert reply.body == content
    assert reply.headers["Content-Type"] == "application/octet-stream"
    assert reply.headers["Content-Disposition"].startswith("attachment;")
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.headers["Content-Security-Policy"] == "sandbox; default-src 'none'; frame-ancestors 'none'"


@pytest.mark.parametrize(("mime", "name", "content"), PASSIVE)
async def test_passive_types_are_inline(call: Call, seed: Seed, mime: str, name: str, content: bytes) -> None:
    thread_id = await seed.thread()
    element_id = await seed.element(thread_id, content, mime, name=name)
    reply = await call("GET", _file(thread_id, element_id))
    assert reply.code == 200 and reply.body == content
    assert reply.headers["Content-Type"].split(";")[0] == mime
    assert reply.headers["Content-Disposition"].startswith("inline;")
    assert f'filename="{name}"' in reply.headers["Content-Disposition"]
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.headers["Content-Security-Policy"] == "sandbox; default-src 'none'; frame-ancestors 'none'"
    assert "no-store" in reply.headers["Cache-Control"]


async def test_hostile_file_names_are_neutralized(call: Call, seed: Seed) -> None:
    thread_id = await seed.thread()
    element_id = await seed.element(thread_id, b"x", "text/plain", name='a"\r\nSet-Cookie: x=1;/../é.txt')
    reply = await call("GET", _file(thread_id, element_id))
    disposition = reply.headers["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition
    assert "Set-Cookie" not in reply.headers or "x=1" not in reply.headers.get("Set-Cookie", "")
    assert '"' not in disposition.split('filename="')[1].rstrip('"').split('";')[0]
    assert "filename*=UTF-8''" in disposition and "%C3%A9" in disposition


async def test_large_files_arrive_whole(call: Call, seed: Seed) -> None:
    content = bytes(range(256)) * 2048  # 512 KiB, several chunks
    thread_id = await seed.thread()
    element_id = await seed.element(thread_id, content, "image/png")
    reply = await call("GET", _file(thread_id, element_id))
    assert reply.body == content


async def test_only_the_owner_downloads(call: Call, seed: Seed) -> None:
    theirs = await seed.thread(owner=OTHER)
    their_element = await seed.element(theirs, b"secret", "image/png")
    mine = await seed.thread()
    a = await call("GET", _file(theirs, their_element))
    # Their element through my thread id: elements are looked up within the thread.
    b = await call("GET", _file(mine, their_element))
    c = await call("GET", _file(mine, "0c9b5cf2-9f2a-4a57-9d0e-3f3c4b6a0000"))
    assert a.code == b.code == c.code == 404
    assert a.body == b.body == c.body
    assert b"secret" not in a.body + b.body


async def test_an_element_without_bytes_is_404(call: Call, seed: Seed) -> None:
    thread_id = await seed.thread()
    await seed.layer.create_element(
        {"id": "e-url-only", "threadId": thread_id, "type": "image", "name": "x", "url": "file:///etc/passwd"}
    )
    assert (await call("GET", _file(thread_id, "e-url-only"))).code == 404


async def test_anonymous_download_is_refused(call: Call, seed: Seed) -> None:
    thread_id = await seed.thread()
    element_id = await seed.element(thread_id, b"x", "image/png")
    reply = await call("GET", _file(thread_id, element_id), anonymous=True)
    assert reply.code == 403
    assert reply.body != b"x"


async def test_the_server_keeps_element_bytes_where_elements_url_says(
    jp_serverapp: Any, elements_url: str, tmp_path: Path
) -> None:
    storage = jp_serverapp.web_app.settings["chatwidget"].data_layer.storage
    if elements_url.startswith("file:"):
        assert isinstance(storage, LocalElementStorage) and storage.root == tmp_path / "elements"
    else:
        assert isinstance(storage, S3ElementStorage) and elements_url.startswith(f"s3://{storage.bucket}?")


def test_elements_url_defaults_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHATWIDGET_ELEMENTS_URL", "s3://chat-files")
    assert ChatWidgetServer().elements_url == "s3://chat-files"
    monkeypatch.delenv("CHATWIDGET_ELEMENTS_URL")
    assert ChatWidgetServer().elements_url == ""


@pytest.mark.parametrize(
    ("variable", "configured", "setting"),
    [
        ("s3://chat-files", {"elements_url": "s3://"}, r"ChatWidgetServer\.elements_url"),
        ("s3://", {}, r"\$CHATWIDGET_ELEMENTS_URL"),
    ],
)
def test_a_bad_elements_url_stops_the_start_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variable: str, configured: dict[str, str], setting: str
) -> None:
    monkeypatch.setenv("CHATWIDGET_ELEMENTS_URL", variable)
    app = ChatWidgetServer(db_url=f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}", **configured)
    with pytest.raises(ElementsURLError, match=rf"^{setting}: no bucket"):
        app.initialize_settings()
    assert app.data_layer is None


class _NoStorageLayer(SQLDataLayer):
    def __init__(self, url: str | None) -> None:
        super().__init__(url)


def test_elements_url_needs_a_layer_class_that_takes_storage(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CHATWIDGET_ELEMENTS_URL", raising=False)
    app = ChatWidgetServer(
        db_url=f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}",
        elements_url=str(tmp_path / "elements"),
        data_layer_class=_NoStorageLayer,
    )
    with pytest.raises(TypeError, match="_NoStorageLayer takes no storage= argument"):
        app.initialize_settings()
