"""Sessions shared by real servers behind one URL: one database (a SQLite file, PostgreSQL), one secret.

Three ``jupyter server`` processes form one deployment: ``a`` and ``b`` as configured by
default, ``short`` with a four-second session lifetime. A login on any of them is a login on
all; a logout on any of them ends it on all at once; a restart keeps it. The OpenID provider
runs in a thread of this process, and the servers call it as they would a real one.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from chatwidget_server.auth._sessions import RECHECK_SECONDS
from pg_databases import as_text, create_database, drop_databases
from server_processes import (
    COOKIE_NAME,
    OPThread,
    ServerProcess,
    Visitor,
    deployment_config,
    oauth_env,
    start_all,
)
from tornado.httpclient import HTTPRequest
from tornado.web import create_signed_value
from tornado.websocket import websocket_connect

BOB = "password:bob"
ALICE = "generic:alice-1"
SHORT_LIFETIME = 4.0


@dataclass
class Deployment:
    a: ServerProcess
    b: ServerProcess
    short: ServerProcess
    op: OPThread
    secret_file: Path

    def signing_key(self) -> bytes:
        """The key the servers sign cookies with (jupyter_server derives it from the file)."""
        import hashlib
        import hmac

        return hmac.new(self.secret_file.read_bytes(), b"", hashlib.sha256).digest()


@pytest.fixture(scope="module")
def op_thread() -> Iterator[OPThread]:
    thread = OPThread()
    yield thread
    thread.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('shared-db') / 'chat.db'}"
        return
    url = create_database("chatwidget_sessions")
    yield as_text(url)
    drop_databases(url)


@pytest.fixture(scope="module")
def deployment(
    shared_db: str, op_thread: OPThread, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    home = tmp_path_factory.mktemp("deployment")
    secret_file = home / "cookie_secret"
    secret_file.write_text(secrets.token_urlsafe(32))
    a = ServerProcess(home / "a", config={}, env_extra=oauth_env(op_thread.op))
    public_url = a.url
    op_thread.op.redirect_uris.add(f"{public_url}login/oauth/generic/callback")

    def config(**identity: object) -> dict[str, object]:
        return deployment_config(db_url=shared_db, public_url=public_url, secret_file=secret_file, **identity)

    a.config = config()
    b = ServerProcess(home / "b", config=config(), env_extra=oauth_env(op_thread.op))
    short = ServerProcess(
        home / "short", config=config(session_lifetime=SHORT_LIFETIME), env_extra=oauth_env(op_thread.op)
    )
    servers = (a, b, short)
    try:
        start_all(*servers)
        yield Deployment(a, b, short, op_thread, secret_file)
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def visitor() -> Iterator[Visitor]:
    v = Visitor()
    yield v
    v.close()


def signed_in(visitor: Visitor, server: ServerProcess, username: str = "bob") -> str:
    reply = visitor.password_login(server, username)
    assert reply.status_code in (200, 302), reply.text  # (an app user gets a page, not a redirect)
    cookie = visitor.session_cookie()
    assert cookie
    return cookie


def test_a_login_on_one_server_is_a_login_on_the_others(deployment: Deployment, visitor: Visitor) -> None:
    assert visitor.owner(deployment.b) == 403
    signed_in(visitor, deployment.a)
    for server in (deployment.a, deployment.b, deployment.short):
        assert visitor.owner(server) == BOB
    # and the role came along: bob is a developer everywhere (the kernels API is open to him)
    kernels = visitor.client.get(deployment.b.url + "api/kernelspecs")
    assert kernels.status_code == 200


def test_a_logout_on_the_second_server_is_refused_by_the_first_at_once(
    deployment: Deployment, visitor: Visitor
) -> None:
    cookie = signed_in(visitor, deployment.a)
    assert visitor.owner(deployment.a) == BOB  # (the first server has read the session)
    out = visitor.logout(deployment.b)
    assert out.status_code == 200
    for server in (deployment.a, deployment.b, deployment.short):
        assert visitor.owner(server, cookie=cookie) == 403  # the same cookie, replayed


def test_every_login_is_a_new_session_whichever_server(deployment: Deployment, visitor: Visitor) -> None:
    planted = signed_in(visitor, deployment.a, "mallory")
    again = signed_in(visitor, deployment.b, "bob")  # the same browser signs in on the other server
    assert again != planted
    assert visitor.owner(deployment.a, cookie=planted) == 403  # the session it had is over
    assert visitor.owner(deployment.a, cookie=again) == BOB


def test_an_oauth_login_started_on_one_server_completes_on_the_other(
    deployment: Deployment, visitor: Visitor
) -> None:
    a, b, op = deployment.a, deployment.b, deployment.op.op
    start = visitor.client.get(a.url + "login/oauth/generic", params={"next": "/api/status"})
    assert start.status_code == 302, start.text
    at_op = visitor.client.get(start.headers["location"])
    assert at_op.status_code == 302
    callback = urlsplit(at_op.headers["location"])
    assert f"http://{callback.netloc}/" == a.url  # the public URL
    state_cookie = next(c for c in visitor.client.cookies.jar if c.name == "chatwidget-oauth-state")
    exchanges = op.token_requests
    done = visitor.client.get(f"{b.url}{callback.path.lstrip('/')}?{callback.query}")  # routed to b
    assert done.status_code == 302, done.text
    assert done.headers["location"] == "/api/status"
    assert visitor.owner(a) == ALICE
    assert op.token_requests == exchanges + 1
    # The state was taken once, for every server: the same callback on the first is refused.
    replay = Visitor()
    replay.client.cookies.jar.set_cookie(state_cookie)
    try:
        refused = replay.client.get(f"{a.url}{callback.path.lstrip('/')}?{callback.query}")
        assert refused.status_code == 400
        assert replay.session_cookie() is None
    finally:
        replay.close()
    assert op.token_requests == exchanges + 1


def _tampered(cookie: str, how: str, key: bytes) -> str:
    parts = cookie.split("|")  # tornado's signed value v2: 2|1:0|10:<ts>|<len>:<name>|<len>:<b64>|<sig>
    if how == "signature":
        signature = parts[-1]
        parts[-1] = signature[:-1] + ("0" if signature[-1] != "0" else "1")
        return "|".join(parts)
    if how == "session id":
        value = base64.b64encode(secrets.token_urlsafe(32).encode()).decode()
        parts[4] = f"{len(value)}:{value}"
        return "|".join(parts)
    if how == "unknown id, right signature":
        return create_signed_value(key, COOKIE_NAME, secrets.token_urlsafe(32)).decode()
    if how == "known id, another secret":
        session_id = base64.b64decode(parts[4].split(":", 1)[1]).decode()
        return create_signed_value(b"another secret", COOKIE_NAME, session_id).decode()
    if how == "jupyter's user json":
        user = json.dumps({"username": BOB, "name": "Bob", "display_name": "Bob"})
        return create_signed_value(key, COOKIE_NAME, user).decode()
    if how == "huge":
        return "2|" + "A" * 3000
    raise AssertionError(how)


@pytest.mark.parametrize(
    "how",
    [
        "signature",
        "session id",
        "unknown id, right signature",
        "known id, another secret",
        "jupyter's user json",
        "huge",
    ],
)
def test_a_tampered_cookie_is_refused(deployment: Deployment, visitor: Visitor, how: str) -> None:
    cookie = signed_in(visitor, deployment.a)
    forged = _tampered(cookie, how, deployment.signing_key())
    assert forged != cookie
    for server in (deployment.a, deployment.b):
        assert visitor.owner(server, cookie=forged) == 403
    assert visitor.owner(deployment.b, cookie=cookie) == BOB  # the real one still works


def test_an_expired_session_is_refused_by_every_server(deployment: Deployment, visitor: Visitor) -> None:
    signed_at = time.monotonic()
    cookie = signed_in(visitor, deployment.short)  # this server gives sessions four seconds
    if time.monotonic() - signed_at < SHORT_LIFETIME - 1:
        assert visitor.owner(deployment.a, cookie=cookie) == BOB
    time.sleep(max(0.0, SHORT_LIFETIME + 0.5 - (time.monotonic() - signed_at)))
    for server in (deployment.a, deployment.b, deployment.short):
        assert visitor.owner(server, cookie=cookie) == 403  # the lifetime is the session's own


async def test_an_open_kernel_websocket_closes_after_a_logout_elsewhere(
    deployment: Deployment, visitor: Visitor
) -> None:
    a, b = deployment.a, deployment.b
    await asyncio.to_thread(signed_in, visitor, a)
    xsrf = next(c.value for c in visitor.client.cookies.jar if c.name == "_xsrf")
    started = await asyncio.to_thread(
        visitor.client.post, a.url + "api/kernels", json={"name": "python3"}, headers={"X-XSRFToken": xsrf}
    )
    assert started.status_code == 201, started.text
    kernel = started.json()["id"]
    cookies = "; ".join(f"{c.name}={c.value}" for c in visitor.client.cookies.jar)
    request = HTTPRequest(
        a.url.replace("http", "ws") + f"api/kernels/{kernel}/channels",
        headers={"Cookie": cookies},
        request_timeout=60,
    )
    conn = await websocket_connect(request)
    try:
        await asyncio.to_thread(visitor.logout, b)
        await asyncio.sleep(RECHECK_SECONDS + 1)
        info = {
            "channel": "shell",
            "header": {"msg_id": "1", "msg_type": "kernel_info_request", "session": "s", "username": "",
                       "version": "5.3", "date": "2024-01-01T00:00:00Z"},
            "parent_header": {}, "metadata": {}, "content": {},
        }  # fmt: skip
        deadline = time.monotonic() + 30
        closed = False
        while time.monotonic() < deadline and not closed:
            try:
                await conn.write_message(json.dumps(info))
            except Exception:  # tornado raises WebSocketClosedError once it knows
                closed = True
                break
            message = await asyncio.wait_for(conn.read_message(), 30)
            closed = message is None
        assert closed, "the websocket of a session ended on another server stayed open"
        assert conn.close_code == 1008
    finally:
        conn.close()
        await asyncio.to_thread(
            httpx.delete, a.url + f"api/kernels/{kernel}", headers={"Authorization": f"token {a.token}"}
        )


def test_a_restart_keeps_the_session(deployment: Deployment, visitor: Visitor) -> None:
    signed_in(visitor, deployment.a)
    deployment.a.restart()
    assert visitor.owner(deployment.a) == BOB
    assert visitor.owner(deployment.b) == BOB
