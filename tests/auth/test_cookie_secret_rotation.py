"""Rotating the cookie secret of a real server: old cookies refused, or accepted during an overlap.

The session cookie is signed with the key jupyter_server derives from
``ServerApp.cookie_secret_file``; ``ChatIdentityProvider.accepted_cookie_secret_files`` lists
the files of other secrets whose cookies are accepted too (and signed again with the current
one). See the README, "Rotating the cookie secret".
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from server_processes import COOKIE_NAME, ServerProcess, Visitor, deployment_config
from tornado.web import decode_signed_value

BOB = "password:bob"


def key_of(secret_file: Path) -> bytes:
    return hmac.new(secret_file.read_bytes(), b"", hashlib.sha256).digest()


def session_id_in(cookie: str, secret_file: Path) -> bytes | None:
    return decode_signed_value(key_of(secret_file), COOKIE_NAME, cookie)


@pytest.fixture
def secret_files(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "old_secret", tmp_path / "new_secret"
    old.write_text(secrets.token_urlsafe(32))
    new.write_text(secrets.token_urlsafe(32))
    return old, new


@pytest.fixture
def server(tmp_path: Path, secret_files: tuple[Path, Path]) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path / "server", config={})
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"
    process.config = deployment_config(db_url=db_url, public_url=process.url, secret_file=secret_files[0])
    yield process.start().wait_ready()
    process.stop()


@pytest.fixture
def visitor() -> Iterator[Visitor]:
    v = Visitor()
    yield v
    v.close()


def test_a_new_secret_refuses_the_old_cookies(
    server: ServerProcess, visitor: Visitor, secret_files: tuple[Path, Path]
) -> None:
    old, new = secret_files
    assert visitor.password_login(server).status_code == 302
    cookie = visitor.session_cookie()
    assert cookie and visitor.owner(server, cookie=cookie) == BOB
    server.restart(ServerApp={"cookie_secret_file": str(new)})
    assert visitor.owner(server, cookie=cookie) == 403  # the session exists; its signature is no longer good
    assert visitor.password_login(server).status_code == 302  # signing in again works
    fresh = visitor.session_cookie()
    assert fresh and session_id_in(fresh, new) and not session_id_in(fresh, old)


def test_an_overlap_accepts_the_old_cookies_and_signs_them_again(
    server: ServerProcess, visitor: Visitor, secret_files: tuple[Path, Path]
) -> None:
    old, new = secret_files
    assert visitor.password_login(server).status_code == 302
    cookie = visitor.session_cookie()
    assert cookie
    session_id = session_id_in(cookie, old)
    assert session_id

    server.restart(
        ServerApp={"cookie_secret_file": str(new)},
        ChatIdentityProvider={"accepted_cookie_secret_files": [str(old)]},
    )
    assert visitor.owner(server) == BOB  # the old cookie, during the overlap
    resigned = visitor.session_cookie()
    assert resigned and resigned != cookie
    assert session_id_in(resigned, new) == session_id  # the same session, signed with the new secret

    server.restart(ChatIdentityProvider={"accepted_cookie_secret_files": []})  # the overlap is over
    assert visitor.owner(server, cookie=resigned) == BOB
    assert visitor.owner(server, cookie=cookie) == 403


def test_an_unreadable_accepted_secret_stops_the_server_with_a_clear_error(
    server: ServerProcess, tmp_path: Path
) -> None:
    server.stop()
    server.config["ChatIdentityProvider"]["accepted_cookie_secret_files"] = [str(tmp_path / "missing")]
    server.start()
    with pytest.raises(RuntimeError, match="accepted_cookie_secret_files: cannot read"):
        server.wait_ready(timeout=90)
