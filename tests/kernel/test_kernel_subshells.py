"""A real kernel with a subshell, as JupyterLab 4.6 uses one for comm messages."""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager

from chatwidget._protocol import PROTOCOL_VERSION

DISPLAY_CELL = """
import chatwidget as cw
app = cw.ChatApp(persist=False)
app.display()
print(app.widget.comm.comm_id)
"""

# Updates the chat from the main shell (ipykernel then re-routes the comm there), then awaits.
AWAITING_CELL = """
import asyncio
app.title = "busy"
await asyncio.sleep(1.5)
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


async def create_subshell(client: AsyncKernelClient) -> str:
    request = client.session.msg("create_subshell_request", {})
    client.control_channel.send(request)
    while True:
        reply = await client.control_channel.get_msg(timeout=30)
        if reply["parent_header"].get("msg_id") == request["header"]["msg_id"]:
            return str(reply["content"]["subshell_id"])


async def iopub_until(client: AsyncKernelClient, done: Any, timeout: float = 30) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while not done(seen):
        left = deadline - time.monotonic()
        assert left > 0, f"timed out; iopub so far: {[m['msg_type'] for m in seen]}"
        seen.append(await client.iopub_channel.get_msg(timeout=left))
    return seen


def status_of(messages: list[dict[str, Any]], parent_id: str) -> list[str]:
    return [
        m["content"]["execution_state"]
        for m in messages
        if m["msg_type"] == "status" and m["parent_header"].get("msg_id") == parent_id
    ]


async def test_page_messages_sent_to_a_subshell_while_a_cell_awaits_stay_there(kernel) -> None:
    """Run All queues every cell at once; a message from the page while one awaits must not be
    handled beside it on the main shell, where ipykernel 7 gives the next cell the wrong parent
    and the page shows that cell running for ever."""
    subshell = await create_subshell(kernel)
    printed: list[str] = []
    reply = await kernel.execute_interactive(
        DISPLAY_CELL,
        timeout=60,
        output_hook=lambda m: printed.append(m["content"]["text"]) if m["msg_type"] == "stream" else None,
    )
    assert reply["content"]["status"] == "ok", reply["content"]
    comm_id = "".join(printed).split()[-1]

    awaiting = kernel.execute(AWAITING_CELL)
    after = kernel.execute("1 + 1")
    await iopub_until(kernel, lambda seen: any(m["msg_type"] == "comm_msg" for m in seen))
    request = {"id": "h1", "kind": "hello", "protocol": PROTOCOL_VERSION}
    data = {"method": "custom", "content": request}
    hello = kernel.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
    hello["header"]["subshell_id"] = subshell
    kernel.shell_channel.send(hello)
    hello_id = hello["header"]["msg_id"]

    seen = await iopub_until(kernel, lambda seen: status_of(seen, after)[-1:] == ["idle"])

    answered = [
        m
        for m in seen
        if m["msg_type"] == "comm_msg" and m["content"]["data"].get("content", {}).get("id") == "h1"
    ]
    assert answered, "the page's hello got no answer"
    assert status_of(seen, hello_id) == ["busy", "idle"], "the hello was not handled on its subshell"
    assert seen.index(answered[0]) < [m["parent_header"].get("msg_id") for m in seen].index(after)
    assert status_of(seen, awaiting)[-1] == "idle"  # each cell ends under its own id
    assert status_of(seen, after) == ["busy", "idle"]
