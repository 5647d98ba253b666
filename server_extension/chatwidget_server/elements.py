"""The owner's element download: ``GET threads/{id}/elements/{element_id}/file``.

The bytes are read through the data layer by (thread id, element id) after the ownership
check; nothing in the request names a path or a URL. A request that the browser marks as
coming from another site (``Sec-Fetch-Site: cross-site``) must carry the XSRF token, as
jupyter_server's own file downloads do: another site cannot make a signed-in browser fetch a
user's file with its cookie (a link, an image, a script tag).
"""

from __future__ import annotations

from tornado import web
from tornado.web import RequestHandler

from ._files import send_element_chunks
from ._handler import ChatPageHandler, NotFound, check_id


def refuse_other_sites_without_token(handler: ChatPageHandler) -> None:
    """403 for a cookie request another site made (``Sec-Fetch-Site: cross-site``) without the
    XSRF token; a request typed in the address bar or made by the page itself passes."""
    if handler.request.headers.get("Sec-Fetch-Site") == "cross-site" and not handler.token_authenticated:
        RequestHandler.check_xsrf_cookie(handler)  # the token itself: no Referer fallback


class ElementFileHandler(ChatPageHandler):
    @web.authenticated
    async def get(self, thread_id: str, element_id: str) -> None:
        refuse_other_sites_without_token(self)
        check_id(element_id)
        await self.owned_thread_author(thread_id)
        await send_stored_element(self, thread_id, element_id, cache="private, no-store")


ROUTES = [(r"api/threads/([^/]+)/elements/([^/]+)/file", ElementFileHandler)]


async def send_stored_element(handler: ChatPageHandler, thread_id: str, element_id: str, cache: str) -> None:
    """Answer with an element's stored bytes; a missing element or missing bytes is a 404.

    The caller has checked that the requester may read ``thread_id``.
    """
    element = await handler.data_layer.get_element(thread_id, element_id)
    chunks = (
        None if element is None else await handler.data_layer.stream_element_content(thread_id, element_id)
    )
    if element is None or chunks is None:
        raise NotFound()
    await send_element_chunks(handler, chunks, element.get("mime"), element.get("name"), cache=cache)
