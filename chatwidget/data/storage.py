"""Where element bytes live: an interface, and a local directory next to the database.

Keys are generated here, by the server side (:func:`new_object_key`), never taken from an
uploaded file name: a key is 32 lowercase hex digits, and every method checks that format
before touching the disk, so a path outside the root cannot be named by construction.
An S3-compatible object store can replace :class:`LocalElementStorage` by implementing the
same three methods.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import tempfile
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from pathlib import Path

_KEY = re.compile(r"[0-9a-f]{32}")
#: Chunk size of streamed reads from disk.
READ_CHUNK = 1024 * 1024


async def _chunks(content: bytes, size: int = READ_CHUNK) -> AsyncIterator[bytes]:
    for start in range(0, len(content), size):
        yield content[start : start + size]


def new_object_key() -> str:
    """A fresh random storage key (128 bits, hex)."""
    return secrets.token_hex(16)


def check_key(key: str) -> str:
    """Return ``key`` if it has the format of a generated key, else raise ``ValueError``."""
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ValueError(f"invalid storage key {str(key)[:40]!r}")
    return key


class ElementStorage(ABC):
    """Bytes of elements by key. Errors propagate; deleting a missing key is not an error."""

    @abstractmethod
    async def put(self, key: str, content: bytes) -> None: ...

    @abstractmethod
    async def get(self, key: str) -> bytes | None:
        """The bytes stored under ``key``, or ``None`` if there are none."""

    @abstractmethod
    async def delete(self, key: str) -> None: ...

    async def stream(self, key: str) -> AsyncIterator[bytes] | None:
        """The bytes under ``key`` in chunks, or ``None`` if there are none. Errors that can be
        known before the first byte (a store that is down) are raised by this call itself."""
        content = await self.get(key)
        return None if content is None else _chunks(content)


class LocalElementStorage(ElementStorage):
    """Files under one directory, ``root/ab/abcdef...`` (two-level fan-out).

    A write goes to a temporary file in the same directory and is renamed into place, so a
    reader never sees half a file and a crash leaves no partial object under a real key.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        check_key(key)
        return self.root / key[:2] / key

    def _put(self, key: str, content: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(content)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def _delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    async def put(self, key: str, content: bytes) -> None:
        await asyncio.to_thread(self._put, key, bytes(content))

    async def get(self, key: str) -> bytes | None:
        return await asyncio.to_thread(self._get, key)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._delete, key)

    async def stream(self, key: str) -> AsyncIterator[bytes] | None:
        try:
            file = await asyncio.to_thread(self._path(key).open, "rb")
        except FileNotFoundError:
            return None

        async def chunks() -> AsyncIterator[bytes]:
            try:
                while chunk := await asyncio.to_thread(file.read, READ_CHUNK):
                    yield chunk
            finally:
                file.close()

        return chunks()
