"""Where a login may send the browser, and the exact URLs the providers are told about.

Both are built from configuration, never from the request's ``Host`` header: a redirect
URI is ``public_url`` + ``login/oauth/<provider>/callback``, and ``next`` is accepted only
as a path on this server (under ``base_url``), never as another origin.
"""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_NEXT_CHARS = 2048


def safe_next(value: object, base_url: str, default: str) -> str:
    """``value`` if it is a same-origin path under ``base_url``, else ``default``.

    Refused: anything not starting with a single ``/`` (``//evil.com``, ``https://evil.com``,
    ``javascript:...``), a backslash anywhere (``/\\evil.com`` is ``//evil.com`` to some
    browsers), control characters and spaces (stripped by browsers, so ``/\\t/evil.com``
    would become ``//evil.com``), and paths outside the server's ``base_url`` (dot segments,
    even percent-encoded, are refused rather than resolved).
    """
    if not isinstance(value, str) or not value or len(value) > MAX_NEXT_CHARS:
        return default
    if "\\" in value or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in value):
        return default
    if not value.startswith("/") or value.startswith("//"):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    if not parts.path.startswith(base_url):
        return default
    segments = parts.path.lower().replace("%2e", ".").split("/")
    if "." in segments or ".." in segments:
        return default  # /base/../..//evil.com must not climb out of base_url
    return value


def public_root(public_url: str) -> str:
    """``public_url`` with exactly one trailing slash (it is the URL of ``base_url``)."""
    return public_url.rstrip("/") + "/"


def redirect_uri(public_url: str, provider_id: str) -> str:
    """The exact redirect URI registered with ``provider_id``."""
    return f"{public_root(public_url)}login/oauth/{provider_id}/callback"
