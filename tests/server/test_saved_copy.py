"""A notebook saved through the server gets the chat copy's HTML; the page is told so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
from server_support import Call

from chatwidget.saved_copy import HTML_MIME, LIVE_MIME

COPY = '<div class="cw-static">hello <b>there</b></div>'


def notebook(*outputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            {
                "cell_type": "code",
                "id": "c1",
                "execution_count": 1,
                "metadata": {},
                "source": "app.display()",
                "outputs": list(outputs),
            }
        ],
    }


def display(data: dict[str, Any]) -> dict[str, Any]:
    return {"output_type": "display_data", "data": data, "metadata": {"chatwidget": {"transcript": True}}}


async def save(call: Call, name: str, content: dict[str, Any]) -> None:
    reply = await call(
        "PUT", f"api/contents/{name}", {"type": "notebook", "format": "json", "content": content}
    )
    assert reply.code in (200, 201), reply.text


async def test_the_live_copy_is_saved_as_html(call: Call, jp_root_dir: Path) -> None:
    widget = {"output_type": "display_data", "data": {"text/plain": "ChatApp"}, "metadata": {}}
    await save(
        call, "chat.ipynb", notebook(widget, display({LIVE_MIME: COPY}), display({LIVE_MIME: "<div>2</div>"}))
    )
    saved = nbformat.read(jp_root_dir / "chat.ipynb", as_version=4)
    outputs = saved["cells"][0]["outputs"]
    assert [o["data"] for o in outputs] == [
        {"text/plain": "ChatApp"},
        {HTML_MIME: COPY},
        {HTML_MIME: "<div>2</div>"},
    ]
    assert LIVE_MIME not in (jp_root_dir / "chat.ipynb").read_text()
    # what the server gives back is what is on disk
    reply = await call("GET", "api/contents/chat.ipynb")
    assert reply.json()["content"]["cells"][0]["outputs"][1]["data"] == {HTML_MIME: COPY}


async def test_other_outputs_and_files_are_saved_as_sent(call: Call, jp_root_dir: Path) -> None:
    plain = display({HTML_MIME: "<p>mine</p>", "text/plain": "mine"})
    await save(call, "other.ipynb", notebook(plain, {"output_type": "stream", "name": "stdout", "text": "x"}))
    outputs = nbformat.read(jp_root_dir / "other.ipynb", as_version=4)["cells"][0]["outputs"]
    assert outputs[0]["data"] == {HTML_MIME: "<p>mine</p>", "text/plain": "mine"}
    text = f"not a notebook: {LIVE_MIME}"
    reply = await call("PUT", "api/contents/note.txt", {"type": "file", "format": "text", "content": text})
    assert reply.code in (200, 201)
    assert (jp_root_dir / "note.txt").read_text() == text


async def test_a_bad_notebook_is_refused_as_before(call: Call, jp_root_dir: Path) -> None:
    reply = await call(
        "PUT", "api/contents/bad.ipynb", {"type": "notebook", "format": "json", "content": {"cells": 5}}
    )
    assert reply.code >= 400
    assert not (jp_root_dir / "bad.ipynb").exists()


async def test_features_say_the_copy_is_made_html_at_save(call: Call) -> None:
    reply = await call("GET", "chatwidget/api/features")
    assert reply.code == 200 and reply.json() == {"copy_html_at_save": True}
    assert reply.headers["Cache-Control"] == "no-store"
    anonymous = await call("GET", "chatwidget/api/features", anonymous=True)
    assert anonymous.code == 403


def test_only_file_contents_managers_get_the_hook(tmp_path: Path) -> None:
    """Another contents manager's save may run only the one configured hook: the copy then
    stays HTML (the page is never told), rather than being saved in its live form."""
    from chatwidget_server.saved_copy import install_save_hook
    from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
    from jupyter_server.services.contents.manager import ContentsManager

    assert install_save_hook(AsyncLargeFileManager(root_dir=str(tmp_path))) is True
    assert install_save_hook(ContentsManager()) is False
