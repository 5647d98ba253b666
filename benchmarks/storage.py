"""Data layer benchmark: a long thread read back, one-at-a-time step writes, batched writes,
and thread list pages at 100,000 threads; Chainlit's SQLAlchemy data layer on the same
workload in the same run where it is installed.

    .venv/bin/python benchmarks/storage.py                     # SQLite and PostgreSQL
    .venv/bin/python benchmarks/storage.py --backends sqlite --threads 20000
    .venv/bin/python benchmarks/storage.py --sections threads  # no 100,000-thread lists

* threads: a thread of 5,000 steps (``storage_peer.thread_steps``: user message, run,
  tool, answer) read with ``get_thread``, whole and its newest 50 steps (what a resumed
  chat shows first); 1,000 ``create_step`` then 1,000 ``update_step`` calls, one at a
  time (a message started, then finished). The same through Chainlit's
  ``SQLAlchemyDataLayer`` on its documented schema, in its own venv (``--peer-python``);
* steps/s: ``write_steps`` in batches of 100 (the kernel's batched write-behind);
* lists: ``list_threads`` at 100,000 threads (two messages each, 10 users), 20 per page:
  page 1 and page 50 (reached by following cursors), without a filter and with search
  terms chosen to be hard for one plan or another (see ``chatwidget/data/sql/_search.py``).

Every figure is measured ``--runs`` times (3): min / median / max, with the load average
before and after each backend (the machine may be shared: it moves every figure). Ratios
compare medians. PostgreSQL: ``--pg-url`` names a server; the benchmark creates its own
databases there and drops them afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

from chatwidget.data import Pagination, ThreadFilter, User
from chatwidget.data.sql import SQLDataLayer
from chatwidget.data.sql.models import ThreadRow

sys.path.insert(0, str(Path(__file__).resolve().parent))
from storage_peer import SINGLE_WRITES, THREAD_STEPS, finished_step, new_step, thread_steps

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
#: Where README.md has the peer installed (a throwaway venv, outside the repository).
PEER_VENV = "/tmp/peer"  # noqa: S108
DEFAULT_PEER = os.environ.get("CHATWIDGET_BENCH_PEER_PYTHON", f"{PEER_VENV}/bin/python")
STEPS_TARGET = 5_000  # steps/s on SQLite
PAGE_TARGET_MS = 20.0
NEWEST_PAGE = 50
USERS = 10
KEYWORDS = 50  # thread i's answer contains keyword i % 50: each matches 2% of threads


def keyword(k: int) -> str:
    return f"kw{k:02d}q"


def stamp(n: int) -> str:
    return f"2100-01-{1 + n // 86400 % 28:02d}T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}.000Z"


@dataclass
class Figure:
    backend: str
    measure: str
    unit: str  # "ms" (lower is better) or "/s" (higher is better)
    values: list[float]
    peer: list[float] | None = None
    target: str = ""
    met: bool | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else math.nan


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        return figure


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


# -- the long thread and single writes -----------------------------------------------------


async def thread_figures(layer: SQLDataLayer, runs: int, writes: int) -> dict[str, list[float]]:
    figures: dict[str, list[float]] = {"get_thread_ms": [], "newest_page_ms": [],
                                       "create_step_per_s": [], "update_step_per_s": []}  # fmt: skip
    for run in range(runs):
        thread_id = f"long-{run}-{uuid.uuid4().hex[:6]}"
        await layer.update_thread(thread_id, name="A long conversation", create=True)
        steps = thread_steps(thread_id)
        for start in range(0, len(steps), 500):
            await layer.write_steps(steps[start : start + 500])  # type: ignore[arg-type]
        started = time.perf_counter()
        thread = await layer.get_thread(thread_id)
        figures["get_thread_ms"].append((time.perf_counter() - started) * 1000)
        assert thread is not None and len(thread["steps"]) == len(steps), "get_thread lost steps"
        started = time.perf_counter()
        newest = await layer.get_thread(thread_id, steps_limit=NEWEST_PAGE)
        figures["newest_page_ms"].append((time.perf_counter() - started) * 1000)
        assert newest is not None
        assert [s["id"] for s in newest["steps"]] == [s["id"] for s in steps[-NEWEST_PAGE:]]

        writes_thread = f"writes-{run}-{uuid.uuid4().hex[:6]}"
        await layer.update_thread(writes_thread, create=True)
        created = [new_step(writes_thread, n) for n in range(writes)]
        finished = [finished_step(writes_thread, n) for n in range(writes)]
        started = time.perf_counter()
        for step in created:
            await layer.create_step(step)  # type: ignore[arg-type]
        figures["create_step_per_s"].append(writes / (time.perf_counter() - started))
        started = time.perf_counter()
        for step in finished:
            await layer.update_step(step)  # type: ignore[arg-type]
        figures["update_step_per_s"].append(writes / (time.perf_counter() - started))
        stored = await layer.get_thread(writes_thread)
        assert stored is not None and len(stored["steps"]) == writes
        assert all(s["end"] for s in stored["steps"]), "an update_step was lost"
    return figures


def _peer_env() -> dict[str, str]:
    """Chainlit writes config files under its app root when imported: a throwaway one."""
    return {**os.environ, "CHAINLIT_APP_ROOT": tempfile.mkdtemp(prefix="chainlit-peer-")}


def peer_figures(python: str, url: str, runs: int, writes: int) -> dict[str, Any]:
    """Chainlit's side, run by its own interpreter; raises with its output if it fails."""
    done = subprocess.run(
        [python, str(HERE / "storage_peer.py"), "--url", url, "--runs", str(runs), "--writes", str(writes)],
        capture_output=True, text=True, timeout=900, check=False, env=_peer_env(),
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"the Chainlit side failed:\n{done.stdout}\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def peer_available(python: str | None) -> str | None:
    """Why the peer cannot run (``None``: it can)."""
    if not python:
        return "no --peer-python given"
    if not Path(python).exists():
        return f"{python} does not exist"
    probe = subprocess.run([python, "-c", "import chainlit, sqlalchemy, aiosqlite, asyncpg"],
                           capture_output=True, text=True, check=False, env=_peer_env())  # fmt: skip
    if probe.returncode != 0:
        return f"{python} cannot import chainlit, sqlalchemy, aiosqlite and asyncpg"
    return None


# -- batched writes and lists ----------------------------------------------------------------


async def steps_per_second(layer: SQLDataLayer, total: int) -> float:
    thread_id = f"bench-steps-{uuid.uuid4().hex[:6]}"
    await layer.update_thread(thread_id, create=True)
    text_ = "A reply of a couple of sentences, as an assistant would write it in a chat. " * 3
    batches = [
        [
            {"id": f"{thread_id}-{b}-{i}", "threadId": thread_id,
             "type": "assistant_message" if i % 2 else "run",
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


async def page_walk(layer: SQLDataLayer, filters: ThreadFilter) -> tuple[float, float]:
    """Milliseconds of page 1 and of page 50 (20 threads each) in one walk."""
    first, fiftieth, cursor = math.nan, math.nan, None
    for page in range(1, 51):
        started = time.perf_counter()
        result = await layer.list_threads(Pagination(first=20, cursor=cursor), filters)
        elapsed = (time.perf_counter() - started) * 1000
        if page == 1:
            first = elapsed
        elif page == 50:
            fiftieth = elapsed
        if not result.pageInfo.hasNextPage:  # fewer than 50 pages
            break
        cursor = result.pageInfo.endCursor
    return first, fiftieth


def list_cases(users: list[str]) -> dict[str, ThreadFilter]:
    return {
        "no filter": ThreadFilter(),
        f"search {keyword(7)!r} (2%)": ThreadFilter(search=keyword(7)),
        "search 'number 12' (1%, all old)": ThreadFilter(search="number 12"),
        "search 'number 99999' (1 thread)": ThreadFilter(search="number 99999"),
        "search 'works' (every thread)": ThreadFilter(search="works"),
        "search 'kw' (short: no index)": ThreadFilter(search="kw"),
        "one user (10%)": ThreadFilter(userId=users[3]),
        "one user + 'number 1' (1%, all old)": ThreadFilter(userId=users[3], search="number 1"),
        f"one user + {keyword(7)!r} (none of theirs)": ThreadFilter(userId=users[3], search=keyword(7)),
        "one user + 'works' (every thread)": ThreadFilter(userId=users[3], search="works"),
    }


# -- running a backend -------------------------------------------------------------------------


@asynccontextmanager
async def databases(backend: str, pg_url: str, tmp: Path) -> AsyncIterator[Callable[[str], Awaitable[str]]]:
    """A function that makes a new, empty database and gives its URL; all dropped after."""
    if backend == "sqlite":

        async def new_file(name: str) -> str:
            return f"sqlite+aiosqlite:///{tmp / (name + '.db')}"

        yield new_file
        return
    import asyncpg

    admin = make_url(pg_url)
    conn = await asyncpg.connect(host=admin.host, port=admin.port or 5432, user=admin.username,
                                 password=admin.password, database=admin.database)  # fmt: skip
    created: list[str] = []

    async def new_database(name: str) -> str:
        database = f"chatwidget_bench_{name}_{uuid.uuid4().hex[:8]}"
        await conn.execute(f'CREATE DATABASE "{database}"')
        created.append(database)
        return admin.set(database=database).render_as_string(hide_password=False)

    try:
        yield new_database
    finally:
        for database in created:
            await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await conn.close()


async def run_backend(backend: str, args: argparse.Namespace, report: Report, peer: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with databases(backend, args.pg_url, Path(tmp)) as fresh:
            report.notes.append(f"{backend}: load average before {load()}")
            if "threads" in args.sections:
                layer = SQLDataLayer(await fresh("ours"))
                await layer.migrate()
                ours = await thread_figures(layer, args.runs, args.writes)
                await layer.close()
                theirs: dict[str, Any] | None = None
                if peer is not None:
                    theirs = peer_figures(peer, await fresh("peer"), args.runs, args.writes)
                    report.notes.append(f"{backend}: Chainlit {theirs['chainlit']}, load average {load()}")
                # The single-write bar is PostgreSQL's, where each write is a network round
                # trip; on SQLite the ratio is printed without one.
                single_bar = 2.0 if backend == "postgresql" else None
                rows = [
                    ("get_thread, 5,000 steps", "ms", "get_thread_ms", 3.0),
                    (f"get_thread, newest {NEWEST_PAGE} of 5,000 steps", "ms", "newest_page_ms", None),
                    ("create_step, one at a time", "/s", "create_step_per_s", single_bar),
                    ("update_step, one at a time", "/s", "update_step_per_s", single_bar),
                ]
                for measure, unit, key, bar in rows:
                    figure = report.add(Figure(backend, measure, unit, ours[key]))
                    if theirs is not None and key in theirs:
                        figure.peer = theirs[key]
                        assert figure.peer is not None
                        if bar is not None:
                            ratio = _ratio(figure)
                            figure.target, figure.met = f">= {bar:.0f}x Chainlit", ratio >= bar
                    if key == "newest_page_ms":
                        figure.target, figure.met = "<= 20 ms", figure.median <= PAGE_TARGET_MS
            if "lists" in args.sections:
                layer = SQLDataLayer(await fresh("lists"))
                await layer.migrate()
                rates = [await steps_per_second(layer, args.steps) for _ in range(args.runs)]
                figure = report.add(Figure(backend, "write_steps (batches of 100)", "/s", rates))
                if backend == "sqlite":
                    figure.target, figure.met = f">= {STEPS_TARGET} steps/s", figure.median >= STEPS_TARGET
                started = time.perf_counter()
                users = await load_threads(layer, args.threads)
                took = time.perf_counter() - started
                report.notes.append(f"{backend}: {args.threads} threads loaded in {took:.0f} s ({load()})")
                for label, filters in list_cases(users).items():
                    walks = [await page_walk(layer, filters) for _ in range(args.runs)]
                    for number, values in ((1, [w[0] for w in walks]), (50, [w[1] for w in walks])):
                        if any(math.isnan(v) for v in values):
                            continue  # fewer matches than 50 pages
                        figure = report.add(Figure(backend, f"list page {number}, {label}", "ms", values))
                        figure.target = f"<= {PAGE_TARGET_MS:.0f} ms"
                        figure.met = figure.median <= PAGE_TARGET_MS
                await layer.close()
            report.notes.append(f"{backend}: load average after {load()}")


def _ratio(figure: Figure) -> float:
    """How many times better than the peer (medians)."""
    assert figure.peer
    peer = statistics.median(figure.peer)
    return figure.median / peer if figure.unit == "/s" else peer / figure.median


def _fmt(values: list[float]) -> str:
    ordered = sorted(values)
    if len(ordered) >= 3:
        return f"{ordered[0]:.1f} / {statistics.median(ordered):.1f} / {ordered[-1]:.1f}"
    return " / ".join(f"{v:.1f}" for v in ordered)


def print_report(report: Report, args: argparse.Namespace) -> None:
    print(f"\n{'backend':<11} {'measure':<50} {'ours min/median/max':>26} {'Chainlit min/median/max':>26}"
          f" {'ratio':>7}  target")  # fmt: skip
    for f in report.figures:
        peer = _fmt(f.peer) if f.peer else "-"
        ratio = f"{_ratio(f):.2f}x" if f.peer else ""
        mark = "" if f.met is None else ("ok" if f.met else "MISSED")
        print(f"{f.backend:<11} {f.measure:<50} {_fmt(f.values) + ' ' + f.unit:>26} {peer:>26} {ratio:>7}"
              f"  {f.target} {mark}")  # fmt: skip
    print()
    for note in report.notes:
        print(note)
    print(f"({args.runs} runs of each figure; ratios compare medians, > 1 is better than Chainlit)")
    RESULTS.mkdir(exist_ok=True)
    data = {"figures": [f.__dict__ for f in report.figures], "notes": report.notes, "runs": args.runs}
    (RESULTS / "storage.json").write_text(json.dumps(data, indent=1))
    print(json.dumps(data))


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--sections", nargs="+", default=["threads", "lists"], choices=["threads", "lists"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--writes", type=int, default=SINGLE_WRITES)
    parser.add_argument("--pg-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--peer-python", default=DEFAULT_PEER,
                        help="Python with chainlit, sqlalchemy, aiosqlite (%(default)s)")  # fmt: skip
    parser.add_argument("--no-peer", action="store_true", help="measure our side only")
    args = parser.parse_args()
    report = Report()
    peer: str | None = None
    if "threads" in args.sections and not args.no_peer:
        missing = peer_available(args.peer_python)
        if missing is None:
            peer = args.peer_python
        else:
            report.notes.append(
                f"Chainlit peer not found ({missing}): our side only. To compare: "
                f"python -m venv {PEER_VENV} && {PEER_VENV}/bin/pip install chainlit==2.12.0 "
                "'sqlalchemy[asyncio]' aiosqlite asyncpg"
            )
            print(report.notes[-1], file=sys.stderr)
    print(f"{THREAD_STEPS}-step thread, {args.writes} single writes, {args.runs} runs", file=sys.stderr)
    for backend in args.backends:
        await run_backend(backend, args, report, peer)
    print_report(report, args)


if __name__ == "__main__":
    asyncio.run(main())
