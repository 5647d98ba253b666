"""``ElementSidebar``: a panel beside the chat that a handler fills with elements and a title.

``await cw.ElementSidebar.set_elements([...])`` opens it (an empty list closes it);
``await cw.ElementSidebar.set_title("...")`` names it. The elements belong to the chat,
not to a message.
"""

from __future__ import annotations

from typing import Any

from ._context import require_chat
from ._sync import on_loop


class ElementSidebar:
    @staticmethod
    async def set_title(title: str) -> None:
        chat = require_chat()
        on_loop(lambda: chat.page.set_element_sidebar(title=title))

    @staticmethod
    async def set_elements(elements: list[Any], key: str | None = None) -> None:
        """Show ``elements``; with the ``key`` of what is shown already, nothing changes."""
        chat = require_chat()
        if key is not None and chat.element_sidebar.get("key") == key:
            return
        on_loop(lambda: chat.page.set_element_sidebar(elements=list(elements), key=key))
