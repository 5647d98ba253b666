"""The kernel-side check of a server-signed identity (``chatwidget.identity``)."""

from __future__ import annotations

import base64
import time

import pytest

from chatwidget.identity import identity_required, sign_identity, verify_identity

SECRET = "s3cret-" + "x" * 40


def test_a_signed_identity_verifies() -> None:
    token, expiry = sign_identity(SECRET, "github:12345", ttl=60)
    assert verify_identity(token, SECRET) == "github:12345"
    assert time.time() < expiry <= time.time() + 61


def test_the_secret_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    token, _ = sign_identity(SECRET, "oidc:ana", ttl=60)
    monkeypatch.delenv("CHATWIDGET_IDENTITY_SECRET", raising=False)
    assert verify_identity(token) is None  # no secret, no identity
    monkeypatch.setenv("CHATWIDGET_IDENTITY_SECRET", SECRET)
    assert verify_identity(token) == "oidc:ana"


def test_unicode_and_separators_in_the_owner_survive() -> None:
    owner = "generic:ana.maría|x.y"
    token, _ = sign_identity(SECRET, owner, ttl=60)
    assert verify_identity(token, SECRET) == owner


def test_a_foreign_secret_is_refused() -> None:
    token, _ = sign_identity("another-server-secret", "github:1", ttl=60)
    assert verify_identity(token, SECRET) is None


def test_an_expired_token_is_refused() -> None:
    token, _ = sign_identity(SECRET, "github:1", ttl=10, now=time.time() - 3600)
    assert verify_identity(token, SECRET) is None
    assert verify_identity(token, SECRET, now=time.time() - 3595) == "github:1"


def test_a_token_valid_too_far_in_the_future_is_refused() -> None:
    token, _ = sign_identity(SECRET, "github:1", ttl=10 * 24 * 3600)
    assert verify_identity(token, SECRET) is None


def _parts(token: str) -> list[str]:
    return token.split(".")


def test_tampered_tokens_are_refused() -> None:
    token, _ = sign_identity(SECRET, "github:1", ttl=60)
    version, owner, expiry, mac = _parts(token)
    other_owner = base64.urlsafe_b64encode(b"github:2").rstrip(b"=").decode()
    flipped = mac[:-2] + ("A" if mac[-2] != "A" else "B") + mac[-1]
    forged = [
        f"{version}.{other_owner}.{expiry}.{mac}",  # another owner, same MAC
        f"{version}.{owner}.{int(expiry) + 3600}.{mac}",  # extended expiry
        f"{version}.{owner}.{expiry}.{flipped}",  # altered MAC
        f"{version}.{owner}.{expiry}.",  # no MAC
        f"v2.{owner}.{expiry}.{mac}",  # unknown version
        f"{version}.{owner}.{expiry}",  # missing part
        f"{version}.{owner}.{expiry}.{mac}.extra",
        f"{version}.{owner}.-{expiry}.{mac}",
        f"{version}.{owner}.{expiry}.{mac}==",
        f"{version}.{owner}.{expiry}.{mac[:-1]}é",
        token + "x" * 3000,
        "",
    ]
    for bad in forged:
        assert verify_identity(bad, SECRET) is None, bad
    for not_a_string in (None, 1, b"v1.a.b.c", ["v1"], {"token": token}):
        assert verify_identity(not_a_string, SECRET) is None


def test_signing_refuses_empty_values() -> None:
    for secret, owner, ttl in (("", "a", 1), (SECRET, "", 1), (SECRET, "a", 0)):
        with pytest.raises(ValueError, match=r"empty|positive"):
            sign_identity(secret, owner, ttl)


def test_identity_required_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHATWIDGET_IDENTITY_REQUIRED", raising=False)
    assert identity_required() is False
    monkeypatch.setenv("CHATWIDGET_IDENTITY_REQUIRED", "1")
    assert identity_required() is True
    monkeypatch.setenv("CHATWIDGET_IDENTITY_REQUIRED", "0")
    assert identity_required() is False
