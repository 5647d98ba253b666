"""Running handlers: as asyncio tasks on the kernel's loop, sync ones in a worker thread.

Handlers never run in a cell body: the kernel does not process comm messages while a
cell executes, so a handler that awaits the user must run after the cell has finished.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from ._context import ChatContext, current_chat
from ._sync import remember_loop

if TYPE_CHECKING:
    from .app import ChatApp

log = logging.getLogger("chatwidget")

Handler = Callable[..., Any]

_workers = ThreadPoolExecutor(max_workers=8, thread_name_prefix="chatwidget-handler")


class HandlerRunner:
    """Starts, tracks, stops and reports the handlers of one app."""

    def __init__(self, app: ChatApp) -> None:
        self._app = app
        self._tasks: dict[asyncio.Task[Any], ChatContext] = {}

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    def start(
        self, name: str, handler: Handler, *args: Any, answers: list[Any] | None = None
    ) -> asyncio.Task[Any]:
        """Run ``handler(*args)`` as a task; it counts as the chat's running work until it ends."""
        chat = ChatContext(self._app, answers)
        task = asyncio.get_running_loop().create_task(self.invoke(name, handler, *args, chat=chat))
        self._tasks[task] = chat
        self._app.running = True
        task.add_done_callback(self._finished)
        return task

    async def invoke(self, name: str, handler: Handler, *args: Any, chat: ChatContext | None = None) -> None:
        """Await one handler in the chat's context; an exception becomes an error message."""
        current_chat.set(chat or ChatContext(self._app))
        remember_loop()
        try:
            result: Any
            if inspect.iscoroutinefunction(handler):
                result = await handler(*args)
            else:
                context = contextvars.copy_context()
                result = await asyncio.get_running_loop().run_in_executor(
                    _workers, lambda: context.run(handler, *args)
                )
            if inspect.isawaitable(result):
                await result
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error(
                "chatwidget: the %s handler %r raised",
                name,
                getattr(handler, "__name__", handler),
                exc_info=True,
            )
            await self._app._report_error(exc)
        finally:
            self._app._finish_streams()

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.pop(task, None)
        self._app._flush()
        self._app._static.refresh()
        if not self._tasks:
            self._app.running = False

    def stop(self) -> bool:
        """Cancel the running handlers. Threads cannot be interrupted: their next API call fails."""
        if not self._tasks:
            return False
        for task, chat in list(self._tasks.items()):
            chat.stopped = True
            task.cancel()
        return True

    async def wait(self) -> None:
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
