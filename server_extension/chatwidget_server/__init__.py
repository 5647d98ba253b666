"""The Jupyter server extension of chatwidget.

It will hold what a kernel cannot do alone (the thread API, publishing, login). For now it
only registers itself, so that enabling it on install is already in place.
"""

from __future__ import annotations

from typing import Any


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "chatwidget_server"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    serverapp.log.debug("chatwidget_server loaded")
