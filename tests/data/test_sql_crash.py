"""Crash test: writer processes on one SQLite file, killed with SIGKILL at random.

Afterwards the database passes ``PRAGMA integrity_check`` (and the full-text indexes their
own check), every write a writer acknowledged (printed after its commit) is there exactly
once, and no writer ever saw "database is locked": busy writers wait.
"""

from __future__ import annotations

import asyncio
import json
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from chatwidget.data.sql import SQLDataLayer

WRITERS = 4
DURATION_S = 12.0
WRITER = Path(__file__).with_name("crash_writer.py")


class Writer:
    def __init__(self, db: Path, writer_id: str) -> None:
        self.id = writer_id
        self.process = subprocess.Popen(
            [sys.executable, str(WRITER), str(db), writer_id],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.acked: list[str] = []
        self.stderr = ""
        self._threads = [threading.Thread(target=f) for f in (self._read_stdout, self._read_stderr)]
        for t in self._threads:
            t.start()

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.endswith("\n"):  # a line cut by the kill was not acknowledged
                self.acked.append(line.rstrip("\n"))

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        self.stderr = self.process.stderr.read()

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)

    def join(self) -> int:
        code = self.process.wait(timeout=10)
        for t in self._threads:
            t.join(timeout=10)
        return code


def test_sigkilled_writers_lose_no_acknowledged_write(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"

    async def prepare() -> None:
        layer = SQLDataLayer(f"sqlite+aiosqlite:///{db}")
        await layer.update_thread("shared", name="shared by every writer", create=True)
        await layer.close()

    asyncio.run(prepare())
    rng = random.Random(1234)
    serial = 0
    running: list[Writer] = []
    finished: list[Writer] = []

    def start() -> None:
        nonlocal serial
        running.append(Writer(db, f"w{serial}"))
        serial += 1

    for _ in range(WRITERS):
        start()
    started = time.monotonic()
    kills = 0
    # Run DURATION_S, longer (up to 25 s) on a slow machine until a few writers died mid-flow.
    while (elapsed := time.monotonic() - started) < DURATION_S or (kills < 3 and elapsed < 25):
        time.sleep(rng.uniform(0.05, 0.5))
        writing = [w for w in running if len(w.acked) > 1]  # kill writers in full flow (start-up is slow)
        if not writing:
            continue
        victim = writing[rng.randrange(len(writing))]
        running.remove(victim)
        victim.kill()
        kills += 1
        finished.append(victim)
        start()
    for writer in running:
        writer.kill()
    finished.extend(running)

    for writer in finished:
        code = writer.join()
        assert code == -signal.SIGKILL, f"writer {writer.id} exited with {code}:\n{writer.stderr}"
        assert "locked" not in writer.stderr and "Traceback" not in writer.stderr, writer.stderr

    acks = [line.split() for w in finished for line in w.acked]
    acked_steps = [i for ack in acks if ack[0] == "steps" for i in ack[1:]]
    acked_threads = [ack[1] for ack in acks if ack[0] == "thread"]
    acked_meta = {(ack[1], int(ack[2])) for ack in acks if ack[0] == "meta"}
    assert kills >= 3 and len(acked_steps) > 50, "the writers hardly wrote anything: the test proves little"

    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        conn.execute("INSERT INTO steps_fts(steps_fts) VALUES ('integrity-check')")
        conn.execute("INSERT INTO threads_fts(threads_fts) VALUES ('integrity-check')")
        stored = [row[0] for row in conn.execute("SELECT id FROM steps")]
        threads = {row[0] for row in conn.execute("SELECT id FROM threads")}
        (shared_meta,) = conn.execute("SELECT metadata FROM threads WHERE id = 'shared'").fetchone()
    finally:
        conn.close()
    assert len(stored) == len(set(stored)), "duplicate steps"
    missing = set(acked_steps) - set(stored)
    assert not missing, f"{len(missing)} acknowledged steps are missing, e.g. {sorted(missing)[:5]}"
    assert set(acked_threads) <= threads
    # Every acknowledged metadata write is there, or a later one of the same writer replaced it.
    meta = json.loads(shared_meta) if shared_meta else {}
    for writer_id, batch in acked_meta:
        assert meta.get(f"w{writer_id}", -1) >= batch
    print(f"{len(finished)} writers, {kills} killed mid-run, {len(acked_steps)} acknowledged steps there")
