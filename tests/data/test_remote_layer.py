"""The thread store client without a store: how it is chosen, and how it fails.

What it does against a real store (under a real JupyterHub) is tested in ``tests/hub/``.
"""

from __future__ import annotations

import socket

import pytest

import chatwidget as cw
from chatwidget.data import DataLayerError, Pagination, ThreadFilter, default_data_layer
from chatwidget.data.remote import RemoteDataLayer
from chatwidget.data.sql import SQLDataLayer


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens once it is closed


@pytest.fixture(autouse=True)
def no_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHATWIDGET_STORE_URL", raising=False)


def test_the_store_url_chooses_the_store(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    assert isinstance(default_data_layer(), SQLDataLayer)
    monkeypatch.setenv("CHATWIDGET_STORE_URL", "http://127.0.0.1:1/services/chatwidget-store/")
    layer = default_data_layer()
    assert isinstance(layer, RemoteDataLayer)
    assert layer.url == "http://127.0.0.1:1/services/chatwidget-store/"
    # A database named explicitly is the caller's choice, store or not.
    assert isinstance(default_data_layer(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"), SQLDataLayer)


async def test_no_url_or_no_token_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JUPYTERHUB_API_TOKEN", raising=False)
    with pytest.raises(DataLayerError, match="CHATWIDGET_STORE_URL"):
        await RemoteDataLayer(token="t").get_thread("x")
    with pytest.raises(DataLayerError, match="JUPYTERHUB_API_TOKEN is not set"):
        await RemoteDataLayer("http://127.0.0.1:1/").get_thread("x")


async def test_a_store_that_is_down_fails_every_operation_loudly() -> None:
    layer = RemoteDataLayer(f"http://127.0.0.1:{_closed_port()}/", token="t", timeout=5)
    try:
        for call in (
            layer.get_thread("x"),
            layer.write_steps([{"id": "s", "threadId": "t"}]),  # type: ignore[list-item]
            layer.list_threads(Pagination(), ThreadFilter()),
            layer.authenticated_owner(),
            layer.stream_element_content("t", "e"),
        ):
            with pytest.raises(DataLayerError, match="unreachable"):
                await call
    finally:
        await layer.close()
    with pytest.raises(DataLayerError, match="closed"):
        await layer.get_thread("x")


async def test_the_chat_reports_a_store_it_cannot_reach(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHATWIDGET_OWNER", "alice")
    layer = RemoteDataLayer(f"http://127.0.0.1:{_closed_port()}/", token="t", timeout=5)
    app = cw.ChatApp(headless=True, persist=True, data_layer=layer)
    try:
        await app.send_user_message("hello")
        with pytest.raises(DataLayerError):
            await app.save()
        assert "thread store" in app.storage_error and "unreachable" in app.storage_error
        assert "hello" in app.transcript()  # the chat itself goes on
    finally:
        app.close()
        await layer.close()
