"""Login sessions of the Jupyter server, in the chat database (a SQLite file or PostgreSQL).

Kept in the database rather than in one server's memory so that a restart signs nobody out
and several servers behind one URL (sharing the database and the cookie secret) know each
other's sessions and pending OAuth logins.

* A session id is 256 random bits (``secrets.token_urlsafe(32)``), handed to the browser
  only; the table holds its SHA-256, so reading the database yields no usable cookie.
* :meth:`LoginSessionStore.get` is one primary-key lookup per call: a session ended on one
  server is refused by every server at its next request. Lookups of one id that overlap
  in time share one query (a page load fires dozens of requests at once). ``cache_seconds``
  trades that for fewer queries: a session read is then reused for that long, and a session
  ended on another server is still accepted here for at most that long (the server that
  ended it refuses it at once).
* A session expires ``lifetime`` seconds after it was created; an expired row is refused
  when read, and deleted by :meth:`purge_expired`, which :meth:`create` runs at most every
  :data:`PURGE_INTERVAL` seconds.
* A pending login (an OAuth ``state`` with its PKCE verifier, nonce and ``next``) is taken
  once: :meth:`take_login` deletes the row and returns it in one statement, so of two
  servers that receive the same callback at once, exactly one gets it. Anyone may start a
  login, so their number is bounded (``max_pending``): past it, the oldest are dropped (as a
  flood of login starts would otherwise fill the table for the login timeout).

Times are seconds since the epoch (``time.time``), compared the same way on every server;
servers behind one URL need clocks that agree to within seconds. Database errors are raised
as :class:`~chatwidget.data.DataLayerError`.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..base import DataLayerError
from .engine import WRITE_OPTION, create_engine, default_url, normalize_url
from .migrations import migrate
from .models import LoginSessionRow, PendingLoginRow

#: Seconds between two purges of expired rows (run by :meth:`LoginSessionStore.create`).
PURGE_INTERVAL = 300.0
#: What a secret made by this module looks like; anything else is refused before any query.
_SECRET = re.compile(r"[A-Za-z0-9_-]{32,128}")
_SESSIONS = cast(Table, LoginSessionRow.__table__)
_LOGINS = cast(Table, PendingLoginRow.__table__)
#: Sessions ended by this process that it remembers for :meth:`LoginSessionStore.ended_here`.
_ENDED_MEMORY = 10_000


def new_secret() -> str:
    """A session id or OAuth ``state``: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str | None:
    """The SHA-256 (hex) a secret is stored under, or ``None`` for a value this module never makes."""
    if not isinstance(secret, str) or not _SECRET.fullmatch(secret):
        return None
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class StoredSession:
    username: str
    name: str | None
    display_name: str | None
    avatar_url: str | None
    provider: str
    role: str
    created_at: float
    expires_at: float


@dataclass(frozen=True)
class StoredLogin:
    """A pending OAuth login, as :meth:`LoginSessionStore.take_login` returns it."""

    provider: str
    code_verifier: str
    nonce: str
    next_url: str
    expires_at: float


class LoginSessionStore:
    """Login sessions and pending logins in the database at ``url``.

    ``url`` defaults to the chat data's database (``$CHATWIDGET_DATABASE_URL``, else the
    SQLite file in the Jupyter data directory), read at first use. The schema is migrated
    on first use. The store owns its engine; :meth:`close` releases its connections (the
    store can be used again afterwards).
    """

    def __init__(
        self,
        url: str | URL | None = None,
        *,
        engine_options: dict[str, Any] | None = None,
        clock: Callable[[], float] = time.time,
        cache_seconds: float = 0.0,
        cache_entries: int = 10_000,
        max_pending: int = 10_000,
    ) -> None:
        if cache_seconds < 0:
            raise ValueError("cache_seconds cannot be negative")
        self._url_arg = url
        self._engine_options = engine_options or {}
        self._engine: AsyncEngine | None = None
        self._ready = False
        self._lock = asyncio.Lock()
        self._clock = clock
        self._purged_at = float("-inf")
        self._reads: dict[str, asyncio.Future[StoredSession | None]] = {}
        self.cache_seconds, self._cache_entries = cache_seconds, cache_entries
        #: Sessions read less than ``cache_seconds`` ago: digest -> (session, when read).
        self._cache: OrderedDict[str, tuple[StoredSession, float]] = OrderedDict()
        self._ended: OrderedDict[str, float] = OrderedDict()
        self.max_pending = max_pending

    @property
    def url(self) -> URL:
        if not isinstance(self._url_arg, URL):
            self._url_arg = normalize_url(self._url_arg or default_url())
        return self._url_arg

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            self._engine = create_engine(self.url, **self._engine_options)
        return self._engine

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()

    @asynccontextmanager
    async def _connect(self, write: bool) -> AsyncIterator[AsyncConnection]:
        engine = self.engine
        try:
            if not self._ready:
                async with self._lock:
                    if not self._ready:
                        await migrate(engine)
                        self._ready = True
            if write:
                engine = engine.execution_options(**{WRITE_OPTION: True})
            elif self.url.get_backend_name() == "postgresql":
                # a read is one statement: no BEGIN and COMMIT round trips around it
                engine = engine.execution_options(isolation_level="AUTOCOMMIT")
            async with engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise DataLayerError(f"login session store: {exc}") from exc

    # -- sessions -----------------------------------------------------------------------

    async def create(
        self,
        username: str,
        *,
        provider: str,
        role: str,
        lifetime: float,
        name: str | None = None,
        display_name: str | None = None,
        avatar_url: str | None = None,
    ) -> str:
        """A new session; returns its id (the only copy: the database keeps its hash)."""
        if lifetime <= 0:
            raise ValueError("a session lifetime must be positive")
        session_id = new_secret()
        now = self._clock()
        row = {
            "id_hash": secret_hash(session_id),
            "username": username,
            "name": name,
            "display_name": display_name,
            "avatar_url": avatar_url,
            "provider": provider,
            "role": role,
            "created_at": now,
            "expires_at": now + lifetime,
        }
        if now - self._purged_at >= PURGE_INTERVAL:
            await self.purge_expired()
        async with self._connect(write=True) as conn:
            await conn.execute(insert(_SESSIONS).values(**row))
        return session_id

    async def get(self, session_id: str) -> StoredSession | None:
        """The session with this id, or ``None`` if it is unknown, ended or expired."""
        digest = secret_hash(session_id)
        if digest is None:
            return None
        cached = self._cache.get(digest)
        if cached is not None and self._clock() - cached[1] < self.cache_seconds:
            return cached[0] if cached[0].expires_at > self._clock() else None
        read = self._reads.get(digest)
        if read is None:
            read = asyncio.ensure_future(self._read(digest))
            self._reads[digest] = read
            read.add_done_callback(lambda done: self._forget_read(digest, done))
        session = await asyncio.shield(read)  # one caller giving up does not cancel the others
        if self.cache_seconds and session is not None and digest not in self._ended:
            self._cache[digest] = (session, self._clock())
            self._cache.move_to_end(digest)
            while len(self._cache) > self._cache_entries:
                self._cache.popitem(last=False)
        if session is None or session.expires_at <= self._clock():
            return None
        return session

    def _forget_read(self, digest: str, done: asyncio.Future[StoredSession | None]) -> None:
        if self._reads.get(digest) is done:
            del self._reads[digest]

    async def _read(self, digest: str) -> StoredSession | None:
        table = _SESSIONS
        async with self._connect(write=False) as conn:
            row = (await conn.execute(select(table).where(table.c.id_hash == digest))).mappings().first()
        if row is None:
            return None
        return StoredSession(
            username=row["username"],
            name=row["name"],
            display_name=row["display_name"],
            avatar_url=row["avatar_url"],
            provider=row["provider"],
            role=row["role"],
            created_at=float(row["created_at"]),
            expires_at=float(row["expires_at"]),
        )

    async def end(self, session_id: str) -> bool:
        """End a session on every server; returns whether it existed."""
        digest = secret_hash(session_id)
        if digest is None:
            return False
        self._remember_ended(digest)
        table = _SESSIONS
        async with self._connect(write=True) as conn:
            result = await conn.execute(delete(table).where(table.c.id_hash == digest))
        return bool(cast(Any, result).rowcount)

    async def end_all(self, username: str) -> int:
        """End every session of ``username`` (sign them out everywhere); returns how many."""
        table = _SESSIONS
        async with self._connect(write=True) as conn:
            ended = (
                await conn.execute(
                    delete(table).where(table.c.username == username).returning(table.c.id_hash)
                )
            ).scalars()
            digests = list(ended)
        for digest in digests:
            self._remember_ended(digest)
        return len(digests)

    def ended_here(self, session_id: str) -> bool:
        """Whether this process ended the session (a check without a query, for code that
        cannot wait: messages on a websocket opened before the logout)."""
        digest = secret_hash(session_id)
        return digest is not None and digest in self._ended

    def _remember_ended(self, digest: str) -> None:
        self._cache.pop(digest, None)
        self._ended[digest] = self._clock()
        self._ended.move_to_end(digest)
        while len(self._ended) > _ENDED_MEMORY:
            self._ended.popitem(last=False)

    async def purge_expired(self) -> int:
        """Delete expired sessions and pending logins; returns how many rows went."""
        now = self._clock()
        self._purged_at = now
        sessions, logins = _SESSIONS, _LOGINS
        async with self._connect(write=True) as conn:
            gone = await conn.execute(delete(sessions).where(sessions.c.expires_at <= now))
            gone_logins = await conn.execute(delete(logins).where(logins.c.expires_at <= now))
        return int(cast(Any, gone).rowcount or 0) + int(cast(Any, gone_logins).rowcount or 0)

    # -- pending logins -----------------------------------------------------------------

    async def start_login(
        self, *, provider: str, code_verifier: str, nonce: str, next_url: str, timeout: float
    ) -> str:
        """Remember a login sent to a provider; returns its ``state`` (hashed in the table)."""
        state = new_secret()
        row = {
            "state_hash": secret_hash(state),
            "provider": provider,
            "code_verifier": code_verifier,
            "nonce": nonce,
            "next_url": next_url,
            "expires_at": self._clock() + timeout,
        }
        async with self._connect(write=True) as conn:
            await conn.execute(insert(_LOGINS).values(**row))
            count = int((await conn.execute(select(func.count()).select_from(_LOGINS))).scalar_one())
            if count > self.max_pending:
                oldest = (
                    select(_LOGINS.c.state_hash)
                    .order_by(_LOGINS.c.expires_at)
                    .limit(count - self.max_pending)
                )
                await conn.execute(delete(_LOGINS).where(_LOGINS.c.state_hash.in_(oldest)))
        return state

    async def take_login(self, state: str) -> StoredLogin | None:
        """The login started with ``state``, once, on any server; ``None`` if unknown, taken or expired."""
        digest = secret_hash(state)
        if digest is None:
            return None
        table = _LOGINS
        statement = delete(table).where(table.c.state_hash == digest).returning(*table.c)
        async with self._connect(write=True) as conn:
            row = (await conn.execute(statement)).mappings().first()
        if row is None or float(row["expires_at"]) <= self._clock():
            return None
        return StoredLogin(
            provider=row["provider"],
            code_verifier=row["code_verifier"],
            nonce=row["nonce"],
            next_url=row["next_url"],
            expires_at=float(row["expires_at"]),
        )
