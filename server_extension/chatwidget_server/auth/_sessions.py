"""Server-side state of logins: sessions, and the logins waiting for a provider's answer.

A session cookie holds only a random session id (signed with the server's cookie secret);
the user lives here, in the server process. So logging out really ends a session (the old
cookie is refused afterwards), and a login always starts a new session (a cookie planted
before the login never becomes a logged-in one: no session fixation). Sessions are kept in
memory: restarting the server logs everyone out.

A pending login maps its ``state`` to what the callback needs (PKCE verifier, nonce,
``next``) and can be taken once; it expires after the login timeout.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from jupyter_server.auth import User


@dataclass
class Session:
    user: User
    provider: str
    expires: float
    role: str


@dataclass
class PendingLogin:
    provider: str
    code_verifier: str
    nonce: str
    next_url: str
    expires: float
    extra: dict[str, Any] = field(default_factory=dict)


class _Expiring:
    """An insertion-ordered map with expiry and a size bound (oldest evicted first)."""

    def __init__(self, max_entries: int) -> None:
        self._items: OrderedDict[str, Any] = OrderedDict()
        self.max_entries = max_entries

    def _put(self, key: str, value: Any) -> None:
        self._prune()
        self._items[key] = value
        while len(self._items) > self.max_entries:
            self._items.popitem(last=False)

    def _prune(self) -> None:
        now = time.time()
        for key in [k for k, v in self._items.items() if v.expires <= now]:
            del self._items[key]

    def __len__(self) -> int:
        return len(self._items)


class SessionStore(_Expiring):
    def __init__(self, lifetime: float, max_entries: int = 100_000) -> None:
        super().__init__(max_entries)
        self.lifetime = lifetime

    def create(self, user: User, provider: str, role: str) -> str:
        session_id = secrets.token_urlsafe(32)
        self._put(session_id, Session(user, provider, time.time() + self.lifetime, role))
        return session_id

    def get(self, session_id: str) -> Session | None:
        session: Session | None = self._items.get(session_id)
        if session is None:
            return None
        if session.expires <= time.time():
            del self._items[session_id]
            return None
        return session

    def end(self, session_id: str) -> None:
        self._items.pop(session_id, None)


class PendingLogins(_Expiring):
    def __init__(self, timeout: float, max_entries: int = 10_000) -> None:
        super().__init__(max_entries)
        self.timeout = timeout

    def start(self, provider: str, code_verifier: str, nonce: str, next_url: str) -> str:
        state = secrets.token_urlsafe(32)
        self._put(state, PendingLogin(provider, code_verifier, nonce, next_url, time.time() + self.timeout))
        return state

    def take(self, state: str) -> PendingLogin | None:
        """The login started with ``state``, once; ``None`` if unknown, used or expired."""
        login: PendingLogin | None = self._items.pop(state, None)
        if login is None or login.expires <= time.time():
            return None
        return login
