"""Who owns a conversation: one owner rule for the kernel and the server, and the signed token
through which a kernel learns the identity of a browser's user.

The owner rule, :func:`local_owner`: ``$CHATWIDGET_OWNER`` if set (a deployment names the
owner explicitly), else ``$JUPYTERHUB_USER`` (a JupyterHub user's own server), else
``local:<OS user name>`` (a personal ``jupyter lab``). The kernel writes threads for that
owner unless a view proves another identity; the server answers requests authenticated by
its own token or password as that owner.

A kernel cannot see the HTTP request of the browser that talks to it: the comm messages
arrive through the server's kernel websocket, and anything in them comes from the browser.
So the owner of what a kernel writes cannot simply be *sent* by the front end. Instead:

1. When chatwidget's identity provider loads (``chatwidget_server.auth``), it makes a
   random secret and puts it in the server process's environment as
   ``CHATWIDGET_IDENTITY_SECRET``, with ``CHATWIDGET_IDENTITY_REQUIRED=1``. Kernels that
   the server starts inherit both.
2. The logged-in browser asks ``GET {base_url}chatwidget/api/identity`` (authenticated by
   its session cookie) and gets ``{"identity": token, "owner": ..., "expires": ...}``,
   where ``token`` is :func:`sign_identity` of the caller's owner identifier.
3. The front end sends ``token`` in its ``hello`` request as ``identity``; the kernel
   calls :func:`verify_identity` and, if that returns an owner, records it as the owner of
   the threads it writes. With :func:`identity_required` and no valid token, the kernel
   keeps nothing.

The token is ``v1.<owner, base64url>.<expiry, unix seconds>.<HMAC-SHA256, base64url>``;
the MAC covers the version, the encoded owner and the expiry. A browser can only obtain
tokens for its own user, so it can at most replay its own identity (for ``ttl`` seconds).

What this does *not* protect against: code running in the kernel. Anyone who can execute
code in a kernel (a JupyterLab user) can read the secret from the environment and sign any
identity, or open the database directly. The token keeps ownership honest where users only
interact with an app (a Voila dashboard, a published app); users who run code must have
their own server (JupyterHub), where the hub's user is the identity and no token is needed.

Everything here is a pure function of its arguments and the environment.
What a kernel does with it lives in the chat session (``chatwidget.chat``).
"""

from __future__ import annotations

import base64
import binascii
import getpass
import hashlib
import hmac
import os
import re
import time

#: The environment variables set by the server's identity provider.
OWNER_ENV = "CHATWIDGET_OWNER"
HUB_USER_ENV = "JUPYTERHUB_USER"
SECRET_ENV = "CHATWIDGET_IDENTITY_SECRET"  # noqa: S105 - the name of a variable
REQUIRED_ENV = "CHATWIDGET_IDENTITY_REQUIRED"

VERSION = "v1"
#: A token is refused past this size (an owner identifier is short).
MAX_TOKEN_CHARS = 2048
#: Tolerated clock difference between the server and the kernel, in seconds.
LEEWAY = 5
#: The longest validity a kernel accepts, whatever the token says (seconds).
MAX_TTL = 24 * 3600

_B64URL = re.compile(r"[A-Za-z0-9_-]+")


def local_owner() -> str:
    """The owner identifier of this process's user (read from the environment at each call)."""
    return os.environ.get(OWNER_ENV) or os.environ.get(HUB_USER_ENV) or f"local:{getpass.getuser()}"


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    if not text or len(text) % 4 == 1 or not _B64URL.fullmatch(text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, owner_b64: str, expiry: str) -> bytes:
    message = f"chatwidget-identity|{VERSION}|{owner_b64}|{expiry}".encode("ascii")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()


def sign_identity(secret: str, owner: str, ttl: float, now: float | None = None) -> tuple[str, int]:
    """A token saying ``owner`` for ``ttl`` seconds, and its expiry (unix seconds).

    ``secret`` is the server's identity secret; ``owner`` a non-empty owner identifier.
    """
    if not secret:
        raise ValueError("the identity secret is empty")
    if not owner:
        raise ValueError("the owner identifier is empty")
    if ttl <= 0:
        raise ValueError("ttl must be positive")
    expiry = int((time.time() if now is None else now) + ttl)
    owner_b64 = _b64encode(owner.encode("utf-8"))
    mac = _b64encode(_mac(secret, owner_b64, str(expiry)))
    return f"{VERSION}.{owner_b64}.{expiry}.{mac}", expiry


def verify_identity(token: object, secret: str | None = None, now: float | None = None) -> str | None:
    """The owner identifier that ``token`` proves, or ``None``.

    ``None`` for anything but a well-formed, unexpired token whose MAC matches ``secret``
    (default: ``$CHATWIDGET_IDENTITY_SECRET``; no secret, no identity). The MAC is compared
    in constant time, before the owner is decoded.
    """
    if secret is None:
        secret = os.environ.get(SECRET_ENV, "")
    if not secret or not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
        return None
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != VERSION:
        return None
    _, owner_b64, expiry_text, mac_b64 = parts
    if not expiry_text.isascii() or not expiry_text.isdigit() or len(expiry_text) > 12:
        return None
    try:
        mac = _b64decode(mac_b64)
        expected = _mac(secret, owner_b64, expiry_text)
    except (ValueError, binascii.Error, UnicodeEncodeError):
        return None
    if not hmac.compare_digest(mac, expected):
        return None
    current = time.time() if now is None else now
    expiry = int(expiry_text)
    if expiry + LEEWAY < current or expiry > current + MAX_TTL + LEEWAY:
        return None
    try:
        owner = _b64decode(owner_b64).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    return owner or None


def identity_required() -> bool:
    """Whether the server asked kernels to write only for a verified identity."""
    return os.environ.get(REQUIRED_ENV, "") == "1"
