"""Data layer benchmark: step write throughput, and thread list pages at 100,000 threads.

    .venv/bin/python benchmarks/storage.py                 # SQLite and PostgreSQL
    .venv/bin/python benchmarks/storage.py --backends sqlite --threads 20000

* steps/s: ``write_steps`` in batches of 100 (the kernel's batched write-behind), one thread,
  messages of ~200 characters (so the search index is fed too);
* list: ``list_threads`` at 100,000 threads (two messages each, 10 users), 20 per page:
  page 1 and page 50 (reached by following cursors), without a filter and with search
  terms chosen to be hard for one plan or another (see ``chatwidget/data/sql/_search.py``):
  matches spread evenly, matches only among old threads, one match, every thread, a term
  too short for the index, and one user's list with common terms they rarely or never use.
  Median of 5 walks.

PostgreSQL: ``--pg-url`` (default ``postgresql+asyncpg://postgres@127.0.0.1:5432/test``)
names a server; the benchmark creates a database of its own there and drops it afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

from chatwidget.data import Pagination, ThreadFilter, User
from chatwidget.data.sql import SQLDataLayer
from chatwidget.data.sql.models import ThreadRow

STEPS_TARGET = 5_000  # steps/s on SQLite
PAGE_TARGET_MS = 20.0
USERS = 10
KEYWORDS = 50  # thread i's answer contains keyword i % 50: each matches 2% of threads


def keyword(k: int) -> str:
    return f"kw{k:02d}q"


def stamp(n: int) -> str:
    return f"2100-01-{1 + n // 86400 % 28:02d}T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}.000Z"


async def steps_per_second(layer: SQLDataLayer, total: int) -> float:
    await layer.update_thread("bench-steps", create=True)
    text_ = "A reply of a couple of sentences, as an assistant would write it in a chat. " * 3
    batches = [
        [
            {"id": f"s{b}-{i}", "threadId": "bench-steps", "type": "assistant_message" if i % 2 else "run",
             "output": text_, "createdAt": stamp(b * 100 + i), "metadata": {}}
            for i in range(100)
        ]
        for b in range(total // 100)
    ]  # fmt: skip
    started = time.perf_counter()
    for batch in batches:
        await layer.write_steps(batch)  # type: ignore[arg-type]
    return total / (time.perf_counter() - started)


async def load_threads(layer: SQLDataLayer, count: int) -> list[str]:
    users = [(await layer.create_user(User(f"user{u}"))).id for u in range(USERS)]
    now = "2099-01-01T00:00:00.000Z"
    rows = [
        {"id": f"t{i:06d}", "created_at": now, "updated_at": now, "name": f"Conversation {i} about things",
         "user_id": users[i % USERS], "user_identifier": f"user{i % USERS}", "is_shared": False}
        for i in range(count)
    ]  # fmt: skip
    async with layer.engine.begin() as conn:
        for start in range(0, count, 5000):
            await conn.execute(insert(ThreadRow.__table__), rows[start : start + 5000])
    steps: list[Any] = []
    for i in range(count):
        question = f"Question number {i}: how does this work?"
        steps.append({"id": f"t{i:06d}-u", "threadId": f"t{i:06d}", "type": "user_message",
                      "output": question, "createdAt": stamp(i)})  # fmt: skip
        steps.append({"id": f"t{i:06d}-a", "threadId": f"t{i:06d}", "type": "assistant_message",
                      "output": f"It works like this ({keyword(i % KEYWORDS)}), see the docs.",
                      "createdAt": stamp(i)})  # fmt: skip
        if len(steps) >= 2000:
            await layer.write_steps(steps)
            steps = []
    if steps:
        await layer.write_steps(steps)
    async with layer.engine.begin() as conn:
        await conn.execute(text("ANALYZE"))
    return users


async def page_times(layer: SQLDataLayer, filters: ThreadFilter, repeats: int = 5) -> tuple[float, float]:
    """Median milliseconds of page 1 and of page 50 (20 threads each)."""
    first, fiftieth = [], []
    for _ in range(repeats):
        cursor = None
        for page in range(1, 51):
            started = time.perf_counter()
            result = await layer.list_threads(Pagination(first=20, cursor=cursor), filters)
            elapsed = (time.perf_counter() - started) * 1000
            if page == 1:
                first.append(elapsed)
            elif page == 50:
                fiftieth.append(elapsed)
            if not result.pageInfo.hasNextPage:  # fewer than 50 pages (a small --threads)
                break
            cursor = result.pageInfo.endCursor
    return statistics.median(first), statistics.median(fiftieth) if fiftieth else math.nan


async def run_backend(name: str, url: str, threads: int, steps: int) -> list[tuple[str, str, float, str]]:
    layer = SQLDataLayer(url)
    await layer.migrate()
    rate = await steps_per_second(layer, steps)
    rows = [(name, "write_steps (batches of 100)", rate, "steps/s")]
    started = time.perf_counter()
    users = await load_threads(layer, threads)
    print(f"{name}: loaded {threads} threads in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    cases = {
        "no filter": ThreadFilter(),
        f"search {keyword(7)!r} (2%)": ThreadFilter(search=keyword(7)),
        "search 'number 12' (1%, all old)": ThreadFilter(search="number 12"),
        "search 'number 99999' (1 thread)": ThreadFilter(search="number 99999"),
        "search 'works' (every thread)": ThreadFilter(search="works"),
        "search 'kw' (short: no index)": ThreadFilter(search="kw"),
        "one user (10%)": ThreadFilter(userId=users[3]),
        "one user + 'number 1' (1%, all old)": ThreadFilter(userId=users[3], search="number 1"),
        f"one user + {keyword(7)!r} (none of theirs)": ThreadFilter(userId=users[3], search=keyword(7)),
    }
    for label, filters in cases.items():
        p1, p50 = await page_times(layer, filters)
        rows.append((name, f"list page 1, {label}", p1, "ms"))
        rows.append((name, f"list page 50, {label}", p50, "ms"))
    await layer.close()
    return rows


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--threads", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--pg-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    results: list[tuple[str, str, float, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends:
            if backend == "sqlite":
                url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
                results += await run_backend("sqlite", url, args.threads, args.steps)
                continue
            import asyncpg

            admin = make_url(args.pg_url)
            name = f"chatwidget_bench_{uuid.uuid4().hex[:8]}"
            conn = await asyncpg.connect(host=admin.host, port=admin.port or 5432, user=admin.username,
                                         password=admin.password, database=admin.database)  # fmt: skip
            await conn.execute(f'CREATE DATABASE "{name}"')
            try:
                url = admin.set(database=name).render_as_string(hide_password=False)
                results += await run_backend("postgresql", url, args.threads, args.steps)
            finally:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                await conn.close()
    print(f"\n{'backend':<11} {'measure':<52} {'value':>10}  target")
    for backend, measure, value, unit in results:
        if math.isnan(value):  # fewer matches than 50 pages
            print(f"{backend:<11} {measure:<52} {'-':>8} {'':<7} (no such page)")
            continue
        if unit == "steps/s":
            target = f">= {STEPS_TARGET} steps/s" if backend == "sqlite" else ""
            ok = value >= STEPS_TARGET
        else:
            target, ok = f"<= {PAGE_TARGET_MS:.0f} ms", value <= PAGE_TARGET_MS
        mark = ("ok" if ok else "MISSED") if target else ""
        print(f"{backend:<11} {measure:<52} {value:>8.1f} {unit:<7} {target} {mark}")
    print(f"\n({args.threads} threads, 20 per page, medians of 5 walks; load average during the run matters)")


if __name__ == "__main__":
    asyncio.run(main())
