"""Checking a pooled PostgreSQL connection before use only when it has been idle a while.

SQLAlchemy's ``pool_pre_ping`` spends one round trip on every checkout, which doubles the
round trips of a one-statement write. A connection that was in use moments ago is almost
certainly alive, so only one idle for ``IDLE_PING_S`` or more is pinged; a dead one is
replaced before the caller sees it (the pool retries the checkout on
``DisconnectionError``). A connection that died within that time (a database restart
between two calls) fails the one call that meets it: SQLAlchemy then recognises the
disconnect and recycles the pool, so the next call reconnects, and the kernel's writer
retries failed writes.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine

#: A pooled connection idle at least this long is pinged before it is handed out.
IDLE_PING_S = 5.0
_RETURNED = "chatwidget_returned_at"


def ping_when_idle(engine: AsyncEngine, idle_s: float = IDLE_PING_S) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "checkin")
    def _checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED] = time.monotonic()

    @event.listens_for(sync_engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED)
        if returned is None or time.monotonic() - returned < idle_s:
            return  # new, or in use moments ago
        try:
            sync_engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # any failure: let the pool open a new connection
            raise DisconnectionError(f"pooled connection is not alive: {exc}") from exc
