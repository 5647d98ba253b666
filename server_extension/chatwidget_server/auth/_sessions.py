"""Which login session a browser's request belongs to: the signed cookie and the stored session.

A session cookie holds only a random session id, signed with the server's cookie secret;
the session itself (user, provider, role, expiry) lives in the chat database
(:class:`chatwidget.data.sql.sessions.LoginSessionStore`), so a restart signs nobody out and
servers behind one URL that share the database and the cookie secret share the sessions.

* Logging out ends the session in the database: every server refuses the cookie at its next
  request. A login always starts a new session and ends the one the browser had, so a
  cookie planted before the login never becomes a logged-in one (no session fixation).
* A request's session is read once (in the identity provider's ``get_user``) and kept for
  that request, for the checks that cannot wait on the database (:meth:`current`).
* A kernel websocket lives longer than its request: each message looks at the session as
  read when the socket opened. A session ended by this server counts at once; one ended by
  another server is noticed within :data:`RECHECK_SECONDS` (the next message after that
  reads it again, and the socket is closed).
* Rotating the cookie secret: cookies signed with one of ``accepted_keys`` (the signing keys
  of other secrets) are accepted too, and signed again with the current secret on their
  next request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from weakref import WeakKeyDictionary

from jupyter_server.auth import User
from tornado import web
from tornado.websocket import WebSocketHandler

from chatwidget.data.sql.sessions import LoginSessionStore, StoredLogin, StoredSession

#: Seconds after which a long-lived request (a websocket) reads its session again.
RECHECK_SECONDS = 10.0


@dataclass
class Session:
    user: User
    provider: str
    expires: float
    role: str


@dataclass
class _Resolved:
    """What one request knows of its session."""

    session_id: str | None
    session: Session | None
    read_at: float = field(default_factory=time.monotonic)
    rechecking: bool = False


def _session(stored: StoredSession) -> Session:
    user = User(
        username=stored.username,
        name=stored.name or stored.username,
        display_name=stored.display_name or stored.name or stored.username,
        avatar_url=stored.avatar_url,
    )
    return Session(user, stored.provider, stored.expires_at, stored.role)


class BrowserSessions:
    """The sessions of browsers, for :class:`.provider.ChatIdentityProvider`."""

    def __init__(
        self,
        store: LoginSessionStore,
        *,
        lifetime: float,
        login_timeout: float,
        cookie_name: Callable[[web.RequestHandler], str],
        cookie_options: Callable[[web.RequestHandler], dict[str, Any]],
        verify_options: dict[str, Any],
        accepted_keys: list[bytes],
    ) -> None:
        self.store = store
        self.lifetime = lifetime
        self.login_timeout = login_timeout
        self._cookie_name = cookie_name
        self._cookie_options = cookie_options
        self._verify = dict(verify_options)
        self._verify.setdefault("max_age_days", max(31.0, lifetime / 86400 + 1))
        self._accepted = list(accepted_keys)
        self._requests: WeakKeyDictionary[web.RequestHandler, _Resolved] = WeakKeyDictionary()
        self._to_start: WeakKeyDictionary[web.RequestHandler, tuple[User, str, str]] = WeakKeyDictionary()
        self._rechecks: set[asyncio.Future[None]] = set()

    # -- the cookie ---------------------------------------------------------------------

    def cookie_session_id(self, handler: web.RequestHandler) -> tuple[str | None, bool]:
        """The session id in the request's cookie, and whether an old secret signed it."""
        name = self._cookie_name(handler)
        value = handler.get_secure_cookie(name, **self._verify)
        if value:
            return value.decode("ascii", "replace"), False
        raw = handler.get_cookie(name)
        if not raw or not self._accepted:
            return None, False
        for key in self._accepted:
            old = web.decode_signed_value(key, name, raw, **self._verify)
            if old:
                return old.decode("ascii", "replace"), True
        return None, False

    def _set_cookie(self, handler: web.RequestHandler, session_id: str, expires: float) -> None:
        options = self._cookie_options(handler)
        options.pop("expires_days", None)
        options["expires"] = datetime.fromtimestamp(expires, tz=timezone.utc)
        handler.set_secure_cookie(self._cookie_name(handler), session_id, **options)

    # -- a request's session ------------------------------------------------------------

    async def resolve(self, handler: web.RequestHandler) -> Session | None:
        """The request's session (read from the database once per request)."""
        known = self._requests.get(handler)
        if known is not None:
            return known.session
        session_id, old_secret = self.cookie_session_id(handler)
        stored = None if session_id is None else await self.store.get(session_id)
        session = None if stored is None else _session(stored)
        self._requests[handler] = _Resolved(session_id, session)
        if session is not None and session_id is not None and old_secret:
            self._set_cookie(handler, session_id, session.expires)  # now signed with the current secret
        return session

    def current(self, handler: web.RequestHandler) -> Session | None:
        """The session :meth:`resolve` found for this request, if it still holds (no query)."""
        known = self._requests.get(handler)
        if known is None or known.session is None or known.session_id is None:
            return None
        if known.session.expires <= time.time() or self.store.ended_here(known.session_id):
            return None
        if time.monotonic() - known.read_at > RECHECK_SECONDS and not known.rechecking:
            known.rechecking = True
            recheck = asyncio.ensure_future(self._recheck(handler, known))
            self._rechecks.add(recheck)
            recheck.add_done_callback(self._rechecks.discard)
        return known.session

    async def _recheck(self, handler: web.RequestHandler, known: _Resolved) -> None:
        try:
            assert known.session_id is not None
            stored = await self.store.get(known.session_id)
        except Exception:
            stored = None  # a database that cannot answer does not keep a socket signed in
        known.session = None if stored is None else _session(stored)
        known.read_at, known.rechecking = time.monotonic(), False
        if known.session is None and isinstance(handler, WebSocketHandler):
            handler.close(1008, "signed out")

    # -- starting and ending ------------------------------------------------------------

    async def start(self, handler: web.RequestHandler, user: User, provider: str, role: str) -> None:
        """A new session for ``user`` on this browser; the one it had (if any) is ended."""
        old, _ = self.cookie_session_id(handler)
        if old:
            await self.store.end(old)
        session_id = await self.store.create(
            user.username,
            provider=provider,
            role=role,
            lifetime=self.lifetime,
            name=user.name,
            display_name=user.display_name,
            avatar_url=user.avatar_url,
        )
        expires = time.time() + self.lifetime
        self._set_cookie(handler, session_id, expires)
        self._requests[handler] = _Resolved(session_id, Session(user, provider, expires, role))

    def start_soon(self, handler: web.RequestHandler, user: User, provider: str, role: str) -> None:
        """Like :meth:`start`, from code that cannot wait: :meth:`finish_starting` completes it."""
        self._to_start[handler] = (user, provider, role)

    async def finish_starting(self, handler: web.RequestHandler) -> None:
        started = self._to_start.pop(handler, None)
        if started is not None:
            await self.start(handler, *started)

    async def end(self, handler: web.RequestHandler) -> None:
        """End the browser's session on every server."""
        session_id, _ = self.cookie_session_id(handler)
        if session_id:
            await self.store.end(session_id)
        self._requests[handler] = _Resolved(None, None)

    # -- pending OAuth logins -----------------------------------------------------------

    async def start_login(self, provider: str, code_verifier: str, nonce: str, next_url: str) -> str:
        return await self.store.start_login(
            provider=provider,
            code_verifier=code_verifier,
            nonce=nonce,
            next_url=next_url,
            timeout=self.login_timeout,
        )

    async def take_login(self, state: str) -> StoredLogin | None:
        return await self.store.take_login(state)
