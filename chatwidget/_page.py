"""What one chat shows beside its messages, in the reference's terms: the composer's modes,
the element sidebar, toasts, window messages with an embedding page, and the user's keys
(``user_env``). A :class:`~chatwidget.chat.ChatSession` owns one of these; the values the
views show are the session's traits (``modes``, ``element_sidebar``)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from . import _protocol as wire

if TYPE_CHECKING:
    from .chat import ChatSession

MAX_ENV_VALUE_CHARS = 10_000


class PageExtras:
    def __init__(self, chat: ChatSession) -> None:
        self._chat = chat

    def set_modes(self, modes: list[Any]) -> None:
        self._chat.modes = [m if isinstance(m, dict) else m.to_dict() for m in modes]

    def set_element_sidebar(
        self, *, title: str | None = None, elements: list[Any] | None = None, key: str | None = None
    ) -> None:
        chat = self._chat
        panel = dict(chat.element_sidebar)
        if elements is not None:
            kept = {e.id for e in elements}
            for old in panel.get("elements", []):
                if old not in kept and (gone := chat.elements.get(old)) is not None:
                    chat.elements.remove(gone)
            for element in elements:
                element.for_id = ""  # the chat's, not a message's
                chat.elements.put(element)
            if not elements:
                chat.element_sidebar = {}
                return
            panel.update(elements=[e.id for e in elements], key=key)
        if title is not None:
            panel["title"] = str(title)
        chat.element_sidebar = panel

    def send_window_message(self, data: Any) -> None:
        json.dumps(data)  # a TypeError here, in the caller, rather than in the comm
        self._chat.send_to_views({"kind": wire.WINDOW_MESSAGE, "data": data})

    def toast(self, message: str, type: str = "info") -> None:
        if type not in wire.TOAST_TYPES:
            raise ValueError(f"A toast's type is one of {', '.join(wire.TOAST_TYPES)}, not {type!r}.")
        self._chat.send_to_views({"kind": wire.TOAST, "message": str(message), "type": type})

    def set_user_env(self, values: Any) -> None:
        """Keep the user's values for the app's ``user_env_keys``; anything else is refused."""
        if not isinstance(values, dict):
            raise ValueError("'values' must be an object.")
        unknown = set(values) - set(self._chat.app.user_env_keys)
        if unknown:
            raise ValueError(f"{sorted(map(str, unknown))[0]!r} is not a key this chat asks for.")
        if not all(isinstance(v, str) and len(v) <= MAX_ENV_VALUE_CHARS for v in values.values()):
            raise ValueError(f"Each value must be text of at most {MAX_ENV_VALUE_CHARS:,} characters.")
        session = self._chat.user_session
        session["env"] = {**session.get("env", {}), **values}
