"""The login session store on SQLite and PostgreSQL: two stores on one database are two servers."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url

from chatwidget.data.sql.sessions import PURGE_INTERVAL, LoginSessionStore


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fresh_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> URL:
    if backend == "sqlite":
        return make_url(f"sqlite+aiosqlite:///{tmp_path / 'sessions.db'}")
    new_pg_url: Callable[[], URL] = request.getfixturevalue("new_pg_url")
    return new_pg_url()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def servers(fresh_url: URL, clock: Clock) -> AsyncIterator[tuple[LoginSessionStore, LoginSessionStore]]:
    """Two stores on one database, as two servers behind one URL have."""
    first, second = LoginSessionStore(fresh_url, clock=clock), LoginSessionStore(fresh_url, clock=clock)
    yield first, second
    await first.close()
    await second.close()


async def rows(store: LoginSessionStore, table: str) -> list[dict[str, Any]]:
    async with store.engine.connect() as conn:
        return [dict(r) for r in (await conn.execute(text(f"SELECT * FROM {table}"))).mappings()]  # noqa: S608


async def new_session(store: LoginSessionStore, lifetime: float = 3600.0, user: str = "github:1") -> str:
    return await store.create(
        user, provider="github", role="app", lifetime=lifetime, name="Ann", display_name="Ann A."
    )


async def test_a_session_made_on_one_server_is_read_on_the_other(
    servers: tuple[LoginSessionStore, LoginSessionStore], clock: Clock
) -> None:
    first, second = servers
    session_id = await new_session(first)
    session = await second.get(session_id)
    assert session is not None
    assert (session.username, session.provider, session.role) == ("github:1", "github", "app")
    assert (session.name, session.display_name) == ("Ann", "Ann A.")
    assert session.expires_at == clock.now + 3600.0
    again = await new_session(first)  # each login: a new id
    assert again != session_id and await second.get(again) is not None


async def test_the_database_holds_the_hash_of_the_id_never_the_id(
    servers: tuple[LoginSessionStore, LoginSessionStore],
) -> None:
    first, _ = servers
    session_id = await new_session(first)
    state = await first.start_login(
        provider="generic", code_verifier="v" * 64, nonce="n", next_url="/", timeout=60
    )
    stored = await rows(first, "login_sessions")
    assert [r["id_hash"] for r in stored] == [hashlib.sha256(session_id.encode()).hexdigest()]
    assert session_id not in repr(stored)
    pending = await rows(first, "pending_logins")
    assert [r["state_hash"] for r in pending] == [hashlib.sha256(state.encode()).hexdigest()]
    assert state not in repr(pending)


async def test_ending_a_session_ends_it_on_every_server(
    servers: tuple[LoginSessionStore, LoginSessionStore],
) -> None:
    first, second = servers
    session_id = await new_session(first)
    assert await second.get(session_id) is not None
    assert await second.end(session_id) is True
    assert await first.get(session_id) is None and await second.get(session_id) is None
    assert second.ended_here(session_id) and not first.ended_here(session_id)
    assert await first.end(session_id) is False  # already gone


async def test_signing_a_user_out_everywhere(servers: tuple[LoginSessionStore, LoginSessionStore]) -> None:
    first, second = servers
    ann = [await new_session(first), await new_session(second)]
    bob = await new_session(first, user="github:2")
    assert await second.end_all("github:1") == 2
    assert [await first.get(s) for s in ann] == [None, None]
    assert await first.get(bob) is not None


async def test_an_expired_session_is_refused_and_purged(
    servers: tuple[LoginSessionStore, LoginSessionStore], clock: Clock
) -> None:
    first, second = servers
    short = await new_session(first, lifetime=10)
    long = await new_session(first, lifetime=PURGE_INTERVAL * 10)
    clock.now += 10
    assert await second.get(short) is None  # refused at the instant it expires
    assert await second.get(long) is not None
    assert len(await rows(first, "login_sessions")) == 2  # refused, not yet deleted
    clock.now += PURGE_INTERVAL  # the next login purges
    await new_session(second)
    remaining = await rows(first, "login_sessions")
    assert hashlib.sha256(short.encode()).hexdigest() not in {r["id_hash"] for r in remaining}
    assert len(remaining) == 2
    with pytest.raises(ValueError, match="positive"):
        await new_session(first, lifetime=0)


async def test_a_pending_login_is_taken_once_by_one_server(
    servers: tuple[LoginSessionStore, LoginSessionStore], clock: Clock
) -> None:
    first, second = servers
    state = await first.start_login(
        provider="generic", code_verifier="verifier", nonce="nonce", next_url="/lab", timeout=60
    )
    taken = await asyncio.gather(*[(first if i % 2 else second).take_login(state) for i in range(10)])
    won = [t for t in taken if t is not None]
    assert len(won) == 1
    assert (won[0].provider, won[0].code_verifier, won[0].nonce, won[0].next_url) == (
        "generic",
        "verifier",
        "nonce",
        "/lab",
    )
    late = await first.start_login(provider="generic", code_verifier="v", nonce="n", next_url="/", timeout=60)
    clock.now += 61
    assert await second.take_login(late) is None  # expired
    assert await rows(first, "pending_logins") == []  # and spent
    clock.now += PURGE_INTERVAL
    await first.start_login(provider="generic", code_verifier="v", nonce="n", next_url="/", timeout=1)
    clock.now += 2
    assert await first.purge_expired() == 1


@pytest.mark.parametrize(
    "value", ["", "short", "../../etc/passwd", "a" * 129, "é" * 40, "' OR 1=1 --" + "a" * 30, "\x00" * 40]
)
async def test_a_value_never_made_here_is_refused_before_any_query(
    servers: tuple[LoginSessionStore, LoginSessionStore], value: str
) -> None:
    first, _ = servers
    queries: list[str] = []
    event.listen(first.engine.sync_engine, "before_cursor_execute", lambda *a: queries.append(a[2]))
    assert await first.get(value) is None
    assert await first.take_login(value) is None
    assert await first.end(value) is False
    assert not first.ended_here(value)
    assert queries == []


async def test_overlapping_reads_of_one_session_share_one_query(
    servers: tuple[LoginSessionStore, LoginSessionStore],
) -> None:
    first, second = servers
    session_id = await new_session(first)
    await second.get(session_id)  # migrated and connected
    queries: list[str] = []
    event.listen(second.engine.sync_engine, "before_cursor_execute", lambda *a: queries.append(a[2]))
    found = await asyncio.gather(*[second.get(session_id) for _ in range(30)])
    assert all(f is not None and f.username == "github:1" for f in found)
    assert len([q for q in queries if "login_sessions" in q]) == 1
    await first.end(session_id)
    assert await second.get(session_id) is None  # the next read is a new query: no cache


async def test_a_cache_bounds_how_long_another_servers_logout_takes_to_count(
    fresh_url: URL, clock: Clock
) -> None:
    first = LoginSessionStore(fresh_url, clock=clock, cache_seconds=5)
    second = LoginSessionStore(fresh_url, clock=clock, cache_seconds=5)
    try:
        session_id = await new_session(first)
        assert await first.get(session_id) is not None  # read, and kept for five seconds
        queries: list[str] = []
        event.listen(first.engine.sync_engine, "before_cursor_execute", lambda *a: queries.append(a[2]))
        assert await second.end(session_id) is True
        assert await second.get(session_id) is None  # the server that ended it: at once
        clock.now += 4.9
        assert await first.get(session_id) is not None  # the other: from its cache, no query
        assert queries == []
        clock.now += 0.2
        assert await first.get(session_id) is None  # past the bound: read again, and gone
        assert len([q for q in queries if "login_sessions" in q]) == 1
        again = await new_session(first)
        assert await first.get(again) is not None
        await first.end(again)
        assert await first.get(again) is None  # its own logout: at once, cache or not
        with pytest.raises(ValueError, match="negative"):
            LoginSessionStore(fresh_url, cache_seconds=-1)
    finally:
        await first.close()
        await second.close()


async def test_a_flood_of_login_starts_drops_the_oldest_not_the_table(fresh_url: URL, clock: Clock) -> None:
    store = LoginSessionStore(fresh_url, clock=clock, max_pending=3)
    try:
        states = []
        for _ in range(5):
            clock.now += 1
            states.append(
                await store.start_login(
                    provider="generic", code_verifier="v", nonce="n", next_url="/", timeout=600
                )
            )
        assert len(await rows(store, "pending_logins")) == 3
        assert [await store.take_login(s) is not None for s in states] == [False, False, True, True, True]
    finally:
        await store.close()
