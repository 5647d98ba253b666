"""Where the bytes of Chainlit's elements are: a local directory, or an S3 bucket.

Chainlit's storage clients put an element's bytes under its ``objectKey`` (e.g.
``<user id>/<element id>/<name>``) in a bucket. :class:`DirectoryBlobs` reads the same keys
as paths below a directory (a bucket copied with ``aws s3 sync``, ``gsutil rsync``,
``azcopy``); :class:`S3Blobs` reads the bucket itself. A key that would leave the directory
(``..``, an absolute path, a link pointing out) is refused, never followed: the key comes
from the database being imported, not from us.
"""

from __future__ import annotations

import asyncio
import os
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any


class BlobError(Exception):
    """The bytes under a key could not be read; the message says why (for the report)."""


class BlobSource(ABC):
    @abstractmethod
    async def get(self, key: str) -> bytes:
        """The bytes under ``key``; :class:`BlobError` if there are none or they cannot be read."""

    @abstractmethod
    async def exists(self, key: str) -> bool:
        """Whether ``key`` has bytes (for a dry run; :class:`BlobError` if it cannot be known)."""

    @abstractmethod
    def describe(self) -> str: ...


class DirectoryBlobs(BlobSource):
    """Object keys as relative paths below ``root``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise ValueError(f"{self.root} is not a directory")

    def _path(self, key: str) -> Path:
        if not key or "\x00" in key or key.startswith(("/", "\\")) or ".." in Path(key).parts:
            raise BlobError(f"object key {key[:80]!r} is not a path below {self.root}")
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise BlobError(f"object key {key[:80]!r} leads outside {self.root}")
        return path

    def _read(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except FileNotFoundError as exc:
            raise BlobError(f"no file {path}") from exc
        except OSError as exc:
            raise BlobError(f"cannot read {path}: {exc.strerror or exc}") from exc

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._read, key)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(lambda: self._path(key).is_file())

    def describe(self) -> str:
        return f"directory {self.root}"


class S3Blobs(BlobSource):
    """Object keys in an S3 bucket (AWS or an S3-compatible server), read with obstore.

    Credentials: the usual AWS variables (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
    ``AWS_SESSION_TOKEN``, ``AWS_PROFILE``...), which Chainlit's own S3 client used.
    """

    def __init__(
        self, bucket: str, *, endpoint: str | None = None, region: str | None = None, prefix: str = ""
    ) -> None:
        if not bucket:
            raise ValueError("an S3 source needs a bucket name")
        from ...s3 import S3ElementStorage

        self.bucket, self.endpoint, self.prefix = bucket, endpoint, prefix
        # The element storage's client (timeouts, retries, http for a local server); the keys
        # are Chainlit's, read here as they are, not element keys.
        region = region or os.environ.get("AWS_REGION")
        self._bucket = S3ElementStorage(bucket, region=region, endpoint=endpoint, prefix=prefix, timeout=60.0)

    @property
    def store(self) -> Any:
        try:
            return self._bucket.store
        except OSError as exc:  # obstore is missing
            raise ValueError(str(exc)) from exc

    def _where(self, key: str) -> str:
        return f"s3://{self.bucket}/{self.prefix}{key}"

    async def get(self, key: str) -> bytes:
        import obstore

        if not key or "\x00" in key:
            raise BlobError(f"object key {key[:80]!r} is not a key")
        try:
            result = await obstore.get_async(self.store, self.prefix + key)
            return bytes(await result.bytes_async())
        except Exception as exc:  # obstore raises its own hierarchy and builtins for I/O
            raise self._error(key, exc) from exc

    def _error(self, key: str, exc: Exception) -> BlobError:
        from obstore.exceptions import NotFoundError

        if isinstance(exc, (NotFoundError, FileNotFoundError)) and "NoSuchBucket" not in str(exc):
            return BlobError(f"no object {self._where(key)}")
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return BlobError(f"cannot read {self._where(key)}: {reason[:200]}")

    async def exists(self, key: str) -> bool:
        import obstore

        try:
            await obstore.head_async(self.store, self.prefix + key)
        except Exception as exc:
            error = self._error(key, exc)
            if str(error).startswith("no object"):
                return False
            raise error from exc
        return True

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" + (f" at {self.endpoint}" if self.endpoint else "")
