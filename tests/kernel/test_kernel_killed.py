"""A real kernel SIGKILLed in the middle of a long stream keeps its last checkpoint."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.manager import AsyncKernelManager

import chatwidget as cw
from chatwidget.data import Pagination, ThreadFilter
from chatwidget.data.sql import SQLDataLayer

STREAMING_CELL = """
import asyncio
import chatwidget as cw
from chatwidget import _persistence

_persistence.CHECKPOINT_INTERVAL = 0.3
app = cw.ChatApp(title="Doomed")

@app.on_message
async def answer(message):
    reply = cw.Message("")
    for i in range(100_000):
        await reply.stream_token(f"token{i} ")
        await asyncio.sleep(0.002)

running = asyncio.ensure_future(app.send_user_message("tell me everything"))
"""


async def stored_answer(layer: SQLDataLayer) -> dict[str, Any] | None:
    threads = (await layer.list_threads(Pagination(first=5), ThreadFilter())).data
    if not threads:
        return None
    thread = await layer.get_thread(threads[0]["id"])
    assert thread is not None
    answers = [s for s in thread["steps"] if s["type"] == "assistant_message"]
    return dict(answers[0]) if answers and answers[0].get("output") else None


async def test_a_killed_kernel_leaves_the_checkpointed_text_marked_interrupted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"
    env = {**os.environ, "CHATWIDGET_DATABASE_URL": url, "CHATWIDGET_OWNER": "tester"}
    manager = AsyncKernelManager(kernel_name="python3")
    manager.kernel_spec.argv[0] = sys.executable  # this environment's Python, with chatwidget
    await manager.start_kernel(env=env)
    client = manager.client()
    client.start_channels()
    layer = SQLDataLayer(url)
    try:
        await client.wait_for_ready(timeout=60)
        reply = await client.execute_interactive(STREAMING_CELL, timeout=60)
        assert reply["content"]["status"] == "ok", reply["content"]

        seen: list[str] = []  # checkpoints as they reach the database
        for _ in range(600):
            await asyncio.sleep(0.05)
            answer = await stored_answer(layer)
            if answer and answer["output"] not in seen:
                seen.append(answer["output"])
            if len(seen) >= 2:  # two checkpoints: the stream is being checkpointed as it runs
                break
        assert len(seen) >= 2, "no checkpoint reached the database"
        assert len(seen[1]) > len(seen[0]) and seen[1].startswith(seen[0])

        pid = manager.provisioner.process.pid  # type: ignore[union-attr]
        os.kill(pid, signal.SIGKILL)
        await asyncio.sleep(0.5)
        assert not await manager.is_alive()
    finally:
        client.stop_channels()
        await manager.shutdown_kernel(now=True)

    answer = await stored_answer(layer)
    assert answer is not None
    text = answer["output"]
    assert text.startswith(seen[-1]) and text.startswith("token0 token1 ")  # nothing written was lost
    assert answer["streaming"] is True  # the kernel died before the end of the message
    with sqlite3.connect(tmp_path / "chat.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    # Resumed in a new kernel (here: this process), the message shows as interrupted.
    monkeypatch.setenv("CHATWIDGET_OWNER", "tester")
    app = cw.ChatApp(data_layer=layer)
    try:
        await app.resume(answer["threadId"])
        restored = app.messages[-1]
        assert restored.content == text and restored.metadata["interrupted"] is True
        assert not restored.streaming
        assert app.messages[0].content == "tell me everything"
    finally:
        app.close()
        await layer.close()
