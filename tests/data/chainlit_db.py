"""A Chainlit database for the import tests: the documented schema, and rows as Chainlit writes them.

The DDL is Chainlit's SQLAlchemy data layer schema as its documentation gives it (PostgreSQL
types; SQLite takes the same text). The SQLite one is an older version's, without
``command`` and ``defaultOpen``, as an app that never migrated has. The rows are what the
reference's data layers store: JSON as text on SQLite (sometimes encoded twice), tags as
``TEXT[]`` or JSON text, booleans as 0/1, ``createdAt`` as ``isoformat() + "Z"``, and the
rows a real database collects over time: nested steps, elements with bytes in a bucket,
a link-only element, feedback (also Chainlit 1.x's -1), and rows that are plainly wrong.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, Table, insert
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.sql import column, table

USERS = """CREATE TABLE users (
    "id" UUID PRIMARY KEY,
    "identifier" TEXT NOT NULL UNIQUE,
    "metadata" JSONB NOT NULL,
    "createdAt" TEXT
)"""
THREADS = """CREATE TABLE IF NOT EXISTS threads (
    "id" UUID PRIMARY KEY,
    "createdAt" TEXT,
    "name" TEXT,
    "userId" UUID,
    "userIdentifier" TEXT,
    "tags" TEXT[],
    "metadata" JSONB,
    FOREIGN KEY ("userId") REFERENCES users("id") ON DELETE CASCADE
)"""
STEPS = """CREATE TABLE IF NOT EXISTS steps (
    "id" UUID PRIMARY KEY,
    "name" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "threadId" UUID NOT NULL,
    "parentId" UUID,
    "streaming" BOOLEAN NOT NULL,
    "waitForAnswer" BOOLEAN,
    "isError" BOOLEAN,
    "metadata" JSONB,
    "tags" TEXT[],
    "input" TEXT,
    "output" TEXT,
    "createdAt" TEXT,
    {command}"start" TEXT,
    "end" TEXT,
    "generation" JSONB,
    "showInput" TEXT,
    "language" TEXT,
    "indent" INT,
    {default_open}FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE
)"""
ELEMENTS = """CREATE TABLE IF NOT EXISTS elements (
    "id" UUID PRIMARY KEY,
    "threadId" UUID,
    "type" TEXT,
    "url" TEXT,
    "chainlitKey" TEXT,
    "name" TEXT NOT NULL,
    "display" TEXT,
    "objectKey" TEXT,
    "size" TEXT,
    "page" INT,
    "language" TEXT,
    "forId" UUID,
    "mime" TEXT,
    "props" JSONB,
    FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE
)"""
FEEDBACKS = """CREATE TABLE IF NOT EXISTS feedbacks (
    "id" UUID PRIMARY KEY,
    "forId" UUID NOT NULL,
    "threadId" UUID NOT NULL,
    "value" INT NOT NULL,
    "comment" TEXT,
    FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE
)"""

#: The bytes of the element files (a PNG header and a PDF's first line are enough).
PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
REPORT_PDF = b"%PDF-1.4\n% the quarterly report\n" + b"0" * 5000


def ddl(dialect: str) -> list[str]:
    newest = dialect == "postgresql"
    steps = STEPS.format(
        command='"command" TEXT,\n    ' if newest else "",
        default_open='"defaultOpen" BOOLEAN,\n    ' if newest else "",
    )
    return [USERS, THREADS, steps, ELEMENTS, FEEDBACKS]


def ts(minute: int, second: int = 0) -> str:
    """What Chainlit writes: ``datetime.utcnow().isoformat() + "Z"``."""
    return f"2024-05-01T12:{minute:02d}:{second:02d}.123456Z"


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class ChainlitData:
    """The rows, and what the tests look for among them."""

    dialect: str
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: Object key -> bytes, as the storage client holds them.
    files: dict[str, bytes] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)

    def add(self, table: str, **row: Any) -> dict[str, Any]:
        self.rows.setdefault(table, []).append(row)
        return row

    def json(self, value: Any) -> Any:
        """A JSON column's value: a Python value for JSONB, JSON text on SQLite (as Chainlit does)."""
        return value if self.dialect == "postgresql" else json.dumps(value)

    def tags(self, value: list[str]) -> Any:
        return value if self.dialect == "postgresql" else json.dumps(value)

    def flag(self, value: bool) -> Any:
        return value if self.dialect == "postgresql" else int(value)


def chainlit_rows(dialect: str) -> ChainlitData:
    d = ChainlitData(dialect)
    ids = d.ids
    for name in ("ann", "bob", "t1", "t2", "t3", "t4", "t5", "run", "tool", "llm", "ask", "answer"):
        ids[name] = new_id()
    ids.update(broken_step=new_id(), long_type=new_id(), photo=new_id(), pdf=new_id(), link=new_id())
    ids.update(script_link=new_id(), escape=new_id(), missing_file=new_id(), fb=new_id(), fb_twice=new_id())
    ids.update(fb_bad=new_id(), fb_old=new_id(), t2_msg=new_id(), t2_tool=new_id(), t3_msg=new_id())
    ids.update(t4_msg=new_id(), t5_msg=new_id(), orphan_element=new_id(), blank_user=new_id())

    d.add("users", id=ids["ann"], identifier="ann", createdAt=ts(0),
          metadata=d.json({"provider": "github", "image": "https://avatars.example/ann.png"}))  # fmt: skip
    # metadata encoded twice: a JSON string holding the JSON object
    d.add(
        "users",
        id=ids["bob"],
        identifier="bob",
        createdAt=ts(0),
        metadata=d.json(json.dumps({"name": "Bob"})),
    )
    d.add("users", id=ids["blank_user"], identifier="", createdAt=ts(0), metadata=d.json({}))

    # T1: Ann's trip, nested steps, three elements, feedback
    d.add("threads", id=ids["t1"], createdAt=ts(1), name="Trip to Lisbon", userId=ids["ann"],
          userIdentifier="ann", tags=d.tags(["travel", "planning"]),
          metadata=d.json({"chat_profile": "Planner", "env": {}, "chat_settings": {"t": 0}}))  # fmt: skip

    def step(step_id: str, thread: str, kind: str, minute: int, **extra: Any) -> None:
        row: dict[str, Any] = {
            "id": step_id, "threadId": thread, "name": extra.pop("name", kind), "type": kind,
            "streaming": d.flag(False), "createdAt": ts(minute), "start": ts(minute), "end": ts(minute, 30),
            "input": "", "output": "", "metadata": d.json({}), "indent": 0,
        }  # fmt: skip
        row.update(extra)
        if dialect == "postgresql":
            row.setdefault("defaultOpen", False)
            row.setdefault("command", None)
        d.add("steps", **row)

    step(ids["ask"], ids["t1"], "user_message", 1, name="ann", output="Plan three days in Lisbon")
    step(ids["run"], ids["t1"], "run", 2, name="on_message", parentId=ids["ask"])
    step(ids["tool"], ids["t1"], "tool", 3, name="search", parentId=ids["run"],
         input='{"q": "Lisbon museums"}', output="12 results", showInput="json", language="json")  # fmt: skip
    step(ids["llm"], ids["t1"], "llm", 4, name="gpt-4o", parentId=ids["tool"],
         generation=d.json({"provider": "openai", "model": "gpt-4o", "tokenCount": 812}))  # fmt: skip
    step(ids["answer"], ids["t1"], "assistant_message", 5, name="Assistant", parentId=ids["run"],
         output="Day 1: Alfama and the castle...", showInput="false")  # fmt: skip
    step(ids["broken_step"], ids["t1"], "assistant_message", 6, createdAt="yesterday", output="lost?")
    step(ids["long_type"], ids["t1"], "a_step_type_longer_than_thirty_two_characters", 6)

    owner = ids["ann"]
    d.files[f"{owner}/{ids['photo']}/castle.png"] = PHOTO
    d.files[f"{owner}/{ids['pdf']}/report.pdf"] = REPORT_PDF
    element = {"threadId": ids["t1"], "forId": ids["answer"], "display": "inline", "chainlitKey": None}
    d.add("elements", id=ids["photo"], type="image", name="castle.png", mime="image/png", size="large",
          objectKey=f"{owner}/{ids['photo']}/castle.png", url=f"https://bucket.s3.amazonaws.com/{owner}/x",
          page=None, language=None, props=d.json({}), **element)  # fmt: skip
    d.add("elements", id=ids["pdf"], type="pdf", name="report.pdf", mime="application/pdf", page=2,
          objectKey=f"{owner}/{ids['pdf']}/report.pdf", url=None, size=None, language=None, props=None,
          **{**element, "display": "side"})  # fmt: skip
    d.add("elements", id=ids["link"], type="image", name="map", mime="image/png", objectKey=None,
          url="https://maps.example/lisbon.png", size=None, page=None, language=None, props=None,
          **element)  # fmt: skip
    d.add("elements", id=ids["script_link"], type="file", name="click me", mime=None, objectKey=None,
          url="javascript:alert(document.cookie)", size=None, page=None, language=None, props=None,
          **element)  # fmt: skip
    d.add("elements", id=ids["escape"], type="file", name="passwd", mime="text/plain",
          objectKey="../../../../etc/passwd", url=None, size=None, page=None, language=None, props=None,
          **element)  # fmt: skip
    d.add("elements", id=ids["missing_file"], type="file", name="gone.txt", mime="text/plain",
          objectKey=f"{owner}/{ids['missing_file']}/gone.txt", url=None, size=None, page=None,
          language=None, props=None, **element)  # fmt: skip
    d.add("feedbacks", id=ids["fb"], forId=ids["answer"], threadId=ids["t1"], value=1, comment="Great plan")
    d.add("feedbacks", id=ids["fb_twice"], forId=ids["answer"], threadId=ids["t1"], value=0, comment="again")
    d.add("feedbacks", id=ids["fb_bad"], forId=ids["tool"], threadId=ids["t1"], value=7, comment=None)

    # T2: Bob's, shared, odd JSON (an array as metadata), a Chainlit 1.x feedback, an error step
    d.add("threads", id=ids["t2"], createdAt=ts(10), name="Broken build", userId=ids["bob"],
          userIdentifier="bob", tags=d.tags(["ci"]) if dialect == "postgresql" else "ci",
          metadata=d.json({"is_shared": True, "shared_at": "2024-05-02T08:00:00Z", "env": {}}))  # fmt: skip
    text = "log line\x00with a NUL" if dialect == "sqlite" else "log line without NUL"
    step(ids["t2_msg"], ids["t2"], "user_message", 10, output="Why does CI fail?", metadata=d.json([1, 2, 3]))
    step(ids["t2_tool"], ids["t2"], "tool", 11, name="read_log", isError=d.flag(True), output=text,
         createdAt=None, start=ts(11, 5), showInput="true")  # fmt: skip
    d.add("feedbacks", id=ids["fb_old"], forId=ids["t2_msg"], threadId=ids["t2"], value=-1, comment="meh")

    # T3: names its owner only by identifier (Dave has no users row)
    d.add("threads", id=ids["t3"], createdAt=ts(20), name="Dave's question", userId=None,
          userIdentifier="dave", tags=None, metadata=d.json({}))  # fmt: skip
    step(ids["t3_msg"], ids["t3"], "user_message", 20, output="hello from dave")

    # T4: a thread whose createdAt is not a time: it and its step are skipped
    d.add("threads", id=ids["t4"], createdAt="last tuesday", name="bad thread", userId=ids["ann"],
          userIdentifier="ann", tags=None, metadata=d.json({}))  # fmt: skip
    step(ids["t4_msg"], ids["t4"], "user_message", 30, output="never imported")

    # T5: anonymous (no user at all)
    d.add("threads", id=ids["t5"], createdAt=ts(40), name=None, userId=None, userIdentifier=None,
          tags=None, metadata=None)  # fmt: skip
    step(ids["t5_msg"], ids["t5"], "user_message", 40, output="anyone there?")

    # An element that belongs to no thread
    d.add("elements", id=ids["orphan_element"], threadId=None, type="file", name="stray.txt", url=None,
          chainlitKey=None, display="inline", objectKey=None, size=None, page=None, language=None,
          forId=None, mime="text/plain", props=None)  # fmt: skip
    return d


async def create_chainlit_database(url: Any, data: ChainlitData, files_root: Path | None = None) -> None:
    """Build the schema at ``url`` and insert ``data`` (and write its files under ``files_root``)."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            for statement in ddl(data.dialect):
                await conn.exec_driver_sql(statement)
        async with engine.begin() as conn:
            tables: dict[str, Any] = {}

            def reflect(sync_conn: Any) -> None:
                # PostgreSQL: the columns' types (JSONB takes a dict, TEXT[] a list). SQLite: none,
                # the values are written as they are, as Chainlit's raw SQL writes them.
                md = MetaData()
                for name in ("users", "threads", "steps", "elements", "feedbacks"):
                    if data.dialect == "postgresql":
                        tables[name] = Table(name, md, autoload_with=sync_conn)

            await conn.run_sync(reflect)
            for name in ("users", "threads", "steps", "elements", "feedbacks"):
                for row in data.rows.get(name, []):
                    target = tables.get(name)
                    if target is None:
                        target = table(name, *[column(c) for c in row])
                    await conn.execute(insert(target).values(**row))
    finally:
        await engine.dispose()
    if files_root is not None:
        for key, content in data.files.items():
            path = files_root / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
