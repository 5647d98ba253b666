"""The saved-notebook copy written as HTML when a notebook is saved, and the route that
tells a chat's page so (see :mod:`chatwidget.saved_copy` for why the copy has a live form).

* a pre-save hook of the server's contents manager turns the copy's live outputs into
  ``text/html`` in every notebook saved through this server (a save, autosave, a
  collaborative document's save: all go through the contents manager);
* ``GET chatwidget/api/features`` (logged in): ``{"copy_html_at_save": true}`` once the
  hook is installed; a chat's page asks before it tells the kernel.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from jupyter_server.services.contents.filemanager import AsyncFileContentsManager, FileContentsManager
from tornado import web

from chatwidget.saved_copy import html_for_saving

from ._handler import ChatAPIHandler

log = logging.getLogger(__name__)


def _before_save(model: dict[str, Any], **_: Any) -> None:
    if model.get("type") == "notebook" and isinstance(model.get("content"), dict):
        changed = html_for_saving(model["content"])
        if changed:
            log.debug("chatwidget: %d saved-copy output(s) written as HTML", changed)


def install_save_hook(contents_manager: Any) -> bool:
    """Register the hook on the server's own file contents managers (and their subclasses),
    which run every registered hook as they save; False for any other, whose ``save`` may
    run only the one configured hook (the page is then never told, and kernels keep the
    copy as HTML)."""
    if not isinstance(contents_manager, (FileContentsManager, AsyncFileContentsManager)):
        return False
    contents_manager.register_pre_save_hook(_before_save)
    return True


class FeaturesHandler(ChatAPIHandler):
    """``GET chatwidget/api/features``: what this server does for a chat's page."""

    @web.authenticated
    def get(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps({"copy_html_at_save": self.chat_app.copy_html_at_save}))


ROUTES = [(r"api/features", FeaturesHandler)]
