"""``GET {base_url}chatwidget/static/...``: the front-end bundle, its CSS, the share page script,
the sandboxed frames' document, and ``lib/plotly.js`` from the ``plotly`` package if installed.

Served without login (the share page is public; these files hold no user data), from the
``chatwidget`` package's ``static/`` folder and this package's own ``static/`` folder.

``chatwidget.js`` and ``chatwidget.css`` asked for with ``?v=<build>`` (every chat's loader,
see ``chatwidget/assets.py``) are served only when they are that build, with a long cache.

``frame.html`` is where the share page's sandboxed frames (custom elements, plotly figures)
load their document from, since the page's CSP forbids inline frames. Its own CSP sandboxes
it (an opaque origin, even opened on its own), lets only the page embed it, and allows the
inline and blob: scripts it runs code with, and nothing from the network.
"""

from __future__ import annotations

from collections.abc import Awaitable, Coroutine
from pathlib import Path
from typing import Any

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.base.handlers import FileFindHandler, JupyterHandler
from tornado import web

import chatwidget
from chatwidget import assets
from chatwidget.element import front_end_library

STATIC_DIRS = [
    str(Path(chatwidget.__file__).parent / "static"),
    str(Path(__file__).parent / "static"),
]


FRAME_CSP = "; ".join(
    [
        "sandbox allow-scripts",
        "default-src 'none'",
        "script-src 'unsafe-inline' 'unsafe-eval' blob: data:",
        "style-src 'unsafe-inline'",
        "img-src data: blob:",
        "font-src data:",
        "frame-ancestors 'self'",
    ]
)


class StaticHandler(FileFindHandler):
    """The files; the bundle asked for by build (``chatwidget.js?v=<build>``, as every chat's
    loader asks) is served only if it is that build, and then cached by the browser for good."""

    @property
    def content_security_policy(self) -> str:
        if self.request.path.endswith("/frame.html"):
            return FRAME_CSP
        return "default-src 'none'; frame-ancestors 'none'"

    def _check_build(self, path: str) -> None:
        """A kernel of another chatwidget build gets a 404 and fetches its own bundle."""
        self._immutable = False
        if path not in assets.BUNDLE or "v" not in self.request.arguments:
            return
        if self.get_argument("v") != assets.build_id():
            raise web.HTTPError(404)
        self._immutable = True

    def set_headers(self) -> None:
        super().set_headers()
        if getattr(self, "_immutable", False):
            self.set_header("Cache-Control", "public, max-age=31536000, immutable")

    @allow_unauthenticated
    def head(self, path: str) -> Awaitable[None]:
        self._check_build(path)
        return super().head(path)

    @allow_unauthenticated
    def get(self, path: str, include_body: bool = True) -> Coroutine[Any, Any, None]:
        self._check_build(path)
        return super().get(path, include_body)


class LibraryHandler(JupyterHandler):
    """``GET static/lib/plotly.js``: plotly.js from the installed ``plotly`` package, for
    shared figures (the widget gets it from the kernel); 404 when it is not installed."""

    @property
    def content_security_policy(self) -> str:
        return "default-src 'none'; frame-ancestors 'none'"

    @allow_unauthenticated
    async def get(self, name: str) -> None:
        source = front_end_library(name)
        if source is None:
            raise web.HTTPError(404)
        self.set_header("Content-Type", "text/javascript; charset=UTF-8")
        self.set_header("Cache-Control", "public, max-age=3600")
        self.set_header("X-Content-Type-Options", "nosniff")
        await self.finish(source)


ROUTES = [
    (r"static/lib/(plotly)\.js", LibraryHandler),
    (r"static/(.*)", StaticHandler, {"path": STATIC_DIRS, "no_cache_paths": ["/"]}),
]
