"""The owner's element download: ``GET threads/{id}/elements/{element_id}/file``.

The bytes are read through the data layer by (thread id, element id) after the ownership
check; nothing in the request names a path or a URL.
"""

from __future__ import annotations

from tornado import web

from ._files import send_element_bytes
from ._handler import ChatPageHandler, NotFound, check_id


class ElementFileHandler(ChatPageHandler):
    @web.authenticated
    async def get(self, thread_id: str, element_id: str) -> None:
        check_id(element_id)
        await self.owned_thread_author(thread_id)
        element = await self.data_layer.get_element(thread_id, element_id)
        if element is None:
            raise NotFound()
        content = await self.data_layer.read_element_content(thread_id, element_id)
        if content is None:
            raise NotFound()
        await send_element_bytes(
            self, content, element.get("mime"), element.get("name"), cache="private, no-store"
        )


ROUTES = [(r"api/threads/([^/]+)/elements/([^/]+)/file", ElementFileHandler)]
