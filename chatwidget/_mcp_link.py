"""One live MCP connection: a task that holds the transport and its ``ClientSession`` open.

The SDK's transports are anyio context managers whose cancel scopes must be left by the
task that entered them, so each connection gets a task of its own that enters them, says
when the session is ready (or why it failed), then waits to be closed. Leaving the
transport is what stops a stdio server: the SDK closes its stdin, waits, then ends its
process group.

A stdio server is also found by PID (its environment carries this link's id), so that it
can be watched (a server that dies is noticed within a second, and its connection ends)
and, if the kernel exits without closing the chat, ended by :func:`end_orphans` at exit.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import sys
import uuid
import weakref
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TextIO

import mcp
import psutil
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from ._mcp_policy import McpRefusedError, allowed_url, first_cause

if TYPE_CHECKING:
    from mcp.types import CallToolResult, Tool

    from .mcp import McpConnection

log = logging.getLogger("chatwidget")

#: The environment variable that tells a stdio server's process which link started it.
LINK_ENV = "CHATWIDGET_MCP_LINK"
_WATCH_SECONDS = 1.0
_PING_SECONDS = 10.0
_CLOSE_SECONDS = 10.0

_live: weakref.WeakSet[McpLink] = weakref.WeakSet()


def _server_stderr() -> TextIO:
    """Where a stdio server's stderr goes: the Jupyter server's terminal, never the page.

    In a kernel, file descriptor 2 is forwarded to the notebook (and to a dashboard's
    visitors), while ``sys.stderr.fileno()`` is ipykernel's copy of the terminal's stderr.
    """
    try:
        sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return open(os.devnull, "w")
    return sys.stderr


class McpLink:
    """A connection's session, tools and (for stdio) server process, until :meth:`close`."""

    def __init__(
        self,
        connection: McpConnection,
        executable: str | None,
        allowed_urls: list[str],
        on_lost: Callable[[McpLink], None],
    ) -> None:
        self.connection = connection
        self.id = uuid.uuid4().hex
        self.session: mcp.ClientSession | None = None
        self.tools: list[Tool] = []
        self.process: psutil.Process | None = None
        self._executable = executable
        self._allowed_urls = list(allowed_urls)
        self._on_lost = on_lost
        self._ready: asyncio.Future[None] | None = None
        self._closing = asyncio.Event()
        self._ended = asyncio.Event()
        self._calls = 0
        self._task: asyncio.Task[None] | None = None
        self.closed = False

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    # -- opening ----------------------------------------------------------------------
    async def open(self, timeout: float) -> None:
        """Connect, initialize and list the tools; raises what went wrong (nothing is left running)."""
        loop = asyncio.get_running_loop()
        self._ready = loop.create_future()
        self._task = loop.create_task(self._hold(), name=f"mcp {self.connection.name}")
        try:
            await asyncio.wait_for(asyncio.shield(self._ready), timeout)
        except BaseException:
            await self.close()
            raise
        _live.add(self)

    @contextlib.asynccontextmanager
    async def _transport(self) -> AsyncIterator[tuple[Any, Any]]:
        conn = self.connection
        if conn.client_type == "stdio":
            assert self._executable is not None
            params = mcp.StdioServerParameters(
                command=self._executable,
                args=list(conn.args),
                env={**conn.env, LINK_ENV: self.id},
                cwd=conn.cwd,
            )
            async with mcp.stdio_client(params, errlog=_server_stderr()) as (read, write):
                yield read, write
        elif conn.client_type == "sse":
            async with sse_client(
                conn.url, headers=dict(conn.headers), httpx_client_factory=self._http_client
            ) as (read, write):
                yield read, write
        else:
            async with (
                self._http_client(headers=dict(conn.headers)) as client,
                streamable_http_client(conn.url, http_client=client) as (read, write, _session_id),
            ):
                yield read, write

    def _http_client(
        self, headers: dict[str, str] | None = None, timeout: Any = None, auth: Any = None
    ) -> Any:
        """An HTTP client that refuses, request by request, any URL outside the allow-list."""
        allowed = self._allowed_urls

        async def check(request: Any) -> None:
            try:
                allowed_url(str(request.url), allowed)
            except McpRefusedError as exc:
                # The SDK only logs a failed POST and lets initialize wait: fail the opening now.
                if self._ready is not None and not self._ready.done():
                    self._ready.set_exception(exc)
                raise

        client = create_mcp_http_client(headers=headers, timeout=timeout, auth=auth)
        client.event_hooks = {"request": [check], "response": []}
        return client

    async def _hold(self) -> None:
        assert self._ready is not None
        try:
            async with self._transport() as (read, write), mcp.ClientSession(read, write) as session:
                await session.initialize()
                self.tools = list((await session.list_tools()).tools)
                self.session = session
                self.process = self._find_process()
                self._ready.set_result(None)
                await self._wait_closing()
        except BaseException as exc:
            if not self._ready.done():
                self._ready.set_exception(first_cause(exc))
            if isinstance(exc, asyncio.CancelledError):
                raise
        finally:
            self._ended.set()
            if not self.closed and self._ready.done() and self._ready.exception() is None:
                self.closed = True
                self._on_lost(self)  # the server went away on its own

    def _find_process(self) -> psutil.Process | None:
        if self.connection.client_type != "stdio":
            return None
        for child in psutil.Process().children():
            with contextlib.suppress(psutil.Error):
                if child.environ().get(LINK_ENV) == self.id:
                    return child
        return None

    async def _wait_closing(self) -> None:
        """Until closed, or until the server is gone: a stdio server's process ended, or an
        HTTP server that no longer answers a ping while a call waits for it (the SDK leaves
        such a call waiting when the response stream breaks)."""
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._closing.wait(), _WATCH_SECONDS)
                return
            if self.process is not None and not _alive(self.process):
                return
            if self._calls and self.process is None and self.session is not None:
                try:
                    await asyncio.wait_for(self.session.send_ping(), _PING_SECONDS)
                except Exception as exc:
                    log.warning("chatwidget: MCP server %r stopped answering: %r", self.connection.name, exc)
                    return

    # -- using and closing ---------------------------------------------------------------
    async def call(self, name: str, arguments: dict[str, Any], timeout: float) -> CallToolResult:
        """Call a tool; fails as soon as the connection ends, rather than at the timeout."""
        if self.session is None or self.closed or self._ended.is_set():
            raise ConnectionError(f"The MCP server {self.connection.name!r} is not connected.")
        call = asyncio.ensure_future(
            self.session.call_tool(name, arguments, read_timeout_seconds=timedelta(seconds=timeout))
        )
        ended = asyncio.ensure_future(self._ended.wait())
        self._calls += 1
        try:
            await asyncio.wait({call, ended}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._calls -= 1
            ended.cancel()
            if not call.done():
                call.cancel()  # the connection ended, or the caller was cancelled (stop)
        if call.cancelled():
            raise ConnectionError(f"The MCP server {self.connection.name!r} went away during the call.")
        return call.result()

    async def close(self) -> None:
        """End the connection and, for stdio, the server's process (waits for it)."""
        self.closed = True
        self._closing.set()
        try:
            await self._end()
        finally:
            _live.discard(self)  # only now: a close cut short by the kernel's exit leaves it to end_orphans

    async def _end(self) -> None:
        """Leave the transport (stops a stdio server), or cancel an opening; then end the process."""
        task = self._task
        opened = self._ready is not None and self._ready.done() and self._ready.exception() is None
        if task is not None and not task.done() and not opened:
            task.cancel()  # still opening: nothing to close politely (the SDK still ends the process)
            with contextlib.suppress(BaseException):
                await task
        elif task is not None and not task.done():
            try:
                await asyncio.wait_for(asyncio.shield(task), _CLOSE_SECONDS)
            except asyncio.TimeoutError:
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
            except BaseException as exc:  # the transport failed while closing: it is closed all the same
                log.debug("chatwidget: MCP server %r closed with an error: %r", self.connection.name, exc)
        if self.process is not None and _alive(self.process):
            _end_process_tree(self.process)

    def abandon(self) -> None:
        """End the server's process without waiting for the loop (the chat closes without one)."""
        self.closed = True
        _live.discard(self)
        if self.process is not None and _alive(self.process):
            _end_process_tree(self.process)


def _alive(process: psutil.Process) -> bool:
    try:
        return bool(process.is_running() and process.status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def _end_process_tree(process: psutil.Process) -> None:
    """Terminate a server and what it started; kill what is left after a second."""
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.Error:
        return
    for member in members:
        with contextlib.suppress(psutil.Error):
            member.terminate()
    _gone, left = psutil.wait_procs(members, timeout=1.0)
    for member in left:
        with contextlib.suppress(psutil.Error):
            member.kill()


@atexit.register
def end_orphans() -> None:
    """At kernel exit, end the stdio servers of chats that were never closed."""
    for link in list(_live):
        if link.process is not None and _alive(link.process):
            _end_process_tree(link.process)
