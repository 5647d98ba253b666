"""``user_session``: values kept for the current chat (reset by ``app.new_chat()``)."""

from __future__ import annotations

from typing import Any

from ._context import require_chat


class UserSession:
    """``cw.user_session.set("key", value)`` in one handler, ``.get("key")`` in the next."""

    def get(self, key: str, default: Any = None) -> Any:
        return require_chat().user_session.get(key, default)

    def set(self, key: str, value: Any) -> None:
        require_chat().user_session[key] = value

    def to_dict(self) -> dict[str, Any]:
        return dict(require_chat().user_session)


user_session = UserSession()
