"""The elements and actions of one chat: what the browser may show and click.

Elements are registered when the step that carries them is sent or updated (so one attached
after sending still reaches the views and the database), and when sent on their own. The
views get each element's description under ``e<id>`` and its bytes, once, under ``b<id>``;
an action is found again only among the steps of this chat.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from . import _protocol as wire
from ._base import StepBase

if TYPE_CHECKING:
    from .action import Action
    from .chat import ChatSession
    from .element import Element


class ElementRegistry:
    def __init__(self, chat: ChatSession) -> None:
        self._chat = chat
        self._elements: dict[str, Element] = {}
        self._libraries: dict[str, bytes] = {}
        self._data_digest: dict[str, str] = {}

    def get(self, element_id: str) -> Element | None:
        return self._elements.get(element_id)

    def __iter__(self) -> Any:
        return iter(list(self._elements.values()))

    # -- steps' elements and actions ------------------------------------------------------
    def attach(self, step: StepBase, *, store: bool = True) -> None:
        """Register what ``step`` carries that is new, so the browser can show and click it."""
        for element in step.elements:
            if element.id not in self._elements or element.for_id != step.id:
                element.for_id = step.id
                element.thread_id = self._chat.thread_id
                self.put(element, refresh_step=False, store=store)
        for action in step.actions:
            action.attach(step)

    def decorate(self, step: StepBase, data: Any) -> None:
        """Add what the wire form of a step carries beyond the StepDict."""
        if step.elements:
            data["elements"] = [e.id for e in step.elements]
        if step.actions:
            data["actions"] = [a.to_dict() for a in step.actions]
        if step.feedback is not None:
            data["feedback"] = step.feedback
        selected = step.metadata.get("selected_action")
        if selected:
            data["selectedAction"] = selected

    def find_action(self, action_id: str) -> Action | None:
        for step in reversed(self._chat.conversation.steps()):
            for action in step.actions:
                if action.id == action_id:
                    return action
        return None

    # -- elements ----------------------------------------------------------------------
    def put(self, element: Element, *, refresh_step: bool = True, store: bool = True) -> None:
        """Show (or update) ``element``; one not attached to a step gets a message of its own."""
        chat = self._chat
        if element.for_id is None:
            from .message import Message

            Message("", elements=[element]).bind(chat)._send_now()
            return
        self._elements[element.id] = element
        if element.for_id == "" and element.id not in chat.chat_elements:  # the chat's own
            chat.chat_elements = [*chat.chat_elements, element.id]
        if element.type == "plotly":
            self.ship_library("plotly")
        if store and chat.writer is not None:
            chat.writer.element(element)
        chat.view_state(wire.element_key(element.id), element.to_dict())
        data = element.data()
        digest = hashlib.sha256(data).hexdigest() if data is not None else ""
        if data is not None and self._data_digest.get(element.id) != digest:
            self._data_digest[element.id] = digest
            chat.view_state(wire.element_data_key(element.id), {"data": data})
        owner = chat.conversation.get(element.for_id)
        if refresh_step and owner is not None:
            if element not in owner.elements:
                owner.elements.append(element)
            chat.conversation.put(owner)

    def ship_library(self, name: str) -> bool:
        """Send a front-end library once, as a binary buffer; False when it is not available."""
        if name in self._libraries:
            return True
        from .element import front_end_library

        data = front_end_library(name)
        if data is None:
            return False
        self._libraries[name] = data
        self._chat.view_state(wire.library_key(name), {"data": data})
        return True

    def remove(self, element: Element) -> None:
        if self._elements.pop(element.id, None) is None:
            return
        chat = self._chat
        self._data_digest.pop(element.id, None)
        if element.id in chat.chat_elements:
            chat.chat_elements = [i for i in chat.chat_elements if i != element.id]
        chat.view_state(wire.element_key(element.id), None)
        chat.view_state(wire.element_data_key(element.id), None)
        owner = chat.conversation.get(element.for_id or "")
        if owner is not None and element in owner.elements:
            owner.elements.remove(element)
            chat.conversation.put(owner)

    def clear(self) -> None:
        for element in list(self._elements.values()):
            self.remove(element)

    def state(self) -> dict[str, Any]:
        """Every element, for a view that starts from scratch."""
        state: dict[str, Any] = {wire.library_key(n): {"data": d} for n, d in self._libraries.items()}
        for element in self._elements.values():
            state[wire.element_key(element.id)] = element.to_dict()
            data = element.data()
            if data is not None:
                state[wire.element_data_key(element.id)] = {"data": data}
        return state
