"""A writer process for ``test_sql_crash.py``: writes through the data layer until killed.

Usage: ``python crash_writer.py DB_PATH WRITER_ID``. After each committed batch it prints
the ids of the steps it wrote, one line, and flushes: a line on stdout is an acknowledged
write. Any exception is printed to stderr and the process exits with status 1.
"""

from __future__ import annotations

import asyncio
import sys
import traceback

from chatwidget.data.sql import SQLDataLayer


async def main(path: str, writer: str) -> None:
    layer = SQLDataLayer(f"sqlite+aiosqlite:///{path}")
    thread = f"thread-{writer}"
    await layer.update_thread(thread, name=f"writer {writer}", create=True)
    print(f"thread {thread}", flush=True)
    batch = 0
    while True:
        ids = [f"{writer}-{batch}-{k}" for k in range(4)]
        text = "some words of an answer " * 10
        steps = [{"id": i, "threadId": thread, "type": "assistant_message", "output": text} for i in ids]
        steps.append({"id": f"{writer}-{batch}-shared", "threadId": "shared", "type": "user_message"})
        await layer.write_steps(steps)  # type: ignore[arg-type]
        print("steps " + " ".join([*ids, f"{writer}-{batch}-shared"]), flush=True)
        if batch % 5 == 0:  # read-modify-write transactions on a row every writer touches
            await layer.update_thread("shared", metadata={f"w{writer}": batch})
            print(f"meta {writer} {batch}", flush=True)
        batch += 1


if __name__ == "__main__":
    try:
        asyncio.run(main(sys.argv[1], sys.argv[2]))
    except BaseException:
        traceback.print_exc()
        sys.exit(1)
