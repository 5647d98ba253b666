"""The Jupyter server extension of chatwidget: the thread API and publishing.

Routes, under ``{base_url}chatwidget/``:

* ``api/threads`` (GET), ``api/threads/{id}`` (GET, PATCH, DELETE),
  ``api/threads/{id}/share`` (PUT, DELETE), ``api/threads/{id}/elements/{element_id}/file``
  (GET): the caller's threads, login required (:mod:`.threads`, :mod:`.elements`);
* ``share/{id}``, ``share/{id}/page``, ``share/{id}/elements/{element_id}``: a shared
  thread, no login (:mod:`.share`);
* ``static/...``: the front-end bundle (:mod:`.static`).

Options: :class:`.app.ChatWidgetServer`. Who owns a thread: :func:`.identity.owner_of`.
"""

from __future__ import annotations

from .app import ChatWidgetServer
from .identity import local_owner, owner_of

__all__ = ["ChatWidgetServer", "local_owner", "owner_of"]


def _jupyter_server_extension_points() -> list[dict[str, object]]:
    return [{"module": "chatwidget_server", "app": ChatWidgetServer}]
