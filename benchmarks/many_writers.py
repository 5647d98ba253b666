"""Many kernels, one store: 20 processes writing conversations at once, and a thread list meanwhile.

    .venv/bin/python benchmarks/many_writers.py                       # sqlite, postgres, store
    .venv/bin/python benchmarks/many_writers.py --backends sqlite --writers 20 --runs 3

Each writer is a process of its own with its own data layer, as a kernel is: it creates a
thread, then writes ``--batches`` batches of ``--batch`` steps (the kernel's write-behind
sends one batch per 250 ms at most; here they go back to back, so this is the ceiling).
Meanwhile the parent lists the first page of one user's threads over and over.

* aggregate steps/s: all steps written / (last writer done - first writer started);
* list page p50 / p99 (ms) while the writers run; failed writes, if any, with the first error.

Backends: ``sqlite`` (one file, WAL), ``postgres`` (``--pg-url``, a database of its own,
dropped afterwards), ``store`` (the thread store service behind a real JupyterHub started
as the hub tests do, on PostgreSQL; every writer uses a user's hub token, as kernels do).
Prints min / median / max over ``--runs`` runs and the load average, and one JSON line
(also benchmarks/results/many_writers.json).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO / "tests" / "hub"))

from _common import write_result  # noqa: E402

from chatwidget.data import BaseDataLayer, Pagination, ThreadFilter, User  # noqa: E402

PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def make_layer(spec: dict[str, str]) -> BaseDataLayer:
    if spec["kind"] == "store":
        from chatwidget.data.remote import RemoteDataLayer

        return RemoteDataLayer(spec["url"], token=spec["token"])
    from chatwidget.data.sql import SQLDataLayer

    return SQLDataLayer(spec["url"])


async def _write(spec: dict[str, str], batches: int, batch: int, start: Any) -> tuple[float, float, int, str]:
    layer = make_layer(spec)
    owner = await layer.authenticated_owner() or spec["owner"]
    user = await layer.get_user(owner) or await layer.create_user(User(owner))
    thread_id = str(uuid.uuid4())
    await layer.update_thread(thread_id, name="bench", user_id=user.id, create=True)
    start.wait()
    began, written, error = time.time(), 0, ""
    for b in range(batches):
        steps = [
            {"id": str(uuid.uuid4()), "threadId": thread_id, "type": "assistant_message", "name": "A",
             "output": f"step {b}.{i} " + "lorem ipsum dolor " * 10,
             "createdAt": f"2026-01-01T00:{b % 60:02d}:00Z"}
            for i in range(batch)
        ]  # fmt: skip
        try:
            await layer.write_steps(steps)  # type: ignore[arg-type]
            written += len(steps)
        except Exception as exc:
            error = error or f"{type(exc).__name__}: {exc}"[:200]
    ended = time.time()
    await layer.close()
    return began, ended, written, error


def writer(spec: dict[str, str], batches: int, batch: int, start: Any, out: Any) -> None:
    out.put(asyncio.run(_write(spec, batches, batch, start)))


async def list_pages(spec: dict[str, str], stop: Any) -> list[float]:
    layer = make_layer(spec)
    owner = await layer.authenticated_owner() or spec["owner"]
    user = await layer.get_user(owner) or await layer.create_user(User(owner))
    times: list[float] = []
    while not stop():
        t0 = time.perf_counter()
        await layer.list_threads(Pagination(first=20), ThreadFilter(userId=user.id))
        times.append((time.perf_counter() - t0) * 1000)
        await asyncio.sleep(0.02)
    await layer.close()
    return times


def run_once(spec: dict[str, str], writers: int, batches: int, batch: int) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=writer, args=(spec, batches, batch, start, out)) for _ in range(writers)]
    for p in procs:
        p.start()
    time.sleep(3)  # every writer has its layer and its thread (spawn + imports)
    results: list[tuple[float, float, int, str]] = []

    async def measure() -> list[float]:
        start.set()
        loop = asyncio.get_running_loop()

        def collect() -> None:
            while len(results) < writers:
                results.append(out.get())

        collector = loop.run_in_executor(None, collect)
        pages = await list_pages(spec, collector.done)
        await collector
        return pages

    pages = asyncio.run(measure())
    for p in procs:
        p.join(30)
    first = min(r[0] for r in results)
    last = max(r[1] for r in results)
    steps = sum(r[2] for r in results)
    errors = [r[3] for r in results if r[3]]
    ordered = sorted(pages) or [float("nan")]
    return {
        "steps_per_s": steps / (last - first),
        "steps": steps,
        "page_p50_ms": statistics.median(ordered),
        "page_p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "pages": len(pages),
        "failed_writers": len(errors),
        "first_error": errors[0] if errors else "",
    }


async def _pg(statement: str, url: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    conn = await asyncpg.connect(host=u.host, port=u.port or 5432, user=u.username, password=u.password,
                                 database=u.database)  # fmt: skip
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def spread(values: list[float]) -> str:
    return f"{min(values):.1f} / {statistics.median(values):.1f} / {max(values):.1f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backends", default="sqlite,postgres,store")
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pg-url", default=PG_URL)
    args = parser.parse_args()
    from sqlalchemy.engine import make_url

    results: dict[str, Any] = {"load_before": os.getloadavg(), "writers": args.writers}
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            runs = []
            database = f"chatwidget_bench_{os.getpid()}_{backend}"
            hub = None
            if backend in ("postgres", "store"):
                asyncio.run(_pg(f'CREATE DATABASE "{database}"', args.pg_url))
            pg = make_url(args.pg_url).set(database=database).render_as_string(hide_password=False)
            try:
                if backend == "sqlite":
                    spec = {"kind": "sql", "url": f"sqlite+aiosqlite:///{tmp}/bench.db", "owner": "alice"}
                elif backend == "postgres":
                    spec = {"kind": "sql", "url": pg, "owner": "alice"}
                else:
                    from hubdriver import Hub

                    hub = Hub(Path(tmp) / "hub", pg)
                    hub.start()
                    spec = {
                        "kind": "store",
                        "url": hub.store_url,
                        "token": hub.user_token("alice"),
                        "owner": "",
                    }
                for _ in range(args.runs):
                    runs.append(run_once(spec, args.writers, args.batches, args.batch))
            finally:
                if hub is not None:
                    hub.stop()
                if backend in ("postgres", "store"):
                    asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)', args.pg_url))
            results[backend] = runs
            print(
                f"{backend:9s} steps/s {spread([r['steps_per_s'] for r in runs])}   "
                f"list p50 ms {spread([r['page_p50_ms'] for r in runs])}   "
                f"p99 ms {spread([r['page_p99_ms'] for r in runs])}   "
                f"failed writers {[r['failed_writers'] for r in runs]} {runs[-1]['first_error']}",
                flush=True,
            )
    results["load_after"] = os.getloadavg()
    print(
        f"{args.writers} writers x {args.batches} batches of {args.batch} steps, {args.runs} runs "
        f"(min / median / max); load average before {results['load_before']}, "
        f"after {results['load_after']}"
    )
    print(write_result("many_writers", results))


if __name__ == "__main__":
    main()
