"""Importing a Chainlit database: its documented schema on SQLite and PostgreSQL, into both.

The Chainlit database is built from the documented DDL and filled as Chainlit's data layers
fill it (``chainlit_db``): nested steps, elements whose bytes are in a storage directory or
an S3 bucket (moto's server), a link-only element, feedback, odd JSON, and wrong rows. What
was imported is read back through the data layer, as the server and the kernels read it.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from chainlit_db import PHOTO, REPORT_PDF, ChainlitData, chainlit_rows, create_chainlit_database
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url

from chatwidget.data import Pagination, ThreadFilter
from chatwidget.data.sql import SQLDataLayer
from chatwidget.data.sql.from_chainlit import DirectoryBlobs, ImportReport, S3Blobs, import_chainlit
from chatwidget.data.storage import LocalElementStorage

USERS_MAP = {"ann": "github:583231"}
PREFIX = "password:"
#: What the rows of ``chainlit_rows`` come to (see the comments there).
ADDED = {"users": 3, "threads": 4, "steps": 9, "elements": 4, "feedbacks": 2}
SKIPPED = {"users": 1, "threads": 1, "steps": 3, "elements": 3, "feedbacks": 2}


def url_for(backend: str, tmp_path: Path, name: str, request: pytest.FixtureRequest) -> URL:
    if backend == "sqlite":
        return make_url(f"sqlite+aiosqlite:///{tmp_path / f'{name}.db'}")
    new_pg_url: Callable[[], URL] = request.getfixturevalue("new_pg_url")
    return new_pg_url()


@pytest.fixture(
    params=[("sqlite", "sqlite"), ("postgresql", "postgresql"), ("sqlite", "postgresql")],
    ids=["sqlite-to-sqlite", "postgresql-to-postgresql", "sqlite-to-postgresql"],
)
def backends(request: pytest.FixtureRequest) -> tuple[str, str]:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def urls(backends: tuple[str, str], tmp_path: Path, request: pytest.FixtureRequest) -> tuple[URL, URL]:
    """The Chainlit database's URL and the destination's (fresh databases)."""
    return url_for(backends[0], tmp_path, "chainlit", request), url_for(
        backends[1], tmp_path, "chatwidget", request
    )


@pytest.fixture
async def chainlit(
    backends: tuple[str, str], urls: tuple[URL, URL], tmp_path: Path
) -> tuple[URL, ChainlitData]:
    data = chainlit_rows(backends[0])
    await create_chainlit_database(urls[0], data, tmp_path / "bucket")
    return urls[0], data


@pytest.fixture
async def destination(urls: tuple[URL, URL], tmp_path: Path) -> AsyncIterator[SQLDataLayer]:
    layer = SQLDataLayer(urls[1], storage=LocalElementStorage(tmp_path / "elements"))
    yield layer
    await layer.close()


def counts(report: ImportReport) -> tuple[dict[str, int], dict[str, int]]:
    skipped: dict[str, int] = {}
    for s in report.skipped:
        skipped[s.table] = skipped.get(s.table, 0) + 1
    return {k: v for k, v in report.added.items() if v}, skipped


def reasons(report: ImportReport) -> dict[str, str]:
    return {s.id: s.reason for s in report.skipped}


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def run(
    chainlit: tuple[URL, ChainlitData], layer: SQLDataLayer, tmp_path: Path, **kw: Any
) -> ImportReport:
    options: dict[str, Any] = {"blobs": DirectoryBlobs(tmp_path / "bucket"), "identifier_for": USERS_MAP,
                               "identifier_prefix": PREFIX, "batch_size": 2, **kw}  # fmt: skip
    return await import_chainlit(chainlit[0], layer, **options)


async def test_an_import_brings_every_row_that_makes_sense(
    chainlit: tuple[URL, ChainlitData], destination: SQLDataLayer, tmp_path: Path, backends: tuple[str, str]
) -> None:
    _, data = chainlit
    ids = data.ids
    report = await run(chainlit, destination, tmp_path)
    assert counts(report) == (ADDED, SKIPPED)
    why = reasons(report)
    assert why[ids["blank_user"]] == "no identifier"
    assert why[ids["t4"]].startswith("invalid createdAt 'last tuesday'")
    assert why[ids["t4_msg"]] == "its thread was skipped"
    assert why[ids["broken_step"]].startswith("invalid createdAt 'yesterday'")
    assert why[ids["long_type"]] == "type longer than 32 characters"
    assert why[ids["escape"]].startswith(
        "bytes not fetched: object key '../../../../etc/passwd' is not a path"
    )
    assert why[ids["missing_file"]].startswith("bytes not fetched: no file")
    assert why[ids["orphan_element"]] == "its thread does not exist in the Chainlit database"
    assert why[ids["fb_twice"]] == "another feedback for the same step comes first"
    assert why[ids["fb_bad"]] == "value 7 is not 0 or 1"
    assert [s.id for s in report.skipped if s.bytes_missing] == [ids["escape"], ids["missing_file"]]
    assert (report.files_stored, report.bytes_stored) == (2, len(PHOTO) + len(REPORT_PDF))
    assert len(stored_files(tmp_path / "elements")) == 2

    # -- read back as the server reads it
    ann = await destination.get_user("github:583231")
    bob = await destination.get_user("password:bob")
    assert ann is not None and ann.id == ids["ann"] and ann.metadata["image"].endswith("ann.png")
    assert bob is not None and bob.display_name == "Bob"  # its metadata was JSON encoded twice
    thread = await destination.get_thread(ids["t1"])
    assert thread is not None
    assert (thread["name"], thread["userIdentifier"], thread["tags"]) == (
        "Trip to Lisbon", "github:583231", ["travel", "planning"],
    )  # fmt: skip
    assert thread["metadata"]["chat_profile"] == "Planner" and thread["metadata"]["is_shared"] is False
    assert thread["createdAt"] == "2024-05-01T12:01:00.123Z"
    assert thread["updatedAt"] == "2024-05-01T12:05:30.123Z"  # its latest step: the list's order
    steps = {s["id"]: s for s in thread["steps"]}
    assert [s["id"] for s in thread["steps"]] == [ids[k] for k in ("ask", "run", "tool", "llm", "answer")]
    assert steps[ids["tool"]]["parentId"] == ids["run"] and steps[ids["llm"]]["parentId"] == ids["tool"]
    assert steps[ids["tool"]]["showInput"] == "json" and steps[ids["answer"]]["showInput"] is False
    assert steps[ids["llm"]]["generation"] == {"provider": "openai", "model": "gpt-4o", "tokenCount": 812}
    assert steps[ids["answer"]]["feedback"]["value"] == 1
    assert steps[ids["answer"]]["feedback"]["comment"] == "Great plan"
    elements = {e["id"]: e for e in thread["elements"]}
    assert set(elements) == {ids["photo"], ids["pdf"], ids["link"], ids["script_link"]}
    assert await destination.read_element_content(ids["t1"], ids["photo"]) == PHOTO
    assert await destination.read_element_content(ids["t1"], ids["pdf"]) == REPORT_PDF
    assert elements[ids["photo"]]["url"] is None and elements[ids["pdf"]]["page"] == 2
    assert elements[ids["photo"]]["objectKey"] != f"{ids['ann']}/{ids['photo']}/castle.png"  # a key of ours
    assert elements[ids["link"]]["url"] == "https://maps.example/lisbon.png"
    assert elements[ids["script_link"]]["url"] is None  # a javascript: link is not kept

    shared = await destination.get_thread(ids["t2"])
    assert shared is not None and shared["metadata"]["is_shared"] is True
    assert shared["metadata"]["shared_at"] == "2024-05-02T08:00:00.000Z"
    assert shared["tags"] == ["ci"]
    first, tool = shared["steps"]
    assert first["metadata"] == {"chainlit_metadata": [1, 2, 3]}  # odd JSON kept, not dropped
    assert first["feedback"]["value"] == 0  # Chainlit 1.x's -1
    assert tool["isError"] is True and tool["createdAt"] == "2024-05-01T12:11:05.123Z"  # from its start
    if backends[0] == "sqlite":
        assert tool["output"] == "log line\ufffdwith a NUL"
    assert await destination.get_thread_author(ids["t3"]) == "password:dave"  # named by identifier only
    assert await destination.get_thread_author(ids["t5"]) is None  # anonymous: visible to nobody
    mine = await destination.list_threads(Pagination(), ThreadFilter(userId=ann.id))
    assert [t["id"] for t in mine.data] == [ids["t1"]]
    found = await destination.list_threads(Pagination(), ThreadFilter(userId=ann.id, search="alfama"))
    assert [t["id"] for t in found.data] == [ids["t1"]]  # the search indexes took the imported text
    assert report.notes  # every value kept in another form is counted
    assert "metadata that was not a JSON object kept under 'chainlit_metadata'" in report.notes


async def test_a_second_import_adds_nothing(
    chainlit: tuple[URL, ChainlitData], destination: SQLDataLayer, tmp_path: Path
) -> None:
    await run(chainlit, destination, tmp_path)
    files = stored_files(tmp_path / "elements")
    again = await run(chainlit, destination, tmp_path)
    assert counts(again) == ({}, SKIPPED)
    assert dict(again.present) == {"users": 2, "threads": 4, "steps": 9, "elements": 4, "feedbacks": 2}
    assert stored_files(tmp_path / "elements") == files  # no bytes fetched or stored twice
    assert again.files_stored == 0


async def test_a_dry_run_writes_nothing_and_tells_what_a_run_would_do(
    chainlit: tuple[URL, ChainlitData], destination: SQLDataLayer, tmp_path: Path
) -> None:
    dry = await run(chainlit, destination, tmp_path, dry_run=True)
    assert dry.dry_run and counts(dry) == (ADDED, SKIPPED)
    assert dry.files_stored == 2
    assert stored_files(tmp_path / "elements") == []
    async with destination.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: c.dialect.get_table_names(c))
    assert tables == []
    real = await run(chainlit, destination, tmp_path)
    assert counts(real) == counts(dry)


SQLITE_ONLY = pytest.mark.parametrize("backends", [("sqlite", "sqlite")], indirect=True, ids=["sqlite"])


@SQLITE_ONLY  # (the refusing trigger is SQLite's)
async def test_a_row_the_database_refuses_keeps_no_other_row_out(
    chainlit: tuple[URL, ChainlitData], tmp_path: Path
) -> None:
    layer = SQLDataLayer(
        f"sqlite+aiosqlite:///{tmp_path / 'refusing.db'}", storage=LocalElementStorage(tmp_path / "e")
    )
    await layer.migrate()
    async with layer.engine.begin() as conn:  # a rule the import does not know of
        await conn.execute(
            text(
                "CREATE TRIGGER refuse_dave BEFORE INSERT ON steps WHEN new.output = 'hello from dave' "
                "BEGIN SELECT RAISE(ABORT, 'no greetings from dave'); END"
            )
        )
    report = await run(chainlit, layer, tmp_path, batch_size=100)
    added, _ = counts(report)
    assert added == {**ADDED, "steps": ADDED["steps"] - 1}
    assert reasons(report)[chainlit[1].ids["t3_msg"]] == "the database refused it: no greetings from dave"
    assert await layer.get_thread_author(chainlit[1].ids["t3"]) == "password:dave"  # its thread is in
    await layer.close()


# -- elements in an S3 bucket --------------------------------------------------------------


@pytest.fixture
def moto_bucket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    from moto_s3 import MotoServer

    server = MotoServer(tmp_path / "moto.log")
    for name, value in [("AWS_ACCESS_KEY_ID", "testing-key"), ("AWS_SECRET_ACCESS_KEY", "testing-secret")]:
        monkeypatch.setenv(name, value)
    yield server
    server.stop()


@SQLITE_ONLY  # (the bucket is the same whatever the databases)
async def test_element_bytes_come_from_the_s3_bucket(
    chainlit: tuple[URL, ChainlitData], destination: SQLDataLayer, tmp_path: Path, moto_bucket: Any,
) -> None:  # fmt: skip
    client: Any = moto_bucket.client()
    client.create_bucket(Bucket="chainlit-files")
    for key, content in chainlit[1].files.items():
        client.put_object(Bucket="chainlit-files", Key=key, Body=content)
    blobs = S3Blobs("chainlit-files", endpoint=moto_bucket.endpoint)
    report = await run(chainlit, destination, tmp_path, blobs=blobs)
    assert counts(report) == (ADDED, SKIPPED)
    assert await destination.read_element_content(chainlit[1].ids["t1"], chainlit[1].ids["photo"]) == PHOTO
    assert reasons(report)[chainlit[1].ids["missing_file"]].startswith("bytes not fetched: no object s3://")
    down = S3Blobs("no-such-bucket", endpoint=moto_bucket.endpoint)
    layer = SQLDataLayer(
        f"sqlite+aiosqlite:///{tmp_path / 'other.db'}", storage=LocalElementStorage(tmp_path / "o")
    )
    failed = await run(chainlit, layer, tmp_path, blobs=down)
    missing = [s for s in failed.skipped if s.bytes_missing]
    # every element with bytes, each with the store's own reason: a missing bucket is not a missing file
    assert len(missing) == 4 and all("cannot read s3://no-such-bucket/" in s.reason for s in missing)
    await layer.close()


# -- the command line ------------------------------------------------------------------------


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chatwidget.data", "import-chainlit", *args],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHATWIDGET_", "BUCKET_", "APP_AWS_"))}
    env["JUPYTER_DATA_DIR"] = str(tmp_path / "jupyter-data")
    return env


@SQLITE_ONLY  # (the command line is the same whatever the databases)
async def test_the_command_line_imports_reports_and_can_be_run_again(
    chainlit: tuple[URL, ChainlitData], tmp_path: Path, cli_env: dict[str, str]
) -> None:
    source = chainlit[0].render_as_string(hide_password=False)
    source_file = Path(chainlit[0].database or "")
    before = hashlib.sha256(source_file.read_bytes()).hexdigest()
    users_map = tmp_path / "users.json"
    users_map.write_text(json.dumps(USERS_MAP))
    to = f"sqlite:///{tmp_path / 'imported.db'}"
    common = ["--to", to, "--elements-dir", str(tmp_path / "bucket"), "--users-map", str(users_map),
              "--identifier-prefix", PREFIX]  # fmt: skip

    dry = cli(source, *common, "--dry-run", env=cli_env)
    assert dry.returncode == 3, dry.stderr
    assert "dry run: nothing was written" in dry.stdout and "would add" in dry.stdout

    first = cli(source, *common, "--report", str(tmp_path / "report.json"), env=cli_env)
    assert first.returncode == 3, first.stderr  # some rows were skipped: said by the status too
    assert "threads [" in first.stderr and "5/5" in first.stderr  # the progress, on stderr
    assert "Skipped (10):" in first.stdout and "its thread was skipped" in first.stdout
    assert "could not be fetched: 2" in first.stdout
    saved = json.loads((tmp_path / "report.json").read_text())
    assert saved["added"] == ADDED and len(saved["skipped"]) == 10

    second = cli(source, *common, "--no-progress", env=cli_env)
    assert second.returncode == 3 and second.stderr == ""
    lines = {
        line.split()[0]: line.split()[1:]
        for line in second.stdout.splitlines()
        if line.startswith(("users", "threads", "steps"))
    }
    assert lines["threads"] == ["0", "4", "1"] and lines["steps"] == ["0", "9", "3"]
    # The Chainlit database was only read.
    assert hashlib.sha256(source_file.read_bytes()).hexdigest() == before
    assert not Path(f"{source_file}-wal").exists()

    layer = SQLDataLayer(to, storage=LocalElementStorage(tmp_path / "imported-elements"))
    assert await layer.get_thread_author(chainlit[1].ids["t1"]) == "github:583231"
    await layer.close()


def test_the_command_line_refuses_what_it_cannot_import(tmp_path: Path, cli_env: dict[str, str]) -> None:
    missing = cli(
        f"sqlite:///{tmp_path / 'nothing.db'}", "--to", f"sqlite:///{tmp_path / 'x.db'}", env=cli_env
    )
    assert missing.returncode == 1 and "no SQLite file" in missing.stderr
    assert not (tmp_path / "nothing.db").exists()  # not created by looking
    ours = tmp_path / "ours.db"
    import asyncio

    async def make() -> None:
        layer = SQLDataLayer(f"sqlite+aiosqlite:///{ours}")
        await layer.migrate()
        await layer.close()

    asyncio.run(make())
    wrong = cli(f"sqlite:///{ours}", "--to", f"sqlite:///{tmp_path / 'x.db'}", env=cli_env)
    assert wrong.returncode == 1 and "not a database in Chainlit's schema" in wrong.stderr
    store = cli(f"sqlite:///{ours}", env={**cli_env, "CHATWIDGET_STORE_URL": "http://127.0.0.1:1/"})
    assert store.returncode == 1 and "--to URL" in store.stderr
    usage = cli(env=cli_env)
    assert usage.returncode == 2
