"""Authentication, XSRF, the owner rule, storage errors, and how the extension is loaded."""

from __future__ import annotations

import getpass
import json
from http.cookies import SimpleCookie
from typing import Any

import pytest
from chatwidget_server import ChatWidgetServer, _jupyter_server_extension_points, local_owner
from server_support import Call, Seed

from chatwidget.data import DataLayerError
from chatwidget.data.sql import SQLDataLayer

API = "chatwidget/api/threads"


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("GET", ""),
        ("GET", "/{id}"),
        ("PATCH", "/{id}"),
        ("DELETE", "/{id}"),
        ("PUT", "/{id}/share"),
        ("DELETE", "/{id}/share"),
        ("GET", "/{id}/elements/e1/file"),
    ],
)
async def test_anonymous_requests_to_the_private_api_are_refused(
    call: Call, seed: Seed, method: str, suffix: str
) -> None:
    thread_id = await seed.thread()
    await seed.element(thread_id, b"x", "image/png", element_id="e1")
    reply = await call(method, API + suffix.format(id=thread_id), anonymous=True, body=b"{}")
    assert reply.code in (401, 403)
    assert thread_id not in reply.text
    thread = await seed.layer.get_thread(thread_id)
    assert thread is not None and thread["name"] == "A chat"


async def test_a_wrong_token_is_refused(call: Call) -> None:
    reply = await call("GET", API, anonymous=True, headers={"Authorization": "token not-the-token"})
    assert reply.code in (401, 403)


async def _login_cookies(call: Call) -> dict[str, str]:
    """The cookies a browser holds after opening JupyterLab with the token: login and ``_xsrf``."""
    jar: SimpleCookie = SimpleCookie()
    # A token-authenticated request sets the login cookie; the login page sets _xsrf.
    for path, anonymous in ((API, False), ("login", True)):
        reply = await call("GET", path, anonymous=anonymous)
        for header in reply.headers.get_list("Set-Cookie"):
            jar.load(header)
    cookies = {k: v.value for k, v in jar.items()}
    assert "_xsrf" in cookies and any(k.startswith("username-") for k in cookies), cookies
    return cookies


async def test_cookie_writes_need_the_xsrf_token(call: Call, seed: Seed) -> None:
    thread_id = await seed.thread()
    cookies = await _login_cookies(call)
    cookie_header = "; ".join(f"{k}={v}" for k, v in cookies.items())
    # The login cookie alone authenticates reads...
    read = await call("GET", f"{API}/{thread_id}", anonymous=True, headers={"Cookie": cookie_header})
    assert read.code == 200
    # ...but not writes without the XSRF token.
    for method, suffix, body in [
        ("PATCH", "", {"name": "forged"}),
        ("DELETE", "", None),
        ("PUT", "/share", None),
        ("DELETE", "/share", None),
    ]:
        reply = await call(
            method, f"{API}/{thread_id}{suffix}", body=body, anonymous=True, headers={"Cookie": cookie_header}
        )
        assert reply.code == 403, (method, suffix)
    thread = await seed.layer.get_thread(thread_id)
    assert thread is not None and thread["name"] == "A chat"
    assert not (thread.get("metadata") or {}).get("is_shared")
    # With the token in the header, as JupyterLab sends it, the write goes through.
    headers = {"Cookie": cookie_header, "X-XSRFToken": cookies["_xsrf"]}
    reply = await call("PATCH", f"{API}/{thread_id}", body={"name": "ok"}, anonymous=True, headers=headers)
    assert reply.code == 200


def test_owner_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHATWIDGET_OWNER", "explicit")
    monkeypatch.setenv("JUPYTERHUB_USER", "hubuser")
    assert local_owner() == "explicit"
    monkeypatch.delenv("CHATWIDGET_OWNER")
    assert local_owner() == "hubuser"
    monkeypatch.setenv("JUPYTERHUB_USER", "")
    assert local_owner() == f"local:{getpass.getuser()}"


async def test_the_owner_rule_without_env_matches_the_kernels(
    call: Call, seed: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHATWIDGET_OWNER")
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    thread_id = await seed.thread(owner=f"local:{getpass.getuser()}")
    assert (await call("GET", f"{API}/{thread_id}")).code == 200


class BrokenLayer(SQLDataLayer):
    """Every read fails as a database outage would."""

    async def get_thread_author(self, thread_id: str) -> str | None:
        raise DataLayerError("database error: connection refused to db.internal:5432 password=hunter2")

    async def get_user(self, identifier: str) -> Any:
        raise RuntimeError("unexpected: /srv/secret/path")

    async def get_thread(self, thread_id: str) -> Any:
        raise DataLayerError("database error: /srv/secret/path")


class TestStorageErrors:
    @pytest.fixture
    def extension_config(self) -> dict[str, Any]:
        return {"data_layer_class": BrokenLayer}

    async def test_storage_errors_are_generic_503_and_500(self, call: Call, jp_serverapp: Any) -> None:
        tid = "0c9b5cf2-9f2a-4a57-9d0e-3f3c4b6a0000"
        for path in [f"{API}/{tid}", f"{API}/{tid}/elements/e/file", f"chatwidget/share/{tid}"]:
            reply = await call("GET", path)
            assert reply.code == 503, path
            assert reply.json() == {"message": "Storage is unavailable; try again later"}
        page = await call("GET", f"chatwidget/share/{tid}/page", anonymous=True)
        assert page.code == 503 and b"secret" not in page.body
        reply = await call("GET", API)
        assert reply.code == 500
        assert reply.json() == {"message": "Internal server error"}
        for r in [reply, page]:
            assert b"hunter2" not in r.body and b"secret" not in r.body and b"Traceback" not in r.body


def test_extension_points_name_the_app() -> None:
    [point] = _jupyter_server_extension_points()
    assert point == {"module": "chatwidget_server", "app": ChatWidgetServer}
    assert ChatWidgetServer.name == "chatwidget"


def test_the_enabling_config_file_names_the_package() -> None:
    from pathlib import Path

    config = (
        Path(__file__).parents[2] / "jupyter-config" / "jupyter_server_config.d" / "chatwidget_server.json"
    )
    assert json.loads(config.read_text()) == {
        "ServerApp": {"jpserver_extensions": {"chatwidget_server": True}}
    }


def test_every_option_is_configurable_and_documented() -> None:
    options = ["db_url", "elements_url", "data_layer_class", "share_enabled", "on_shared_thread_view"]
    options.append("tcp_nodelay")
    for name in [*options, "public_base_url"]:
        trait = ChatWidgetServer.class_traits()[name]
        assert trait.metadata.get("config") is True, name
        assert "Default" in (trait.help or ""), name


def test_db_url_defaults_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHATWIDGET_DATABASE_URL", "sqlite+aiosqlite:////tmp/x.db")
    assert ChatWidgetServer().db_url == "sqlite+aiosqlite:////tmp/x.db"
    monkeypatch.delenv("CHATWIDGET_DATABASE_URL")
    assert ChatWidgetServer().db_url == ""


async def test_the_app_builds_the_layer_once(jp_serverapp: Any, db_url: str) -> None:
    app = jp_serverapp.web_app.settings["chatwidget"]
    assert isinstance(app, ChatWidgetServer)
    assert isinstance(app.data_layer, SQLDataLayer)
    assert str(app.data_layer.url) == db_url
    assert app.data_layer is jp_serverapp.web_app.settings["chatwidget"].data_layer


async def test_stop_extension_closes_the_layer(jp_serverapp: Any) -> None:
    app = jp_serverapp.web_app.settings["chatwidget"]
    await app.stop_extension()
    with pytest.raises(DataLayerError):
        app.data_layer.engine  # noqa: B018


class TestNoDelay:
    @pytest.fixture
    def extension_config(self) -> dict[str, Any]:
        return {"tcp_nodelay": True}

    async def test_kernel_websockets_set_tcp_nodelay(self, jp_serverapp: Any) -> None:
        from chatwidget_server.nodelay import NoDelayConnectionMixin
        from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection

        cls = jp_serverapp.web_app.settings["kernel_websocket_connection_class"]
        assert issubclass(cls, NoDelayConnectionMixin) and issubclass(cls, ZMQChannelsWebsocketConnection)

        calls: list[bool] = []

        class FakeHandler:
            ws_connection = object()

            def set_nodelay(self, value: bool) -> None:
                calls.append(value)

        class Base:
            def connect(self) -> str:
                return "connected"

        from chatwidget_server.nodelay import nodelay_connection_class

        wrapped = nodelay_connection_class(Base)
        conn = wrapped()
        conn.websocket_handler = FakeHandler()
        assert conn.connect() == "connected" and calls == [True]
        assert nodelay_connection_class(wrapped) is wrapped


async def test_nodelay_is_on_by_default(jp_serverapp: Any) -> None:
    from chatwidget_server.nodelay import NoDelayConnectionMixin

    cls = jp_serverapp.web_app.settings["kernel_websocket_connection_class"]
    assert issubclass(cls, NoDelayConnectionMixin)


class TestBesideVoila:
    """Voila inside jupyter server (``/voila/render/...``) loads server extensions; ours too."""

    @pytest.fixture
    def jp_server_config(self, db_url: str) -> Any:
        pytest.importorskip("voila", reason="voila is not installed")
        from traitlets.config import Config

        return Config(
            {
                "ServerApp": {"jpserver_extensions": {"voila": True, "chatwidget_server": True}},
                "ChatWidgetServer": {"db_url": db_url},
            }
        )

    async def test_routes_are_reachable(self, call: Call, seed: Seed, jp_root_dir: Any) -> None:
        (jp_root_dir / "empty.ipynb").write_text(
            json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
        )
        thread_id = await seed.thread()
        assert (await call("GET", f"{API}/{thread_id}")).code == 200
        assert (await call("GET", f"chatwidget/share/{thread_id}", anonymous=True)).code == 404
        assert (await call("GET", "voila/render/empty.ipynb")).code == 200
