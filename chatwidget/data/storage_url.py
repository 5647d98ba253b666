"""Where element bytes go, named by one URL: ``$CHATWIDGET_ELEMENTS_URL`` (or the server's
``c.ChatWidgetServer.elements_url``).

``file:///srv/chat/elements``, or a plain path: a local directory. ``s3://bucket``, or
``s3://bucket/prefix``, with optional query parameters ``endpoint=`` (an S3-compatible
server, ``http://`` allowed) and ``region=`` (default ``us-east-1``): objects in that bucket
under ``prefix/`` (default ``elements/``). Credentials are never part of the URL: they come
from ``APP_AWS_ACCESS_KEY``/``APP_AWS_SECRET_KEY``, else the usual AWS chain (``AWS_*``
variables, instance roles), as with the reference's variables. Where the bytes go, the URL
alone says: ``BUCKET_NAME``, ``APP_AWS_REGION`` and ``DEV_AWS_ENDPOINT`` are not read then.

:func:`configured_storage` applies the precedence: the URL when set, else the reference's
variables (``BUCKET_NAME``..., :func:`.s3.s3_storage_from_env`), else ``None``, which leaves
the data layer its local default. A URL that names no storage raises
:class:`ElementsURLError`, naming the setting; nothing is contacted before the first use.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit

from .s3 import ACCESS_KEY_ENV, SECRET_KEY_ENV, S3ElementStorage, s3_storage_from_env
from .storage import ElementStorage, LocalElementStorage

ELEMENTS_URL_ENV = "CHATWIDGET_ELEMENTS_URL"
S3_PARAMETERS = ("endpoint", "region")
FORMS = "file:///path, a path, or s3://bucket[/prefix][?endpoint=...&region=...]"

# A scheme has two letters at least, so that "C:\elements" is read as a path, not a URL.
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]+):")
_BUCKET = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_PREFIX = re.compile(r"[A-Za-z0-9._/-]+")
_REGION = re.compile(r"[a-z0-9-]+")


class ElementsURLError(ValueError):
    """The element storage URL names no storage; the message names the setting and says why."""


def configured_storage(url: str | None = None, setting: str = ELEMENTS_URL_ENV) -> ElementStorage | None:
    """The element storage the configuration names, or ``None`` for the data layer's default.

    ``url`` (default: ``$CHATWIDGET_ELEMENTS_URL``) when set, else an S3 bucket when the
    reference's ``BUCKET_NAME`` is set, else ``None``.
    """
    if url is None:
        url = os.environ.get(ELEMENTS_URL_ENV, "")
    if url.strip():
        return storage_from_url(url, setting)
    return s3_storage_from_env()


def storage_from_url(url: str, setting: str = ELEMENTS_URL_ENV) -> ElementStorage:
    """The storage ``url`` names; ``setting`` is the name the errors give it."""
    url = url.strip()
    match = _SCHEME.match(url)
    if match is None:
        return LocalElementStorage(Path(url).expanduser().absolute())
    scheme, parts = match.group(1).lower(), _split(url, setting)
    if "@" in parts.netloc or (scheme == "s3" and "@" in url.split("?", 1)[0]):
        raise _credentials_error(setting)
    if scheme == "file":
        return LocalElementStorage(_file_path(parts, setting))
    if scheme == "s3":
        return _s3_storage(parts, setting)
    raise ElementsURLError(f"{setting}: unknown scheme {scheme!r}; use {FORMS}")


def _split(url: str, setting: str) -> SplitResult:
    try:
        return urlsplit(url)
    except ValueError as exc:  # "Invalid IPv6 URL" and the like
        raise ElementsURLError(f"{setting}: not a URL ({exc}); use {FORMS}") from exc


def _credentials_error(setting: str) -> ElementsURLError:
    # The URL itself is not repeated: it holds a secret.
    return ElementsURLError(
        f"{setting} must not carry credentials (user:password@): set {ACCESS_KEY_ENV} and "
        f"{SECRET_KEY_ENV}, or use the AWS credential chain (AWS_ACCESS_KEY_ID, a profile, a role)"
    )


def _file_path(parts: SplitResult, setting: str) -> Path:
    if parts.netloc not in ("", "localhost"):
        raise ElementsURLError(f"{setting}: a file URL names a local directory, not host {parts.netloc!r}")
    if parts.query or parts.fragment:
        raise ElementsURLError(f"{setting}: a file URL takes no parameters")
    path = Path(unquote(parts.path))
    if not path.is_absolute():
        raise ElementsURLError(f"{setting}: a file URL needs an absolute path: file:///path")
    return path


def _s3_storage(parts: SplitResult, setting: str) -> S3ElementStorage:
    bucket = parts.netloc
    if not bucket:
        raise ElementsURLError(f"{setting}: no bucket in the URL; use s3://bucket")
    if not _BUCKET.fullmatch(bucket):
        # No echo: a malformed netloc may be a mistyped secret (a ':' without its '@').
        raise ElementsURLError(
            f"{setting}: invalid bucket name (letters, digits, '.', '-', '_'; a server goes in endpoint=)"
        )
    if parts.fragment:
        raise ElementsURLError(f"{setting}: an s3 URL has no #fragment")
    options = _s3_parameters(parts.query, setting)
    return S3ElementStorage(
        bucket,
        access_key=os.environ.get(ACCESS_KEY_ENV) or None,
        secret_key=os.environ.get(SECRET_KEY_ENV) or None,
        region=options.get("region"),
        endpoint=options.get("endpoint"),
        prefix=_s3_prefix(parts.path, setting),
    )


def _s3_prefix(path: str, setting: str) -> str:
    prefix = unquote(path).strip("/")
    if not prefix:
        return "elements/"
    if not _PREFIX.fullmatch(prefix) or ".." in prefix.split("/") or "//" in prefix:
        raise ElementsURLError(f"{setting}: invalid prefix {prefix!r} (letters, digits, '.', '-', '_', '/')")
    return prefix + "/"


def _s3_parameters(query: str, setting: str) -> dict[str, str]:
    options: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key not in S3_PARAMETERS:
            raise ElementsURLError(
                f"{setting}: unknown parameter {key!r} (known: {', '.join(S3_PARAMETERS)}); "
                "credentials never go in the URL"
            )
        if key in options:
            raise ElementsURLError(f"{setting}: parameter {key!r} given twice")
        if not value:
            raise ElementsURLError(f"{setting}: parameter {key!r} is empty")
        options[key] = value
    if "endpoint" in options:
        _check_endpoint(options["endpoint"], setting)
    if "region" in options and not _REGION.fullmatch(options["region"]):
        raise ElementsURLError(f"{setting}: invalid region {options['region']!r}")
    return options


def _check_endpoint(endpoint: str, setting: str) -> None:
    parts = _split(endpoint, setting)
    if "@" in parts.netloc:
        raise _credentials_error(setting)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ElementsURLError(f"{setting}: endpoint= needs an http:// or https:// URL, got {endpoint!r}")
