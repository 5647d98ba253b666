"""A real kernel: each cell ends under its own id, even when ipykernel's restore after a comm
handled beside an awaiting cell comes late (see ``chatwidget/_kernel_parent.py``)."""

from __future__ import annotations

import contextlib
import queue
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager

DISPLAY_CELL = """
import chatwidget as cw
app = cw.ChatApp(persist=False)
app.display()
kernel = get_ipython().kernel
"""

EARLIER_CELL = """
earlier = (kernel._get_shell_context_var(kernel._shell_parent_ident), kernel.get_parent("shell"))
"""

# What ipykernel 7's Kernel.shell_main does once a comm it handled beside an awaiting cell is
# done: it puts back the header it saw when the comm arrived. Here that header is the earlier
# cell's, as when that cell ended, and this one began, while the comm was being handled.
LATE_RESTORE_CELL = """
def shell_main():
    kernel.set_parent(*earlier, channel="shell")

shell_main()
print(kernel.get_parent("shell")["header"]["msg_id"])
"""


@pytest.fixture
async def kernel() -> AsyncIterator[AsyncKernelClient]:
    manager = AsyncKernelManager(kernel_name="python3")
    manager.kernel_spec.argv[0] = sys.executable  # this environment's Python, with chatwidget
    await manager.start_kernel()
    client = manager.client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=60)
        yield client
    finally:
        client.stop_channels()
        await manager.shutdown_kernel(now=True)


async def run(client: AsyncKernelClient, code: str) -> tuple[str, str, list[dict[str, Any]]]:
    """Run ``code``; its request id, printed text, and every IOPub message until the 'idle'
    under that id (or 10 s)."""
    msg_id = client.execute(code)
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and msg_id not in ended_under(seen):
        with contextlib.suppress(queue.Empty):  # nothing yet
            seen.append(await client.iopub_channel.get_msg(timeout=0.5))
    printed = "".join(m["content"]["text"] for m in seen if m["msg_type"] == "stream")
    return msg_id, printed, seen


def ended_under(seen: list[dict[str, Any]]) -> list[str]:
    return [
        m["parent_header"].get("msg_id", "")
        for m in seen
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle"
    ]


async def test_a_late_restore_leaves_the_running_cell_its_own_id(kernel: AsyncKernelClient) -> None:
    for code in (DISPLAY_CELL, EARLIER_CELL):
        _, _, seen = await run(kernel, code)
        assert not [m for m in seen if m["msg_type"] == "error"], seen
    msg_id, printed, seen = await run(kernel, LATE_RESTORE_CELL)
    assert not [m for m in seen if m["msg_type"] == "error"], seen
    assert printed.strip() == msg_id  # the header current after the restore is this cell's
    assert msg_id in ended_under(seen), "the cell's 'idle' went out under another cell's id"
