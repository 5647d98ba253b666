"""MCP in a headless chat: time to connect a stdio server, one tool call as a step, disconnect.

The server is tests/mcp_servers/tools_server.py (the SDK's FastMCP) started by this Python.
Each run connects a fresh server, makes ``--calls`` calls of ``echo`` through
``app.mcp_servers.call_tool`` (each one a ``tool`` step), and disconnects (the process is
waited for). Prints min / median / max over ``--runs`` runs, and the load average.

    .venv/bin/python benchmarks/mcp_calls.py [--runs 3] [--calls 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from mcp_servers import STDIO_ARGS  # noqa: E402

import chatwidget as cw  # noqa: E402


async def one_run(calls: int) -> tuple[float, float, float]:
    app = cw.ChatApp(
        headless=True,
        mcp=cw.McpFeature(enabled=True, stdio=True, allowed_executables=[sys.executable]),
    )
    try:
        started = time.perf_counter()
        await app.connect_mcp(cw.McpStdioConnection(name="tools", command=sys.executable, args=STDIO_ARGS))
        connected = time.perf_counter()
        with app:  # the steps go to this chat outside a handler
            for i in range(calls):
                await app.mcp_servers.call_tool("echo", {"text": f"call {i}"})
        called = time.perf_counter()
        await app.disconnect_mcp("tools")
        ended = time.perf_counter()
        assert sum(1 for s in app.steps if s.type == "tool") == calls
        return connected - started, (called - connected) / calls, ended - called
    finally:
        app.close()


def summary(name: str, unit: str, values: list[float]) -> str:
    low, middle, high = min(values), statistics.median(values), max(values)
    return f"{name:<28} min {low:8.2f}  median {middle:8.2f}  max {high:8.2f} {unit}"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--calls", type=int, default=50)
    args = parser.parse_args()
    results = [await one_run(args.calls) for _ in range(args.runs)]
    print(f"{args.runs} runs, {args.calls} calls each; load average {os.getloadavg()}")
    print(summary("connect (spawn + initialize)", "s", [r[0] for r in results]))
    print(summary("tool call as a step", "ms", [r[1] * 1000 for r in results]))
    print(summary("disconnect (process ended)", "s", [r[2] for r in results]))


if __name__ == "__main__":
    asyncio.run(main())
