"""What every chatwidget handler shares: the app's collaborators, id checks, error bodies.

Errors: a handler raises :class:`NotFound` (or another ``HTTPError``); a storage error
(``DataLayerError``) propagates out of the handler and is answered 503, anything else 500.
The body of an error is generic (``{"message": ...}``); the details go to the server log,
never to the client. A thread that is not the caller's answers exactly like a missing one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, TypeVar

from jupyter_server.base.handlers import APIHandler, JupyterHandler
from tornado import web

from chatwidget.data import BaseDataLayer, DataLayerError, ThreadDict
from chatwidget.data.threads import ThreadNotFoundError, ThreadService

from ._json import JSONHandlerMixin
from .identity import owner_of

if TYPE_CHECKING:
    from .app import ChatWidgetServer

T = TypeVar("T")

#: Thread and element ids: UUIDs, hex keys, or any short token of this charset.
_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")

_GENERIC = {
    404: "Not found",
    500: "Internal server error",
    503: "Storage is unavailable; try again later",
}


class NotFound(web.HTTPError):
    """404 with the one body every missing or foreign resource gets."""

    def __init__(self) -> None:
        super().__init__(404)


def check_id(value: str) -> str:
    """``value`` if it is a well-formed id, else :class:`NotFound` (before any lookup)."""
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise NotFound()
    return value


class ChatHandlerMixin:
    """Mixed into jupyter_server handlers (``APIHandler``, ``JupyterHandler``...)."""

    settings: dict[str, Any]

    @property
    def chat_app(self) -> ChatWidgetServer:
        app: ChatWidgetServer = self.settings["chatwidget"]
        return app

    @property
    def data_layer(self) -> BaseDataLayer:
        layer: BaseDataLayer | None = self.chat_app.data_layer
        assert layer is not None, "the chatwidget extension has not been initialized"
        return layer

    def chat_url(self, *parts: str) -> str:
        """An absolute path (or URL, with ``public_base_url``) under ``{base_url}chatwidget/``."""
        return self.chat_app.chat_url(*parts)

    @property
    def threads(self) -> ThreadService:
        """The owner rules shared with the kernel (:mod:`chatwidget.data.threads`)."""
        return ThreadService(self.data_layer)

    @staticmethod
    async def owned(work: Awaitable[T]) -> T:
        """Await a thread operation; a thread that is not the caller's is :class:`NotFound`."""
        try:
            return await work
        except ThreadNotFoundError:
            raise NotFound() from None

    async def owned_thread_author(self, thread_id: str) -> str:
        """Check that ``thread_id`` exists and belongs to the caller; else :class:`NotFound`."""
        check_id(thread_id)
        return await self.owned(self.threads.check_owner(thread_id, owner_of(self)))  # type: ignore[arg-type]

    async def owned_thread(self, thread_id: str) -> ThreadDict:
        check_id(thread_id)
        return await self.owned(self.threads.get(thread_id, owner_of(self)))  # type: ignore[arg-type]

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, DataLayerError):
            status_code = 503
        handler: Any = self
        handler.set_status(status_code)
        handler.clear_header("Content-Disposition")
        handler.set_header("Content-Type", "application/json; charset=UTF-8")
        handler.set_header("Cache-Control", "no-store")
        if isinstance(exc, web.HTTPError) and 400 <= status_code < 500 and status_code != 404:
            message = exc.log_message or handler._reason
        else:
            message = _GENERIC.get(status_code, handler._reason)
        handler.finish(json.dumps({"message": message}))


class ChatAPIHandler(ChatHandlerMixin, JSONHandlerMixin, APIHandler):
    """A JSON endpoint of the private API (every method is ``@web.authenticated``)."""


class ChatPageHandler(ChatHandlerMixin, JupyterHandler):
    """A non-JSON endpoint (page, bytes); errors are still answered as generic JSON."""

    def get_login_url(self) -> str:
        # ``@web.authenticated`` on a private endpoint: 403, not a redirect to a login page.
        if not self.current_user:
            raise web.HTTPError(403)
        return super().get_login_url()
