"""``GET {base_url}chatwidget/static/...``: the front-end bundle, its CSS, the share page script.

Served without login (the share page is public; these files hold no user data), from the
``chatwidget`` package's ``static/`` folder and this package's own ``static/`` folder.
"""

from __future__ import annotations

from collections.abc import Awaitable, Coroutine
from pathlib import Path
from typing import Any

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.base.handlers import FileFindHandler

import chatwidget

STATIC_DIRS = [
    str(Path(chatwidget.__file__).parent / "static"),
    str(Path(__file__).parent / "static"),
]


class StaticHandler(FileFindHandler):
    @property
    def content_security_policy(self) -> str:
        return "default-src 'none'; frame-ancestors 'none'"

    @allow_unauthenticated
    def head(self, path: str) -> Awaitable[None]:
        return super().head(path)

    @allow_unauthenticated
    def get(self, path: str, include_body: bool = True) -> Coroutine[Any, Any, None]:
        return super().get(path, include_body)


ROUTES = [(r"static/(.*)", StaticHandler, {"path": STATIC_DIRS, "no_cache_paths": ["/"]})]
