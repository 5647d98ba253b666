"""Publishing: a shared thread as JSON, as a read-only page, and its elements' bytes.

``GET share/{id}``, ``GET share/{id}/page`` and ``GET share/{id}/elements/{element_id}``
need no login, and answer only while the thread is shared (``metadata.is_shared``) or the
server's ``on_shared_thread_view`` callback allows the viewer; otherwise 404, the same 404
as a thread that does not exist. Nothing is cached (``Cache-Control: no-store``), so
unsharing takes effect at once. What is shown is built from allowlists (``_public``).
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.decorator import allow_unauthenticated

from chatwidget.data import ElementDict, ThreadDict, User

from ._handler import ChatAPIHandler, ChatHandlerMixin, ChatPageHandler, NotFound, check_id
from ._page import PAGE_CSP, render_page
from ._public import public_thread
from .elements import refuse_other_sites_without_token, send_stored_element
from .identity import owner_of

NO_STORE = "no-store"


class _SharedMixin(ChatHandlerMixin):
    async def shared_thread(self, thread_id: str) -> ThreadDict:
        check_id(thread_id)
        if not self.chat_app.share_enabled:
            raise NotFound()
        thread = await self.data_layer.get_thread(thread_id)
        if thread is None:
            raise NotFound()
        handler: Any = self
        identifier = owner_of(handler) if handler.current_user else None
        viewer = User(identifier=identifier) if identifier else None
        if not await self.chat_app.may_view_shared(thread, viewer):
            raise NotFound()
        return thread

    def public(self, thread: ThreadDict) -> dict[str, Any]:
        thread_id = str(thread.get("id"))

        def element_url(element: ElementDict) -> str | None:
            if not element.get("objectKey"):
                return None
            return self.chat_url("share", thread_id, "elements", str(element.get("id")))

        return public_thread(thread, element_url, tool_inputs=self.chat_app.share_tool_inputs)


class SharedThreadHandler(_SharedMixin, ChatAPIHandler):
    """``GET share/{id}``: the public JSON of a shared thread."""

    @allow_unauthenticated
    async def get(self, thread_id: str) -> None:
        thread = await self.shared_thread(thread_id)
        self.write_json(self.public(thread))


class SharedPageHandler(_SharedMixin, ChatPageHandler):
    """``GET share/{id}/page``: a read-only page that renders the public JSON."""

    @property
    def content_security_policy(self) -> str:
        return PAGE_CSP

    @allow_unauthenticated
    async def get(self, thread_id: str) -> None:
        thread = await self.shared_thread(thread_id)
        html = render_page(self.public(thread), static_prefix=self.chat_app.chat_path("static"))
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.set_header("Cache-Control", NO_STORE)
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("X-Robots-Tag", "noindex")
        await self.finish(html)


class SharedElementHandler(_SharedMixin, ChatPageHandler):
    """``GET share/{id}/elements/{element_id}``: the bytes of an element of a shared thread.

    A thread that is not shared, readable only because ``on_shared_thread_view`` lets this
    viewer in, is private to the viewer's login: its bytes get the owner's download rule.
    """

    @allow_unauthenticated
    async def get(self, thread_id: str, element_id: str) -> None:
        check_id(element_id)
        thread = await self.shared_thread(thread_id)
        if not (thread.get("metadata") or {}).get("is_shared"):
            refuse_other_sites_without_token(self)
        await send_stored_element(self, thread_id, element_id, cache=NO_STORE)


ROUTES = [
    (r"share/([^/]+)", SharedThreadHandler),
    (r"share/([^/]+)/page", SharedPageHandler),
    (r"share/([^/]+)/elements/([^/]+)", SharedElementHandler),
]
