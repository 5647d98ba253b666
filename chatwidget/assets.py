"""The front end's files (``chatwidget/static``, built from ``js/``) and the build id that names them.

A chat's widget state carries only the loader (``loader.js``, a few KB, see
``js/src/loader.ts``): it fetches the bundle (``chatwidget.js`` and ``chatwidget.css``) once
per page from the Jupyter server, or from the kernel where the server has no chatwidget
extension. The build id is a hash of the two files: the server answers a request for
``chatwidget.js?v=<build>`` only with those very files (then cacheable for good), so a page
never runs a bundle of another build than its kernel's loader expects.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

STATIC = Path(__file__).parent / "static"
BUNDLE = ("chatwidget.js", "chatwidget.css")
_PLACEHOLDER = "__CHATWIDGET_BUILD_ID__"

#: (directory, mtimes and sizes of the bundle's files) -> build id, so a server hashes once.
_builds: dict[tuple[str, tuple[tuple[int, int], ...]], str] = {}


def bundle_files(static: Path = STATIC) -> tuple[bytes, bytes] | None:
    """The bundle's script and CSS, or None if the front end is not built."""
    try:
        script, css = ((static / name).read_bytes() for name in BUNDLE)
    except OSError:
        return None
    return script, css


def build_id(static: Path = STATIC) -> str | None:
    """The hash naming the bundle in ``static`` (16 hex digits), or None if it is not built."""
    try:
        stamp = tuple((s.st_mtime_ns, s.st_size) for s in ((static / name).stat() for name in BUNDLE))
    except OSError:
        return None
    key = (str(static), stamp)
    if key not in _builds:
        files = bundle_files(static)
        if files is None:
            return None
        digest = hashlib.sha256()
        for data in files:
            digest.update(len(data).to_bytes(8, "big"))
            digest.update(data)
        _builds[key] = digest.hexdigest()[:16]
    return _builds[key]


def loader_source(static: Path = STATIC) -> str | None:
    """The loader module with this build's id written in, or None if the front end is not built."""
    build = build_id(static)
    try:
        source = (static / "loader.js").read_text()
    except OSError:
        return None
    if build is None or _PLACEHOLDER not in source:
        return None
    return source.replace(_PLACEHOLDER, build)
