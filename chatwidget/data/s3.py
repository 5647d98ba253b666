"""Element bytes in an S3-compatible object store (AWS S3, MinIO, Ceph...), on ``obstore``.

``pip install "chatwidget[s3]"``. Objects are named ``<prefix><key>`` with the generated
keys of :mod:`.storage` (checked before every call), so a request can never name another
object. A put is atomic: large contents go up as a multipart upload (parts of
``chunk_size``) that only becomes the object when it completes, so a failure leaves nothing
under the key. Reads are streamed from the store in chunks.

Every failure of the store (missing bucket, refused credentials, a server that does not
answer) is raised as :class:`ElementStorageError`, an ``OSError``: the SQL data layer turns
it into a ``DataLayerError`` (a 503 in the API, an error in the chat) and writes no row for
bytes that were not stored. Retries are few and short, so a dead store fails in seconds.

:func:`s3_storage_from_env` reads the reference's variables: ``BUCKET_NAME``,
``APP_AWS_ACCESS_KEY``, ``APP_AWS_SECRET_KEY``, ``APP_AWS_REGION``, ``DEV_AWS_ENDPOINT``.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from .storage import ElementStorage, check_key

BUCKET_ENV = "BUCKET_NAME"
ACCESS_KEY_ENV = "APP_AWS_ACCESS_KEY"
SECRET_KEY_ENV = "APP_AWS_SECRET_KEY"  # noqa: S105 - the name of a variable
REGION_ENV = "APP_AWS_REGION"
ENDPOINT_ENV = "DEV_AWS_ENDPOINT"

# In the XML body of an S3 error, which obstore's message quotes.
_S3_CODE = re.compile(r"<Code>([^<]{1,100})</Code>")
_S3_MESSAGE = re.compile(r"<Message>([^<]{0,300})</Message>")

#: Part size of multipart uploads, and the size above which one is used (S3's minimum part is 5 MiB).
CHUNK_SIZE = 8 * 1024 * 1024


class ElementStorageError(OSError):
    """The object store failed or refused; the message says which store and why."""


class S3ElementStorage(ElementStorage):
    """Element bytes under ``prefix`` in ``bucket``.

    ``endpoint`` is for S3-compatible servers (``http://`` is allowed then); ``region``
    defaults to ``us-east-1``. Credentials given as arguments, else the usual AWS chain.
    """

    def __init__(
        self,
        bucket: str,
        *,
        access_key: str | None = None,
        secret_key: str | None = None,
        region: str | None = None,
        endpoint: str | None = None,
        prefix: str = "elements/",
        chunk_size: int = CHUNK_SIZE,
        timeout: float = 30.0,
    ) -> None:
        if not bucket:
            raise ValueError("an S3 element storage needs a bucket name")
        self.bucket, self.endpoint, self.prefix, self.chunk_size = bucket, endpoint, prefix, chunk_size
        self._options: dict[str, Any] = {"region": region or "us-east-1"}
        if access_key and secret_key:
            self._options.update(access_key_id=access_key, secret_access_key=secret_key)
        if endpoint:
            self._options.update(endpoint=endpoint, virtual_hosted_style_request=False)
        self._timeout = timeout
        self._store: Any = None

    @property
    def store(self) -> Any:
        if self._store is None:
            try:
                from obstore.store import S3Store
            except ImportError as exc:
                raise ElementStorageError(
                    'S3 element storage needs obstore: pip install "chatwidget[s3]"'
                ) from exc

            client: Any = {  # obstore.store.ClientConfig
                "connect_timeout": timedelta(seconds=min(self._timeout, 5.0)),
                "timeout": timedelta(seconds=self._timeout),
            }
            if self.endpoint and self.endpoint.startswith("http://"):
                client["allow_http"] = True
            retry: Any = {  # obstore.store.RetryConfig
                "max_retries": 2,
                "retry_timeout": timedelta(seconds=min(self._timeout, 10.0)),
                "backoff": {"init_backoff": timedelta(milliseconds=100), "max_backoff": timedelta(seconds=1),
                            "base": 2.0},
            }  # fmt: skip
            self._store = S3Store(self.bucket, client_options=client, retry_config=retry, **self._options)
        return self._store

    def _path(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _error(self, action: str, key: str, exc: Exception) -> ElementStorageError:
        where = f"s3://{self.bucket}/{self.prefix}{key}" + (f" at {self.endpoint}" if self.endpoint else "")
        return ElementStorageError(f"could not {action} {where}: {_reason(exc)[:300]}")

    async def put(self, key: str, content: bytes) -> None:
        import obstore

        path = self._path(key)
        try:
            await obstore.put_async(
                self.store, path, bytes(content), use_multipart=len(content) > self.chunk_size,
                chunk_size=self.chunk_size, max_concurrency=4,
            )  # fmt: skip
        except Exception as exc:  # obstore raises its own hierarchy and builtins for I/O
            raise self._error("store", key, exc) from exc

    async def stream(self, key: str) -> AsyncIterator[bytes] | None:
        """The object's bytes in chunks of about ``chunk_size``, or ``None`` if there is none."""
        import obstore

        path = self._path(key)
        try:
            result = await obstore.get_async(self.store, path)
        except Exception as exc:
            if _no_such_key(exc):
                return None
            raise self._error("read", key, exc) from exc

        async def chunks() -> AsyncIterator[bytes]:
            try:
                async for chunk in result.stream(min_chunk_size=self.chunk_size):
                    yield bytes(chunk)
            except Exception as exc:
                raise self._error("read", key, exc) from exc

        return chunks()

    async def get(self, key: str) -> bytes | None:
        chunks = await self.stream(key)
        if chunks is None:
            return None
        return b"".join([chunk async for chunk in chunks])

    async def delete(self, key: str) -> None:
        import obstore

        path = self._path(key)
        try:
            await obstore.delete_async(self.store, path)
        except Exception as exc:
            if not _no_such_key(exc):
                raise self._error("delete", key, exc) from exc


def _reason(exc: Exception) -> str:
    """The store's own code and message when it answered (``NoSuchBucket: The specified bucket
    does not exist``): obstore's first line says "object not found" for a missing bucket too."""
    text = str(exc).strip()
    code, message = _S3_CODE.search(text), _S3_MESSAGE.search(text)
    if code is not None:
        return f"{code.group(1)}: {message.group(1)}" if message else code.group(1)
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


def _no_such_key(exc: Exception) -> bool:
    """A 404 for the object itself; a missing *bucket* is also a 404, and is an error."""
    from obstore.exceptions import NotFoundError

    return isinstance(exc, (NotFoundError, FileNotFoundError)) and "NoSuchBucket" not in str(exc)


def s3_storage_from_env() -> S3ElementStorage | None:
    """An S3 storage configured by the environment, or ``None`` when ``BUCKET_NAME`` is not set."""
    bucket = os.environ.get(BUCKET_ENV, "")
    if not bucket:
        return None
    return S3ElementStorage(
        bucket,
        access_key=os.environ.get(ACCESS_KEY_ENV) or None,
        secret_key=os.environ.get(SECRET_KEY_ENV) or None,
        region=os.environ.get(REGION_ENV) or None,
        endpoint=os.environ.get(ENDPOINT_ENV) or None,
    )
