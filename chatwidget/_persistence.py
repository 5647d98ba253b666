"""Writing the conversation to the data layer as it happens, batched and off the hot path.

Changes are collected (a step changed or removed, an element, a feedback) and written by a
background task at most every ``WRITE_INTERVAL`` seconds, in one ``write_steps`` batch.
The thread is created at the first user interaction and named after the first user
message. A step that is still streaming is checkpointed every ``CHECKPOINT_INTERVAL``
seconds with the text so far, so a kernel killed mid-stream loses at most that much;
such a step is read back as interrupted.

A failed write is not dropped: the changes stay queued and are retried, the app's
``storage_error`` says what went wrong, and :meth:`ThreadWriter.flush` raises it.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import logging
import os
import time
from typing import TYPE_CHECKING, Any

from ._base import StepBase
from .data import BaseDataLayer, User
from .element import Element
from .types import Feedback

if TYPE_CHECKING:
    from .app import ChatApp

log = logging.getLogger("chatwidget")

WRITE_INTERVAL = 0.25
CHECKPOINT_INTERVAL = 2.0
MAX_RETRY_DELAY = 30.0


def owner_identifier() -> str:
    """Who owns the threads this kernel writes: the same rule as the server extension's.

    ``CHATWIDGET_OWNER`` when the server sets it for the kernel, else the JupyterHub user,
    else the local account that runs the kernel (a single-user server's owner).
    """
    return (
        os.environ.get("CHATWIDGET_OWNER")
        or os.environ.get("JUPYTERHUB_USER")
        or f"local:{getpass.getuser()}"
    )


_default_layer: BaseDataLayer | None = None


def default_data_layer() -> BaseDataLayer:
    """One SQL data layer per kernel process, configured by ``CHATWIDGET_DATABASE_URL``."""
    global _default_layer
    if _default_layer is None:
        from .data.sql import SQLDataLayer

        _default_layer = SQLDataLayer()
    return _default_layer


class ThreadWriter:
    def __init__(self, app: ChatApp, layer: BaseDataLayer, owner: str) -> None:
        self.app = app
        self.layer = layer
        self.owner = owner
        self._user_id: str | None = None
        self._thread_ready: str | None = None  # the thread id that exists in the database
        self._thread_name: str | None = None
        self._steps: dict[str, StepBase] = {}
        self._removed: set[str] = set()
        self._elements: dict[str, Element] = {}
        self._feedback: dict[str, Feedback] = {}
        self._metadata: dict[str, Any] = {}
        self._streaming: dict[str, tuple[StepBase, float]] = {}
        self._task: asyncio.Task[None] | None = None
        self._failures = 0
        self.error: BaseException | None = None

    # -- collecting (on the loop thread; cheap) -------------------------------------------------
    def thread_started(self, first_message: str) -> None:
        if self._thread_name is None:
            self._thread_name = " ".join(first_message.split())[:80] or "New chat"
        self._wake()

    def changed(self, step: StepBase) -> None:
        self._steps[step.id] = step
        self._removed.discard(step.id)
        if step.streaming:
            self._streaming.setdefault(step.id, (step, time.monotonic()))
        else:
            self._streaming.pop(step.id, None)
        self._wake()

    def removed(self, step: StepBase) -> None:
        self._steps.pop(step.id, None)
        self._streaming.pop(step.id, None)
        self._removed.add(step.id)
        self._wake()

    def element(self, element: Element) -> None:
        self._elements[element.id] = element
        self._wake()

    def feedback(self, feedback: Feedback) -> None:
        self._feedback[feedback.for_id] = feedback
        self._wake()

    def remember(self, metadata: dict[str, Any]) -> None:
        """Keep these values in the thread's metadata (chat settings, profile) for a resume."""
        self._metadata.update(metadata)
        self._wake()

    def new_thread(self, thread_id: str | None = None) -> None:
        """Forget the current thread: the next user interaction creates ``thread_id`` (or a new one)."""
        self._thread_ready = thread_id
        self._thread_name = None if thread_id is None else self._thread_name
        self._steps.clear()
        self._removed.clear()
        self._elements.clear()
        self._feedback.clear()
        self._metadata.clear()
        self._streaming.clear()

    @property
    def pending(self) -> bool:
        return bool(
            self._steps
            or self._removed
            or self._elements
            or self._feedback
            or self._metadata
            or self._streaming
        )

    def _wake(self) -> None:
        if self._task is None or self._task.done():
            with contextlib.suppress(RuntimeError):  # no running loop: flush() will write
                self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        delay = WRITE_INTERVAL
        # Before the first user message there is no thread to write to: wait for thread_started().
        while self.pending and (self._thread_name is not None or self._thread_ready == self.app.thread_id):
            await asyncio.sleep(delay)
            try:
                await self._write()
            except Exception as exc:  # kept and retried; reported on the app and by flush()
                self._failed(exc)
                delay = min(MAX_RETRY_DELAY, WRITE_INTERVAL * 2**self._failures)
            else:
                self._succeeded()
                delay = WRITE_INTERVAL
            if self._streaming and not (
                self._steps or self._removed or self._elements or self._feedback or self._metadata
            ):
                delay = max(delay, CHECKPOINT_INTERVAL / 4)

    async def flush(self) -> None:
        """Write everything now; raises what the data layer raised."""
        try:
            await self._write(checkpoint_all=True)
        except Exception as exc:
            self._failed(exc)
            raise
        self._succeeded()

    def _failed(self, exc: BaseException) -> None:
        if self.error is None:
            log.error("chatwidget: could not save the conversation (will retry)", exc_info=exc)
        self._failures += 1
        self.error = exc
        self.app.storage_error = f"The conversation could not be saved: {exc}"

    def _succeeded(self) -> None:
        if self.error is not None:
            self.app.storage_error = ""
        self.error, self._failures = None, 0

    # -- writing -------------------------------------------------------------------------
    async def _ensure_thread(self) -> bool:
        thread_id = self.app.thread_id
        if self._thread_ready == thread_id:
            return True
        if self._thread_name is None:  # no user interaction yet: nothing to keep
            return False
        if self._user_id is None:
            user = await self.layer.get_user(self.owner) or await self.layer.create_user(User(self.owner))
            self._user_id = user.id
        await self.layer.update_thread(thread_id, name=self._thread_name, user_id=self._user_id)
        self._thread_ready = thread_id
        return True

    async def _write(self, checkpoint_all: bool = False) -> None:
        if not await self._ensure_thread():
            return
        now = time.monotonic()
        due = [
            step
            for step, last in self._streaming.values()
            if checkpoint_all or now - last >= CHECKPOINT_INTERVAL
        ]
        steps, self._steps = self._steps, {}
        for step in due:
            steps.setdefault(step.id, step)
            self._streaming[step.id] = (step, now)
        removed, self._removed = self._removed, set()
        elements, self._elements = self._elements, {}
        feedback, self._feedback = self._feedback, {}
        metadata, self._metadata = self._metadata, {}
        try:
            if metadata:
                await self.layer.update_thread(self.app.thread_id, metadata=metadata)
            await self.layer.write_steps([self._stored(step) for step in steps.values()])
            for step_id in removed:
                await self.layer.delete_step(step_id)
            for element in elements.values():
                stored = {**element.to_dict(), "threadId": self.app.thread_id}
                await self.layer.create_element(stored, element.data())  # type: ignore[arg-type]
            for given in feedback.values():
                await self._write_feedback(given)
        except BaseException:
            # Put back what was not confirmed; newer changes made meanwhile win.
            self._steps = {**steps, **self._steps}
            self._removed |= removed - set(self._steps)
            self._elements = {**elements, **self._elements}
            self._feedback = {**feedback, **self._feedback}
            self._metadata = {**metadata, **self._metadata}
            raise

    def _stored(self, step: StepBase) -> Any:
        return {**step.to_dict(), "threadId": self.app.thread_id}

    async def _write_feedback(self, given: Feedback) -> None:
        feedback_id = f"feedback-{given.for_id}"
        if given.value is None:
            await self.layer.delete_feedback(feedback_id)
        else:
            await self.layer.upsert_feedback(
                {
                    "id": feedback_id,
                    "forId": given.for_id,
                    "threadId": self.app.thread_id,
                    "value": given.value,
                    "comment": given.comment,
                }
            )
