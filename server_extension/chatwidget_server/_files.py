"""Serving element bytes safely, for the owner's download and the share page alike.

Only types a browser shows passively are served inline, under their own type; anything else
(HTML, SVG, XML, JavaScript, unknown) is sent as ``application/octet-stream`` with
``Content-Disposition: attachment``. Every response carries ``nosniff`` and a CSP that
sandboxes the document and forbids framing it, so a file can never run script in the
server's origin nor be shown inside another site's page.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from urllib.parse import quote

from jupyter_server.base.handlers import JupyterHandler

INLINE_TYPES = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/avif",
        "image/bmp",
        "audio/mpeg",
        "audio/ogg",
        "audio/wav",
        "audio/webm",
        "audio/flac",
        "audio/aac",
        "video/mp4",
        "video/webm",
        "video/ogg",
        "application/pdf",
        "text/plain",
        "text/csv",
    }
)
FILE_CSP = "sandbox; default-src 'none'; frame-ancestors 'none'"
CHUNK = 64 * 1024
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f"\\/;]+')


def _mime(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


def safe_filename(name: str | None) -> str:
    cleaned = _UNSAFE_NAME.sub("_", name or "").strip(" .") or "download"
    return cleaned[:200]


async def send_element_chunks(
    handler: JupyterHandler, chunks: AsyncIterator[bytes], mime: str | None, name: str | None, cache: str
) -> None:
    """Write ``chunks`` as the response with the safe headers, each flushed as it comes: the
    whole element is never held (without a known length the response is chunked)."""
    kind = _mime(mime)
    filename = safe_filename(name)
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    disposition = f"filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
    if kind in INLINE_TYPES:
        handler.set_header("Content-Type", f"{kind}; charset=utf-8" if kind.startswith("text/") else kind)
        handler.set_header("Content-Disposition", f"inline; {disposition}")
    else:
        handler.set_header("Content-Type", "application/octet-stream")
        handler.set_header("Content-Disposition", f"attachment; {disposition}")
    handler.set_header("X-Content-Type-Options", "nosniff")
    handler.set_header("Content-Security-Policy", FILE_CSP)
    handler.set_header("Cross-Origin-Resource-Policy", "same-origin")
    handler.set_header("Cache-Control", cache)
    async for chunk in chunks:
        for start in range(0, len(chunk), CHUNK):
            handler.write(chunk[start : start + CHUNK])
            await handler.flush()
    await handler.finish()
