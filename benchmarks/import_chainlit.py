"""How fast ``import-chainlit`` copies a Chainlit database, and what a second run costs.

    .venv/bin/python benchmarks/import_chainlit.py                      # SQLite and PostgreSQL
    .venv/bin/python benchmarks/import_chainlit.py --threads 5000 --backends sqlite

A Chainlit database in the documented schema (``tests/data/chainlit_db.py``'s DDL) with
``--threads`` threads of 10 steps each (user message, run, tool, nested LLM call, answer,
five times over), one 10 KB element file per thread in a storage directory and one feedback,
is imported into a fresh chatwidget database of the same backend:

* first run: everything added (rows per second: all rows of the five tables);
* second run: nothing added (every row found already there, no file fetched);
* dry run into a fresh database: everything read and checked, nothing written.

Each is measured ``--runs`` times (3; a fresh destination for each first run and dry run):
min / median / max, and the load average before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.sql import column, table

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests" / "data"))
sys.path.insert(0, str(REPO / "tests" / "auth"))

from chainlit_db import ddl  # noqa: E402
from server_processes import create_pg_database, drop_pg_database  # noqa: E402

from chatwidget.data.sql import SQLDataLayer  # noqa: E402
from chatwidget.data.sql.from_chainlit import DirectoryBlobs, import_chainlit  # noqa: E402
from chatwidget.data.storage import LocalElementStorage  # noqa: E402

STEPS = ("user_message", "run", "tool", "llm", "assistant_message")
FILE = os.urandom(10_000)


def chainlit_rows(threads: int, dialect: str) -> tuple[dict[str, list[dict[str, Any]]], dict[str, bytes]]:
    def js(value: Any) -> Any:
        return json.dumps(value)

    rows: dict[str, list[dict[str, Any]]] = {
        t: [] for t in ("users", "threads", "steps", "elements", "feedbacks")
    }
    files: dict[str, bytes] = {}
    users = [str(uuid.uuid4()) for _ in range(10)]
    for i, user in enumerate(users):
        rows["users"].append(
            {"id": user, "identifier": f"user{i}", "metadata": js({}), "createdAt": "2024-01-01T00:00:00Z"}
        )
    for n in range(threads):
        thread, user = str(uuid.uuid4()), users[n % len(users)]
        day = f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}T"
        rows["threads"].append(
            {
                "id": thread,
                "createdAt": f"{day}10:00:00.000000Z",
                "name": f"thread {n}",
                "userId": user,
                "userIdentifier": f"user{n % 10}",
                "tags": js(["a"]),
                "metadata": js({"env": {}}),
            }
        )
        parent = None
        last = ""
        for s in range(10):
            kind = STEPS[s % 5]
            step = str(uuid.uuid4())
            rows["steps"].append(
                {
                    "id": step,
                    "threadId": thread,
                    "parentId": parent if kind in ("tool", "llm") else None,
                    "name": kind,
                    "type": kind,
                    "streaming": False,
                    "metadata": js({}),
                    "input": "question " * 5,
                    "output": f"answer {n}-{s} " * 20,
                    "createdAt": f"{day}10:{s:02d}:00.000000Z",
                    "start": f"{day}10:{s:02d}:00.000000Z",
                    "end": f"{day}10:{s:02d}:30.000000Z",
                    "showInput": "json",
                }
            )
            if kind == "run":
                parent = step
            last = step
        key = f"{user}/{thread}/file.bin"
        files[key] = FILE
        rows["elements"].append(
            {
                "id": str(uuid.uuid4()),
                "threadId": thread,
                "type": "file",
                "name": "file.bin",
                "display": "inline",
                "objectKey": key,
                "mime": "application/octet-stream",
                "forId": last,
            }
        )
        rows["feedbacks"].append(
            {"id": str(uuid.uuid4()), "forId": last, "threadId": thread, "value": 1, "comment": "ok"}
        )
    if dialect == "postgresql":  # tags: TEXT[]; JSONB takes the JSON text through a cast-free bind
        for row in rows["threads"]:
            row["tags"] = ["a"]
    return rows, files


async def build_source(url: str, threads: int, dialect: str, files_root: Path) -> int:
    rows, files = chainlit_rows(threads, dialect)
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        for statement in ddl(dialect):
            await conn.exec_driver_sql(statement)
        for name in ("users", "threads", "steps", "elements", "feedbacks"):
            if not rows[name]:
                continue
            columns = list(rows[name][0])
            if dialect == "postgresql":
                from sqlalchemy import MetaData, Table

                def reflect(sync_conn: Any, name: str = name) -> Table:
                    return Table(name, MetaData(), autoload_with=sync_conn)

                target: Any = await conn.run_sync(reflect)
                for row in rows[name]:
                    for key in ("metadata",):
                        if key in row and isinstance(row[key], str):
                            row[key] = json.loads(row[key])
            else:
                target = table(name, *[column(c) for c in columns])
            for start in range(0, len(rows[name]), 2000):
                await conn.execute(insert(target), rows[name][start : start + 2000])
    await engine.dispose()
    for key, content in files.items():
        path = files_root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return sum(len(r) for r in rows.values())


async def timed(source: str, dest: Any, blobs: DirectoryBlobs, **kw: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    report = await import_chainlit(source, dest, blobs=blobs, **kw)
    return time.perf_counter() - start, report


def spread(values: list[float]) -> list[float]:
    return [min(values), statistics.median(values), max(values)]


async def bench(backend: str, args: argparse.Namespace, root: Path) -> dict[str, Any]:
    created: list[str] = []

    def new_url(name: str) -> str:
        if backend == "sqlite":
            return f"sqlite+aiosqlite:///{root / f'{name}-{uuid.uuid4().hex[:6]}.db'}"
        db, url = create_pg_database()
        created.append(db)
        return url

    try:
        source = new_url("chainlit")
        total = await build_source(source, args.threads, backend, root / "bucket")
        blobs = DirectoryBlobs(root / "bucket")
        load = [os.getloadavg()[0]]
        first, again, dry = [], [], []
        for run in range(args.runs):
            dest = SQLDataLayer(
                new_url("dest"), storage=LocalElementStorage(root / f"elements-{backend}-{run}")
            )
            seconds, report = await timed(source, dest, blobs)
            assert sum(report.added.values()) == total and report.complete, report.text()
            first.append(seconds)
            seconds, report = await timed(source, dest, blobs)
            assert sum(report.added.values()) == 0
            again.append(seconds)
            await dest.close()
            fresh = SQLDataLayer(new_url("dry"), storage=LocalElementStorage(root / f"dry-{backend}-{run}"))
            seconds, report = await timed(source, fresh, blobs, dry_run=True)
            dry.append(seconds)
            await fresh.close()
        load.append(os.getloadavg()[0])
    finally:
        for db in created:
            drop_pg_database(db)
    median = statistics.median(first)
    return {
        "backend": backend,
        "threads": args.threads,
        "rows": total,
        "first_s": spread(first),
        "rows_per_s": total / median,
        "second_s": spread(again),
        "dry_s": spread(dry),
        "load": load,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--threads", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="cw-import-bench-") as tmp:
        for backend in args.backends:
            results.append(asyncio.run(bench(backend, args, Path(tmp) / backend)))
    print(
        f"{'backend':<11} {'rows':>7} {'first run s':>22} {'rows/s':>8} "
        f"{'second run s':>22} {'dry run s':>22} load"
    )
    for r in results:
        cells = [" / ".join(f"{v:.2f}" for v in r[k]) for k in ("first_s", "second_s", "dry_s")]
        print(
            f"{r['backend']:<11} {r['rows']:>7} {cells[0]:>22} {r['rows_per_s']:>8.0f} {cells[1]:>22} "
            f"{cells[2]:>22} {r['load'][0]:.1f}->{r['load'][1]:.1f}"
        )
    (HERE / "results").mkdir(exist_ok=True)
    line = json.dumps({"benchmark": "import_chainlit", "results": results})
    (HERE / "results" / "import_chainlit.json").write_text(line + "\n")
    print(line)


if __name__ == "__main__":
    main()
