"""The storage benchmark's shared workload, and its Chainlit side (run in Chainlit's own venv).

``benchmarks/storage.py`` imports the workload from here (this module imports nothing but
the standard library at the top) and runs this file with the peer's Python:

    /tmp/peer/bin/python benchmarks/storage_peer.py --url sqlite+aiosqlite:///peer.db

which builds Chainlit's documented schema (plus the ``defaultOpen`` and ``autoCollapse``
columns its step inserts need) in the given, empty database, runs the same workload through
Chainlit's ``SQLAlchemyDataLayer`` and prints one JSON line of figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from typing import Any

#: Steps in the thread that is read back (``get_thread``).
THREAD_STEPS = 5_000
#: One-at-a-time ``create_step`` / ``update_step`` calls per run.
SINGLE_WRITES = 1_000

_QUESTION = "How do I read a CSV file with a header row and skip the blank lines at its end?"
_ANSWER = (
    "Open it with the csv module's DictReader, which takes the header row as field names; "
    "then skip rows whose values are all empty. A sketch follows, and a note on encodings. "
) * 2
_TOOL = '{"query": "csv DictReader blank lines", "results": 3, "source": "docs"}'


def stamp(n: int) -> str:
    """The ``n``-th millisecond of a fixed day, as a canonical timestamp."""
    seconds, millis = divmod(n, 1000)
    return f"2100-01-01T{seconds // 3600 % 24:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}.{millis:03d}Z"


def thread_steps(thread_id: str, count: int = THREAD_STEPS) -> list[dict[str, Any]]:
    """A conversation as the kernel stores it, four steps a turn: the user's message, a run
    step, a tool step inside it, and the answer (full step dicts, the reference's keys)."""
    steps: list[dict[str, Any]] = []
    for n in range(count):
        turn, kind = divmod(n, 4)
        step_id = f"{thread_id}-{n:05d}"
        base: dict[str, Any] = {
            "id": step_id,
            "threadId": thread_id,
            "parentId": None,
            "streaming": False,
            "isError": False,
            "metadata": {},
            "tags": None,
            "input": "",
            "createdAt": stamp(n),
            "start": stamp(n),
            "end": stamp(n),
            "generation": None,
            "showInput": "json",
            "language": None,
            "defaultOpen": False,
        }
        if kind == 0:
            base.update(name="User", type="user_message", output=f"{_QUESTION} ({turn})")
        elif kind == 1:
            base.update(name="on_message", type="run", output="")
        elif kind == 2:
            base.update(name="search", type="tool", parentId=f"{thread_id}-{n - 1:05d}",
                        input=_TOOL, output=_ANSWER[:120], language="json")  # fmt: skip
        else:
            base.update(name="Assistant", type="assistant_message", output=f"{_ANSWER} ({turn})")
        steps.append(base)
    return steps


def new_step(thread_id: str, n: int) -> dict[str, Any]:
    """A step as ``create_step`` receives it when a message starts."""
    return {
        "id": f"{thread_id}-w{n:05d}",
        "threadId": thread_id,
        "parentId": None,
        "name": "Assistant",
        "type": "assistant_message",
        "streaming": True,
        "isError": False,
        "metadata": {},
        "input": "",
        "output": "",
        "createdAt": stamp(n),
        "start": stamp(n),
        "end": None,
        "showInput": "json",
        "defaultOpen": False,
    }


def finished_step(thread_id: str, n: int) -> dict[str, Any]:
    """The same step as ``update_step`` receives it when the message is complete."""
    return {
        "id": f"{thread_id}-w{n:05d}",
        "threadId": thread_id,
        "name": "Assistant",
        "type": "assistant_message",
        "streaming": False,
        "output": _ANSWER,
        "createdAt": stamp(n),
        "start": stamp(n),
        "end": stamp(n + 1),
    }


# -- the Chainlit side -------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE users ("id" {uuid} PRIMARY KEY, "identifier" TEXT NOT NULL UNIQUE,
    "metadata" {json} NOT NULL, "createdAt" TEXT);
CREATE TABLE threads ("id" {uuid} PRIMARY KEY, "createdAt" TEXT, "name" TEXT, "userId" {uuid},
    "userIdentifier" TEXT, "tags" {tags}, "metadata" {json},
    FOREIGN KEY ("userId") REFERENCES users("id") ON DELETE CASCADE);
CREATE TABLE steps ("id" {uuid} PRIMARY KEY, "name" TEXT NOT NULL, "type" TEXT NOT NULL,
    "threadId" {uuid} NOT NULL, "parentId" {uuid}, "streaming" BOOLEAN NOT NULL,
    "waitForAnswer" BOOLEAN, "isError" BOOLEAN, "metadata" {json}, "tags" {tags}, "input" TEXT,
    "output" TEXT, "createdAt" TEXT, "command" TEXT, "start" TEXT, "end" TEXT, "generation" {json},
    "showInput" TEXT, "language" TEXT, "indent" INT, "defaultOpen" BOOLEAN, "autoCollapse" BOOLEAN,
    FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE);
CREATE TABLE elements ("id" {uuid} PRIMARY KEY, "threadId" {uuid}, "type" TEXT, "url" TEXT,
    "chainlitKey" TEXT, "name" TEXT NOT NULL, "display" TEXT, "objectKey" TEXT, "size" TEXT,
    "page" INT, "language" TEXT, "forId" {uuid}, "mime" TEXT, "props" {json},
    FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE);
CREATE TABLE feedbacks ("id" {uuid} PRIMARY KEY, "forId" {uuid} NOT NULL, "threadId" {uuid} NOT NULL,
    "value" INT NOT NULL, "comment" TEXT,
    FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE);
"""

_STEP_COLUMNS = ("id", "name", "type", "threadId", "parentId", "streaming", "isError", "metadata",
                 "input", "output", "createdAt", "start", "end", "showInput", "language",
                 "defaultOpen")  # fmt: skip


async def _peer(url: str, runs: int, thread_steps_count: int, writes: int) -> dict[str, Any]:
    from chainlit.context import init_http_context
    from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
    from sqlalchemy import text

    postgres = url.startswith("postgresql")
    types = {"uuid": "UUID", "json": "JSONB", "tags": "TEXT[]"} if postgres else {
        "uuid": "TEXT", "json": "TEXT", "tags": "TEXT"}  # fmt: skip
    layer = SQLAlchemyDataLayer(url)
    async with layer.engine.begin() as conn:
        for statement in _SCHEMA.format(**types).split(";"):
            if statement.strip():
                await conn.execute(text(statement))
    init_http_context()
    figures: dict[str, list[float]] = {"get_thread_ms": [], "create_step_per_s": [], "update_step_per_s": []}
    names = ", ".join(f'"{c}"' for c in _STEP_COLUMNS)
    values = ", ".join(f":{c}" for c in _STEP_COLUMNS)
    for run in range(runs):
        # the long thread, loaded in bulk (the reads are what is measured)
        thread_id = _uuid(f"r{run}")
        await layer.update_thread(thread_id, name="A long conversation")
        rows = []
        for step in thread_steps(thread_id, thread_steps_count):
            row = {c: step[c] for c in _STEP_COLUMNS}
            row["metadata"] = json.dumps(row["metadata"])
            row["id"], row["parentId"] = _uuid(step["id"]), step["parentId"] and _uuid(step["parentId"])
            rows.append(row)
        async with layer.engine.begin() as conn:
            await conn.execute(text(f"INSERT INTO steps ({names}) VALUES ({values})"), rows)  # noqa: S608
        started = time.perf_counter()
        thread = await layer.get_thread(thread_id)
        figures["get_thread_ms"].append((time.perf_counter() - started) * 1000)
        assert thread is not None and len(thread["steps"]) == thread_steps_count, "get_thread lost steps"

        writes_thread = _uuid(f"w{run}")
        await layer.update_thread(writes_thread, name="Writes")
        created = [new_step(writes_thread, n) for n in range(writes)]
        finished = [finished_step(writes_thread, n) for n in range(writes)]
        for step_list in (created, finished):
            for step in step_list:
                step["id"] = _uuid(step["id"])
        started = time.perf_counter()
        for step in created:
            await layer.create_step(dict(step))  # type: ignore[arg-type]
        figures["create_step_per_s"].append(writes / (time.perf_counter() - started))
        started = time.perf_counter()
        for step in finished:
            await layer.update_step(dict(step))  # type: ignore[arg-type]
        figures["update_step_per_s"].append(writes / (time.perf_counter() - started))
        finished_query = text('SELECT count(*) FROM steps WHERE "threadId" = :t AND "end" IS NOT NULL')
        async with layer.engine.connect() as conn:
            stored = (await conn.execute(finished_query, {"t": writes_thread})).scalar()
        assert stored == writes, f"only {stored} of {writes} updated steps were stored"
    await layer.engine.dispose()
    return figures


def _uuid(name: str) -> str:
    """Chainlit's PostgreSQL schema keys rows by UUID: a stable one per workload id."""
    import uuid

    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--thread-steps", type=int, default=THREAD_STEPS)
    parser.add_argument("--writes", type=int, default=SINGLE_WRITES)
    args = parser.parse_args()
    # Chainlit writes its config files under the app root on import: keep them out of the way.
    os.environ.setdefault("CHAINLIT_APP_ROOT", tempfile.mkdtemp(prefix="chainlit-peer-"))
    import chainlit

    figures = asyncio.run(_peer(args.url, args.runs, args.thread_steps, args.writes))
    print(json.dumps({"chainlit": chainlit.__version__, **figures}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
