"""Running handlers: as asyncio tasks on the kernel's loop, sync ones in a worker thread.

Handlers never run in a cell body: the kernel does not process comm messages while a
cell executes, so a handler that awaits the user must run after the cell has finished.
A handler is called with as many of its arguments as it accepts, as the reference does:
``on_message`` may take the message or nothing, an action callback the action or nothing.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import logging
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from ._context import ChatContext, current_chat
from ._sync import remember_loop

if TYPE_CHECKING:
    from .chat import ChatSession

log = logging.getLogger("chatwidget")

Handler = Callable[..., Any]


class _Workers:
    """The worker threads of sync handlers, shared by the open chats; shut down with the last."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._users = 0

    def acquire(self) -> None:
        with self._lock:
            self._users += 1

    def release(self) -> None:
        with self._lock:
            self._users = max(0, self._users - 1)
            pool, idle = self._pool, self._users == 0
            if idle:
                self._pool = None
        if idle and pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="chatwidget-handler")
            return self._pool


workers = _Workers()


@functools.lru_cache(maxsize=512)
def _accepted(handler: Handler) -> int | None:
    """How many positional arguments ``handler`` takes (``None``: any number)."""
    try:
        parameters = inspect.signature(handler).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: give it everything
        return None
    count = 0
    for p in parameters:
        if p.kind is p.VAR_POSITIONAL:
            return None
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            count += 1
    return count


def call_with_accepted(handler: Handler, *args: Any) -> Any:
    """``handler(*args)``, leaving out the trailing arguments it does not take."""
    try:
        count = _accepted(handler)
    except TypeError:  # unhashable callable: no cache
        count = _accepted.__wrapped__(handler)
    return handler(*(args if count is None else args[:count]))


class HandlerRunner:
    """Starts, tracks, stops and reports the handlers of one chat."""

    def __init__(self, chat: ChatSession) -> None:
        self._chat = chat
        self._tasks: dict[asyncio.Task[Any], ChatContext] = {}

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    def start(
        self,
        name: str,
        handler: Handler,
        *args: Any,
        answers: list[Any] | None = None,
        cell: contextvars.Context | None = None,
        before: Callable[[], Awaitable[None]] | None = None,
    ) -> asyncio.Task[Any]:
        """Run ``handler(*args)`` as a task; it counts as the chat's running work until it ends.

        ``cell``: run it in (a copy of) that cell's context, so that its ``print()`` and
        logging land under that cell; by default they go where the caller's would.
        ``before``: awaited first, in the same task (``on_chat_start`` before a first answer).
        """
        context = ChatContext(self._chat, answers)
        coro = self.invoke(name, handler, *args, context=context, before=before)
        loop = asyncio.get_running_loop()
        task = cell.copy().run(loop.create_task, coro) if cell is not None else loop.create_task(coro)
        self._tasks[task] = context
        self._chat.running = True
        task.add_done_callback(self._finished)
        return task

    async def invoke(
        self,
        name: str,
        handler: Handler,
        *args: Any,
        context: ChatContext | None = None,
        finish_streams: bool = True,
        before: Callable[[], Awaitable[None]] | None = None,
    ) -> Any:
        """Await one handler in the chat's context; an exception becomes an error message.

        ``finish_streams=False`` for a handler that runs beside the answer (an audio chunk's,
        ten times a second): the answer's streams are its own to end. ``before`` is awaited
        first.
        """
        if before is not None:
            await before()
        current_chat.set(context or ChatContext(self._chat))
        remember_loop()
        try:
            result: Any
            if inspect.iscoroutinefunction(handler):
                result = await call_with_accepted(handler, *args)
            else:
                copied = contextvars.copy_context()
                result = await asyncio.get_running_loop().run_in_executor(
                    workers.pool(), lambda: copied.run(call_with_accepted, handler, *args)
                )
            if inspect.isawaitable(result):
                result = await result
            return result
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error(
                "chatwidget: the %s handler %r raised",
                name,
                getattr(handler, "__name__", handler),
                exc_info=True,
            )
            self._chat.report_error(name, exc)
            return None
        finally:
            if finish_streams:
                self._chat.conversation.finish_streams()

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.pop(task, None)
        self._chat.conversation.flush()
        if not self._tasks:
            self._chat.running = False
            self._chat.conversation.idle()

    def stop(self) -> bool:
        """Cancel the running handlers. Threads cannot be interrupted: their next API call fails."""
        if not self._tasks:
            return False
        for task, context in list(self._tasks.items()):
            context.stopped = True
            task.cancel()
        return True

    async def wait(self) -> None:
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
