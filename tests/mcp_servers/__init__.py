"""Real MCP servers for the tests, written with the SDK's own FastMCP (see tools_server.py)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

TOOLS_SERVER = Path(__file__).resolve().parent / "tools_server.py"
#: The stdio server's argument list: this interpreter, running tools_server.py.
STDIO_ARGS = [str(TOOLS_SERVER), "stdio"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class HttpServer:
    """tools_server.py serving one HTTP transport on a free loopback port."""

    proc: subprocess.Popen[bytes]
    port: int
    transport: str

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.origin}/mcp" if self.transport == "streamable-http" else f"{self.origin}/sse"

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(10)


@contextlib.contextmanager
def http_server(transport: str = "streamable-http", timeout: float = 30) -> Iterator[HttpServer]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(TOOLS_SERVER), transport, str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the {transport} MCP server exited with {proc.returncode}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"the {transport} MCP server did not listen within {timeout}s")
            time.sleep(0.1)
        yield HttpServer(proc, port, transport)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def running(pid: int) -> bool:
    """Whether a process of that id exists (and is not a zombie waiting to be reaped)."""
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False
