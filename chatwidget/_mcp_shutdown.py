"""The kernel's end disconnects MCP servers as a chat's end does: ``on_mcp_disconnect`` runs
while the session still answers, the session closes, then the server's process ends.

A ``shutdown_request`` (JupyterLab's shut down or restart) reaches ipykernel on its control
thread, which calls the kernel's ``do_shutdown`` (the method kernels override for this)
and then stops the main loop. ``do_shutdown`` is wrapped here so that the servers are
closed first, on the loop they were connected on, while that loop and the handlers' worker
threads still run. At interpreter exit without one (``exit()`` in a cell, a script), the
same is done at atexit if that loop is still open; only async handlers can run then (the
worker threads are gone). Either way it waits at most :data:`SHUTDOWN_SECONDS`, and what
is still running afterwards is ended by :func:`chatwidget._mcp_link.end_orphans`.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import inspect
import logging
import sys
import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .mcp import McpServers

log = logging.getLogger("chatwidget")

#: How long the kernel's end waits for the on_mcp_disconnect handlers and the sessions' close.
SHUTDOWN_SECONDS = 2.0
#: A little more for the loop that runs them to answer, when waited for from another thread.
_ANSWER_SECONDS = 0.5

_watched: weakref.WeakKeyDictionary[McpServers, asyncio.AbstractEventLoop] = weakref.WeakKeyDictionary()
_hooked = False
_tried = False


def watch(servers: McpServers) -> None:
    """Disconnect ``servers`` at the kernel's end, on the loop this is called on."""
    global _hooked
    _watched[servers] = asyncio.get_running_loop()
    if not _hooked:
        _hooked = True
        _wrap_do_shutdown()
        atexit.register(disconnect_at_exit)


def _first_try() -> bool:
    """The kernel's end disconnects once (a shutdown_request's try, or else atexit's): a second
    try would take the kernel past the bound, and past the time its manager waits before a kill."""
    global _tried
    tried, _tried = _tried, True
    return not tried


def _loops_with_servers() -> set[asyncio.AbstractEventLoop]:
    return {loop for servers, loop in list(_watched.items()) if len(servers)}


async def _disconnect_on(loop: asyncio.AbstractEventLoop) -> None:
    """On ``loop``: disconnect every watched server at once, SHUTDOWN_SECONDS at most."""
    closing = [
        asyncio.ensure_future(servers.disconnect(name))
        for servers, home in list(_watched.items())
        if home is loop
        for name in servers.names
    ]
    if not closing:
        return
    done, _late = await asyncio.wait(closing, timeout=SHUTDOWN_SECONDS)
    for task in done:  # a failure is logged, not raised: the kernel is ending all the same
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.warning("chatwidget: an MCP server did not close cleanly at the kernel's end: %r", exc)


async def disconnect_everywhere() -> None:
    """From any loop: disconnect the servers of every loop still running, within the bound.

    A loop busy with a cell that blocks never answers: this gives up after the bound."""
    if not _first_try():
        return
    futures = [
        asyncio.wrap_future(asyncio.run_coroutine_threadsafe(_disconnect_on(loop), loop))
        for loop in _loops_with_servers()
        if loop.is_running()
    ]
    if futures:
        await asyncio.wait(futures, timeout=SHUTDOWN_SECONDS + _ANSWER_SECONDS)


def _kernel() -> Any:
    """ipykernel's kernel object, when this runs in one."""
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    return getattr(get_ipython() if get_ipython is not None else None, "kernel", None)


def _wrap_do_shutdown() -> None:
    kernel = _kernel()
    original = getattr(kernel, "do_shutdown", None)
    if original is None:
        return

    async def do_shutdown(restart: bool) -> Any:
        # Before the original: it stops the main loop, where the servers' sessions live.
        try:
            await disconnect_everywhere()
        except Exception:
            log.warning("chatwidget: could not disconnect the MCP servers at shutdown", exc_info=True)
        reply = original(restart)
        return await reply if inspect.isawaitable(reply) else reply

    kernel.do_shutdown = do_shutdown


def disconnect_at_exit() -> None:
    """At interpreter exit: disconnect what is still connected where its loop can still run,
    then end the stdio servers that are left."""
    if _first_try():
        for loop in _loops_with_servers():
            with contextlib.suppress(Exception):  # whatever happens, the processes end below
                _disconnect_at_exit_on(loop)
    from ._mcp_link import end_orphans

    end_orphans()


def _disconnect_at_exit_on(loop: asyncio.AbstractEventLoop) -> None:
    if loop.is_running():  # in another thread: it still answers
        future = asyncio.run_coroutine_threadsafe(_disconnect_on(loop), loop)
        future.result(SHUTDOWN_SECONDS + _ANSWER_SECONDS)
    elif not loop.is_closed():  # stopped, as the kernel's main loop after exit(): run it once more
        loop.run_until_complete(_disconnect_on(loop))
