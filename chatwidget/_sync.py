"""The synchronous twin of the API, for handlers that run in a worker thread.

The conversation is only ever changed on the event loop's thread. A synchronous handler
runs in a worker thread with a copy of the handler's context, which carries the loop; its
calls are handed over to the loop and waited for.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from ._context import current_chat

T = TypeVar("T")

#: The loop a handler was started on, and that loop's thread.
handler_loop: contextvars.ContextVar[tuple[asyncio.AbstractEventLoop, int] | None] = contextvars.ContextVar(
    "chatwidget_loop", default=None
)


def remember_loop() -> None:
    """Called on the loop thread when a handler starts, before any worker thread is used."""
    handler_loop.set((asyncio.get_running_loop(), threading.get_ident()))


def _loop_elsewhere() -> asyncio.AbstractEventLoop | None:
    """The handler's loop if it runs in another thread than this one, else None."""
    entry = handler_loop.get()
    if entry is None or entry[1] == threading.get_ident() or entry[0].is_closed():
        return None
    return entry[0]


def on_loop(fn: Callable[[], T]) -> T:
    """Call ``fn`` on the handler's loop thread and wait for its result.

    A worker thread cannot be interrupted, so a stopped handler is stopped here, at its
    next call to the API.
    """
    loop = _loop_elsewhere()
    if loop is None:
        return fn()
    chat = current_chat.get()
    if chat is not None and chat.stopped:
        raise asyncio.CancelledError("the user stopped this answer")
    future: concurrent.futures.Future[T] = concurrent.futures.Future()

    def call() -> None:
        try:
            future.set_result(fn())
        except BaseException as exc:  # handed back to the calling thread
            future.set_exception(exc)

    loop.call_soon_threadsafe(call)
    return future.result()


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine of the API from synchronous code (a sync handler) and return its result.

    ``cw.run_sync(cw.Message("hi").send())``. In the event loop's own thread (a notebook
    cell, an async handler) there is nothing to wait on without blocking: await instead.
    """
    loop = _loop_elsewhere()
    if loop is None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(coro)
        coro.close()
        raise RuntimeError("run_sync() would block the event loop here: use `await` instead.")
    return asyncio.run_coroutine_threadsafe(coro, loop).result()


def make_async(fn: Callable[..., T]) -> Callable[..., Coroutine[Any, Any, T]]:
    """``await cw.make_async(blocking_fn)(*args)``: run a blocking function in a worker thread.

    The worker gets a copy of the caller's context, so the chat API (and ``run_sync``)
    works inside it as in a synchronous handler; the event loop keeps serving the chat.
    """

    @functools.wraps(fn)
    async def run(*args: Any, **kwargs: Any) -> T:
        remember_loop()
        context = contextvars.copy_context()
        call = functools.partial(context.run, fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(_workers, call)

    return run


def sleep(seconds: float) -> Coroutine[Any, Any, None]:
    """``await cw.sleep(1)``: pause a handler without blocking the chat."""
    return asyncio.sleep(seconds)


_workers = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="chatwidget-make-async")
