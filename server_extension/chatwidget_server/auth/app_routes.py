"""The routes an app user may reach; every other path of the server answers them 403.

The list is closed (deny by default): a route added by any other extension is closed to
app users until a deployment opens it with ``app_user_routes``. Paths are checked after
percent-decoding, and any path with a dot segment, an empty segment or a backslash is
refused before matching, so ``voila/render/%2e%2e/x.ipynb`` cannot reach past a pattern.

Open to app users (paths under ``base_url``):

=====================================================  ========================================
``login``, ``login/...``, ``logout``, ``favicon.ico``  signing in and out
``chatwidget/...``                                     the chat extension (it checks ownership)
``static/...``, ``voila/static/...``,                  page assets (no data)
``voila/templates/...``, ``voila/labextensions/...``,
``voila/api/themes/...``
``voila/render/<path>``                                ``<path>`` matches ``app_notebooks``
``api/kernels/<id>/channels``                          the kernel Voila started for this user
``api/kernels/<id>`` (GET only)                        that kernel's model (the page reads it)
``voila/api/shutdown/<id>``, ``voila/execution/<id>``  the same kernel only
=====================================================  ========================================
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from urllib.parse import unquote

from ._kernel_owners import KernelOwners

_OPEN_PREFIXES = (
    "chatwidget/",
    "static/",
    "voila/static/",
    "voila/templates/",
    "voila/labextensions/",
    "voila/api/themes/",
)
_LOGIN = re.compile(r"login(/.*)?|logout|favicon\.ico")
_KERNEL_ROUTES = re.compile(
    r"(?:api/kernels/([^/]+)/channels|voila/api/shutdown/([^/]+)|voila/execution/([^/]+))"
)
_KERNEL_MODEL = re.compile(r"api/kernels/([^/]+)")
_RENDER = "voila/render/"


def relative_path(path: str, base_url: str) -> str | None:
    """``path`` under ``base_url``, decoded; ``None`` if outside it or not a plain path."""
    if not path.startswith(base_url):
        return None
    rel = unquote(path[len(base_url) :])
    if "\\" in rel or "\x00" in rel:
        return None
    segments = rel.split("/")
    if any(s in (".", "..") for s in segments) or "" in segments[:-1]:
        return None
    return rel


class AppRoutes:
    """Decides whether an app user may reach a path (see the module docstring)."""

    def __init__(
        self, app_notebooks: Iterable[str], extra_routes: Iterable[str], owners: KernelOwners
    ) -> None:
        self.app_notebooks = [p.strip("/") for p in app_notebooks if p.strip("/")]
        self.extra_routes = [re.compile(r) for r in extra_routes]
        self.owners = owners

    def is_app(self, notebook: str) -> bool:
        return any(fnmatch.fnmatchcase(notebook, pattern) for pattern in self.app_notebooks)

    def allows(self, path: str, base_url: str, username: str, method: str = "GET") -> bool:
        rel = relative_path(path, base_url)
        if rel is None:
            return False
        if _LOGIN.fullmatch(rel) or rel.startswith(_OPEN_PREFIXES):
            return True
        if rel.startswith(_RENDER):
            return self.is_app(rel[len(_RENDER) :])
        kernel = _KERNEL_ROUTES.fullmatch(rel) or (_KERNEL_MODEL.fullmatch(rel) if method == "GET" else None)
        if kernel is not None:
            kernel_id = next(group for group in kernel.groups() if group)
            return self.owners.owns(kernel_id, username)
        return any(route.fullmatch(rel) for route in self.extra_routes)
