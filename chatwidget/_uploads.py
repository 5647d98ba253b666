"""Files sent by the browser: received in chunks, checked in the kernel, stored under server ids.

The browser declares a name, a type and a size; the kernel checks them against the rules
of what the upload is for (an ask prompt, or a message), writes the chunks to a file named
by a random id (never by the uploaded name), checks the real size at the end, and deletes
anything half-written on error or abort.

What the browser declares is not trusted further than it can be checked: a type with control
characters is refused; SVG (a document that can carry script) matches only a rule that names
it (``image/svg+xml`` or ``.svg``), never ``image/*`` or ``*/*``; a file declared as an image
or a PDF must start with that format's bytes. Uploads waiting to be claimed (by a prompt or a
message) are capped per chat in number and total size, so a page cannot fill the disk.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHUNK_BYTES = 512 * 1024
#: Uploads of one chat started or finished but not yet claimed, at most (count, total bytes).
MAX_PENDING_FILES = 20
MAX_PENDING_BYTES = 256 * 1024 * 1024
_NAME_JUNK = re.compile(r"[\x00-\x1f\x7f/\\]")
_MIME = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*(;[ -~]*)?", re.IGNORECASE)
SVG = "image/svg+xml"
#: How a file of these declared types starts (one of the prefixes, at the given offset).
MAGIC: dict[str, list[tuple[int, bytes]]] = {
    "image/png": [(0, b"\x89PNG\r\n\x1a\n")],
    "image/jpeg": [(0, b"\xff\xd8\xff")],
    "image/gif": [(0, b"GIF87a"), (0, b"GIF89a")],
    "image/webp": [(8, b"WEBP")],
    "image/bmp": [(0, b"BM")],
    "image/avif": [(4, b"ftypavif"), (4, b"ftypavis")],
    "image/x-icon": [(0, b"\x00\x00\x01\x00")],
    "image/vnd.microsoft.icon": [(0, b"\x00\x00\x01\x00")],
    "image/tiff": [(0, b"II*\x00"), (0, b"MM\x00*")],
    "application/pdf": [(0, b"%PDF-")],
}


class UploadError(ValueError):
    """An upload that breaks a rule; the message is shown to the user."""


@dataclass
class UploadRules:
    """What an upload may be: MIME patterns (or a map of MIME pattern to extensions), size, count."""

    accept: list[str] | dict[str, list[str]] = field(default_factory=lambda: ["*/*"])
    max_size_mb: float = 2
    max_files: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {"accept": self.accept, "max_size_mb": self.max_size_mb, "max_files": self.max_files}

    def check_file(self, name: str, mime: str, size: int) -> None:
        if mime and not _MIME.fullmatch(mime):
            raise UploadError(f"{name}: {mime[:40]!r} is not a file type.")
        if size > self.max_size_mb * 1024 * 1024:
            raise UploadError(f"{name} is larger than {self.max_size_mb:g} MB.")
        if not accepts(self.accept, name, mime):
            extension = os.path.splitext(name)[1].lower() or "no extension"
            raise UploadError(
                f"{name} is not accepted here: accepted are {describe_accept(self.accept)}; "
                f"this file was detected as {mime or 'an unknown type'} ({extension})."
            )


def accepts(accept: list[str] | dict[str, list[str]], name: str, mime: str) -> bool:
    """Whether a file matches the rules: a MIME pattern (``image/*`` too) OR an extension.

    A map ``{"text/plain": [".py", ".txt"]}`` accepts a file whose type matches a key or
    whose extension is listed under any key, as a browser's file picker does: browsers
    disagree on the type of many files (``.py`` is ``text/x-python`` in Chromium,
    ``text/plain`` elsewhere), so requiring both would refuse the very files asked for.
    """
    mime = (mime or "application/octet-stream").split(";", 1)[0].strip().lower()
    extension = os.path.splitext(name)[1].lower()
    svg = mime == SVG or extension == ".svg"
    patterns, extensions = _accepted(accept)

    def matches(pattern: str) -> bool:
        if svg and ("*" in pattern or "?" in pattern):
            return False  # SVG only where it is named
        return fnmatch.fnmatchcase(mime, pattern)

    return extension in extensions or any(matches(p) for p in patterns)


def _accepted(accept: list[str] | dict[str, list[str]]) -> tuple[list[str], set[str]]:
    """The MIME patterns and the extensions (lower case, with their dot) that ``accept`` allows."""
    entries = list(accept) if isinstance(accept, dict) else accept
    patterns = [e.lower() for e in entries if not e.startswith(".")]
    extensions = {e.lower() for e in entries if e.startswith(".")}
    if isinstance(accept, dict):
        extensions.update(
            e.lower() if e.startswith(".") else f".{e.lower()}" for v in accept.values() for e in v
        )
    return patterns, extensions


def describe_accept(accept: list[str] | dict[str, list[str]]) -> str:
    """What ``accept`` allows, for an error message: ``text/plain, text/x-python or .py, .txt files``."""
    patterns, extensions = _accepted(accept)
    parts = []
    if patterns:
        parts.append(", ".join(patterns))
    if extensions:
        parts.append(", ".join(sorted(extensions)) + " files")
    return " or ".join(parts) or "no file"


def check_content(file: UploadedFile) -> None:
    """Refuse a file whose bytes are not the image or PDF its declared type says it is."""
    mime = file.type.split(";", 1)[0].strip().lower()
    with open(file.path, "rb") as f:
        head = f.read(64)
    signatures = MAGIC.get(mime)
    if signatures is not None:
        if not any(head[at : at + len(magic)] == magic for at, magic in signatures):
            raise UploadError(f"{file.name} is not the {mime} file it claims to be.")
    elif mime.startswith("image/") and mime != SVG and head.lstrip()[:1] == b"<":
        raise UploadError(f"{file.name} is markup, not the {mime} image it claims to be.")


def clean_name(name: str) -> str:
    """A displayable file name: no path, no control characters, at most 255 characters."""
    name = _NAME_JUNK.sub("_", name.replace("\\", "/").rsplit("/", 1)[-1]).strip() or "file"
    return name[:255]


@dataclass
class UploadedFile:
    """A complete upload (the reference's ``AskFileResponse``)."""

    id: str
    name: str
    path: str
    size: int
    type: str
    purpose: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "path": self.path, "size": self.size, "type": self.type}


@dataclass
class _Partial:
    file: UploadedFile
    received: int = 0


class Uploads:
    """The uploads of one app, in a private temporary directory."""

    def __init__(self, max_files: int = MAX_PENDING_FILES, max_bytes: int = MAX_PENDING_BYTES) -> None:
        self.max_files = max_files
        self.max_bytes = max_bytes
        self._dir: Path | None = None
        self._partial: dict[str, _Partial] = {}
        self._done: dict[str, UploadedFile] = {}

    @property
    def directory(self) -> Path:
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="chatwidget-uploads-"))
        return self._dir

    def start(self, name: str, mime: str, size: int, purpose: str, rules: UploadRules) -> str:
        name = clean_name(name)
        if size < 0:
            raise UploadError("A file cannot have a negative size.")
        rules.check_file(name, mime, size)
        waiting = [p.file for p in self._partial.values()] + list(self._done.values())
        if len(waiting) >= self.max_files:
            raise UploadError(
                f"{len(waiting)} files are already waiting to be sent; send or remove some first."
            )
        if sum(f.size for f in waiting) + size > self.max_bytes:
            raise UploadError(
                f"{name}: the files waiting to be sent would exceed {self.max_bytes // 2**20} MB."
            )
        upload_id = uuid.uuid4().hex
        path = self.directory / upload_id
        path.touch(mode=0o600)
        self._partial[upload_id] = _Partial(UploadedFile(upload_id, name, str(path), size, mime, purpose))
        return upload_id

    def chunk(self, upload_id: str, offset: int, data: bytes) -> None:
        partial = self._partial.get(upload_id)
        if partial is None:
            raise UploadError("No such upload in progress.")
        if offset != partial.received or partial.received + len(data) > partial.file.size:
            self.abort(upload_id)
            raise UploadError(f"{partial.file.name}: the data does not match the declared size.")
        with open(partial.file.path, "ab") as out:
            out.write(data)
        partial.received += len(data)

    def finish(self, upload_id: str) -> UploadedFile:
        partial = self._partial.pop(upload_id, None)
        if partial is None:
            raise UploadError("No such upload in progress.")
        if partial.received != partial.file.size:
            Path(partial.file.path).unlink(missing_ok=True)
            raise UploadError(f"{partial.file.name} arrived incomplete.")
        try:
            check_content(partial.file)
        except UploadError:
            Path(partial.file.path).unlink(missing_ok=True)
            raise
        self._done[upload_id] = partial.file
        return partial.file

    def abort(self, upload_id: str) -> None:
        partial = self._partial.pop(upload_id, None)
        if partial is not None:
            Path(partial.file.path).unlink(missing_ok=True)

    def take(self, upload_ids: list[str], purpose: str, rules: UploadRules) -> list[UploadedFile]:
        """Claim finished uploads for ``purpose``; unknown ids or a broken rule refuse them all."""
        if len(set(upload_ids)) != len(upload_ids):
            raise UploadError("The same file was given twice.")
        files = [self._done.get(i) for i in upload_ids]
        if any(f is None or f.purpose != purpose for f in files):
            raise UploadError("A file was not uploaded in this chat.")
        if len(files) > rules.max_files:
            raise UploadError(f"At most {rules.max_files} file(s) can be sent.")
        for upload_id in upload_ids:
            del self._done[upload_id]
        return [f for f in files if f is not None]

    def close(self) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        self._partial.clear()
        self._done.clear()
