"""Writing the conversation to the data layer as it happens, batched and off the hot path.

Changes are collected (a step changed or removed, an element, a feedback) and written by a
background task at most every ``WRITE_INTERVAL`` seconds, in one ``write_steps`` batch.
The thread is created at the first user interaction and named after the first user
message. A step that is still streaming is checkpointed every ``CHECKPOINT_INTERVAL``
seconds with the text so far, so a kernel killed mid-stream loses at most that much;
such a step is read back as interrupted.

Changes are queued under the id of the thread they belong to, fixed when they are queued,
so a new chat or a resume never moves them to another thread; leaving a thread writes what
it queued first.

A failed write is not dropped: the changes stay queued and are retried, the chat's
``storage_error`` says what went wrong, and :meth:`ThreadWriter.save` raises it. A thread
deleted meanwhile (from the server's API, another view) is neither recreated nor retried:
its queued changes are dropped and ``storage_error`` says so, once. Text is made storable
before it is written (:mod:`._storable`): a lone surrogate or a NUL becomes U+FFFD instead
of failing the write. A batch the database refuses for what it holds (see
:mod:`._write_errors`) is written again record by record: only the records it refuses are
dropped, logged and reported in ``storage_error``, so one of them never holds back the
records queued after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._base import StepBase
from ._storable import storable
from ._write_errors import refused_for_its_data
from .conversation import ConversationListener

if TYPE_CHECKING:
    from .chat import ChatSession
    from .data import BaseDataLayer
    from .element import Element
    from .types import Feedback

log = logging.getLogger("chatwidget")

WRITE_INTERVAL = 0.25
CHECKPOINT_INTERVAL = 2.0
MAX_RETRY_DELAY = 30.0


THREAD_DELETED = "This conversation was deleted elsewhere; it is no longer saved."
DROPPED = "the database refused {what}, which is left out ({reason})"


class _ThreadGoneError(Exception):
    """The thread to write to does not exist any more (or is not this owner's)."""


@dataclass(eq=False)
class _Queue:
    """Changes waiting to be written to one thread, whatever thread is current meanwhile."""

    thread_id: str
    name: str | None = None  # given at the first user interaction: the thread may be created then
    steps: dict[str, StepBase] = field(default_factory=dict)
    removed: set[str] = field(default_factory=set)
    elements: dict[str, Element] = field(default_factory=dict)
    feedback: dict[str, Feedback] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    streaming: dict[str, tuple[StepBase, float]] = field(default_factory=dict)

    @property
    def changes(self) -> bool:
        """Whether something is to be written at once (a stream alone is only checkpointed)."""
        return bool(self.steps or self.removed or self.elements or self.feedback or self.metadata)

    @property
    def pending(self) -> bool:
        return self.changes or bool(self.streaming)

    def take(self, due: list[StepBase]) -> _Queue:
        """Take out the changes to write now, with the streaming steps ``due`` for a checkpoint."""
        taken = _Queue(
            self.thread_id,
            steps=self.steps,
            removed=self.removed,
            elements=self.elements,
            feedback=self.feedback,
            metadata=self.metadata,
        )
        for step in due:
            taken.steps.setdefault(step.id, step)
        self.steps, self.removed, self.elements, self.feedback, self.metadata = {}, set(), {}, {}, {}
        return taken

    def split(self) -> list[_Queue]:
        """One queue per record, in the order a batch writes them."""
        one = functools.partial(_Queue, self.thread_id)
        return [
            *(one(metadata={key: value}) for key, value in self.metadata.items()),
            *(one(steps={step_id: step}) for step_id, step in self.steps.items()),
            *(one(removed={step_id}) for step_id in self.removed),
            *(one(elements={element_id: e}) for element_id, e in self.elements.items()),
            *(one(feedback={for_id: given}) for for_id, given in self.feedback.items()),
        ]

    def describe(self) -> str:
        """What the one record of a :meth:`split` queue is, for the user."""
        if self.metadata:
            return f"the conversation's {next(iter(self.metadata))!r}"
        if self.steps:
            step = next(iter(self.steps.values()))
            return "a message" if step.type.endswith("_message") else f"a step ({step.name})"
        if self.removed:
            return "the removal of a message"
        if self.elements:
            return f"the element {next(iter(self.elements.values())).name!r}"
        return "a feedback"

    def put_back(self, taken: _Queue) -> None:
        """Queue again what was not confirmed; newer changes made meanwhile win."""
        self.steps = {**taken.steps, **self.steps}
        self.removed |= taken.removed - set(self.steps)
        self.elements = {**taken.elements, **self.elements}
        self.feedback = {**taken.feedback, **self.feedback}
        self.metadata = {**taken.metadata, **self.metadata}


class ThreadWriter(ConversationListener):
    """Queues the changes of a chat's threads, each under its own thread id, and writes them."""

    def __init__(self, chat: ChatSession, layer: Callable[[], BaseDataLayer], owner: str) -> None:
        self.chat = chat
        self._make_layer = layer
        self._layer: BaseDataLayer | None = None
        self.owner = owner
        self._user_id: str | None = None
        self._queues: dict[str, _Queue] = {}
        self._existing: set[str] = set()  # threads in the database: written to, never created
        self._gone: set[str] = set()  # threads deleted while this app wrote them: never written again
        self._lock = asyncio.Lock()  # one write at a time: a save waits for the one under way
        self._task: asyncio.Task[None] | None = None
        self._failures = 0
        self._owner_settled = False
        self.error: BaseException | None = None
        self._dropped = ""  # the report of the last record the database refused, until a switch

    @property
    def layer(self) -> BaseDataLayer:
        """The data layer, built when first needed (SQLAlchemy is imported then, not before)."""
        if self._layer is None:
            self._layer = self._make_layer()
        return self._layer

    async def settle_owner(self) -> str:
        """The owner, as the data layer authenticated it (a thread store's word beats the
        kernel's environment); asked once, before the first read or write."""
        if not self._owner_settled:
            self.owner = await self.layer.authenticated_owner() or self.owner
            self._owner_settled = True
        return self.owner

    async def _warm(self) -> None:
        """Import the SQL layer in a worker thread: an import on the loop would delay the
        handler of the message that is being answered."""
        if self._layer is None:
            await asyncio.to_thread(importlib.import_module, "chatwidget.data.sql")

    # -- collecting (on the loop thread; cheap) -------------------------------------------------
    def _queue(self, thread_id: str | None = None) -> _Queue | None:
        """Where a change to ``thread_id`` (default: the current thread) waits; ``None`` drops it:
        the thread was deleted, or was left before its first user message (nothing to keep)."""
        thread_id = thread_id or self.chat.thread_id
        if thread_id in self._gone:
            return None
        queue = self._queues.get(thread_id)
        if queue is None:
            if thread_id != self.chat.thread_id and thread_id not in self._existing:
                return None
            queue = self._queues[thread_id] = _Queue(thread_id)
        return queue

    def thread_started(self, first_message: str) -> None:
        queue = self._queue()
        if queue is not None and queue.name is None:
            queue.name = " ".join(first_message.split())[:80] or "New chat"
        self._wake()

    def changed(self, slot: int, step: StepBase, restored: bool = False) -> None:
        if restored or step.ephemeral:
            return
        queue = self._queue(step.thread_id)
        if queue is None:
            return
        queue.steps[step.id] = step
        queue.removed.discard(step.id)
        if step.streaming:
            queue.streaming.setdefault(step.id, (step, time.monotonic()))
        else:
            queue.streaming.pop(step.id, None)
        self._wake()

    def removed(self, slot: int, step: StepBase, deleted: bool = True) -> None:
        if not deleted or step.ephemeral:
            return
        queue = self._queue(step.thread_id)
        if queue is None:
            return
        queue.steps.pop(step.id, None)
        queue.streaming.pop(step.id, None)
        queue.removed.add(step.id)
        self._wake()

    def element(self, element: Element) -> None:
        if (queue := self._queue(element.thread_id)) is not None:
            queue.elements[element.id] = element
            self._wake()

    def feedback(self, feedback: Feedback) -> None:
        if (queue := self._queue(feedback.thread_id)) is not None:
            queue.feedback[feedback.for_id] = feedback
            self._wake()

    def remember(self, metadata: dict[str, Any]) -> None:
        """Keep these values in the thread's metadata (chat settings, profile) for a resume."""
        if (queue := self._queue()) is not None:
            queue.metadata.update(metadata)
            self._wake()

    async def switched(self, previous: str, *, stored: bool = False) -> None:
        """The app left thread ``previous`` for its current one (``stored``: resumed, it exists).

        What ``previous`` queued is written now; if that fails it stays queued under its own
        thread and is retried. A thread left before its first user message keeps nothing.
        """
        if stored:
            self._existing.add(self.chat.thread_id)
            self._gone.discard(self.chat.thread_id)
        if self.chat.storage_error in (THREAD_DELETED, self._dropped):  # about the thread left
            self.chat.storage_error = ""
        self._dropped = ""
        queue = self._queues.get(previous)
        if queue is not None:
            for step, _ in queue.streaming.values():  # its streams ended with its chat
                queue.steps.setdefault(step.id, step)
            queue.streaming.clear()
            if queue.name is None and previous not in self._existing:
                del self._queues[previous]
        with contextlib.suppress(Exception):  # reported on the chat by save(); retried below
            await self.save()
        self._wake()

    def forget(self, thread_id: str) -> None:
        """The thread was deleted from this app: drop what it queued and never write it again."""
        self._queues.pop(thread_id, None)
        self._existing.discard(thread_id)
        self._gone.add(thread_id)

    def _writable(self) -> list[_Queue]:
        """The queues with changes for a thread that exists, or may be created now."""
        return [
            q
            for q in self._queues.values()
            if q.pending and (q.thread_id in self._existing or q.name is not None)
        ]

    def _wake(self) -> None:
        if self._task is None or self._task.done():
            with contextlib.suppress(RuntimeError):  # no running loop: save() will write
                self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        await self._warm()
        delay = WRITE_INTERVAL
        # Before the first user message there is no thread to write to: wait for thread_started().
        while self._writable():
            await asyncio.sleep(delay)
            try:
                await self._write()
            except Exception as exc:  # kept and retried; reported on the chat and by save()
                self._failed(exc)
                delay = min(MAX_RETRY_DELAY, WRITE_INTERVAL * 2**self._failures)
            else:
                self._succeeded()
                delay = WRITE_INTERVAL
            if not any(q.changes for q in self._writable()):  # only streams: checkpoints
                delay = max(delay, CHECKPOINT_INTERVAL / 4)

    async def save(self) -> None:
        """Write everything now; raises what the data layer raised (a record it refused for
        what it holds is dropped and reported in ``storage_error``, not raised)."""
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
        self.chat.storage_error = _reason(exc)  # the views say "could not be saved"

    def _succeeded(self) -> None:
        # Only the failure's report goes: a deleted thread or a dropped record is still true.
        if self.error is not None and self.chat.storage_error == _reason(self.error):
            self.chat.storage_error = self._dropped
        self.error, self._failures = None, 0

    def _refused(self, record: _Queue, exc: BaseException) -> None:
        """The database refused this record for what it holds: it is dropped, and said so."""
        what = record.describe()
        log.error(
            "chatwidget: %s of thread %s is dropped: the database refused it",
            what,
            record.thread_id,
            exc_info=exc,
        )
        self._dropped = DROPPED.format(what=what, reason=_reason(exc).splitlines()[0][:200])
        self.chat.storage_error = self._dropped

    def _thread_gone(self, thread_id: str) -> None:
        """The thread was deleted elsewhere: drop its changes and say so once; never recreate it."""
        self._queues.pop(thread_id, None)
        self._existing.discard(thread_id)
        if thread_id in self._gone:  # deleted from this app (forget), or already reported
            return
        self._gone.add(thread_id)
        log.warning("chatwidget: thread %s was deleted elsewhere; its unsaved changes are dropped", thread_id)
        if thread_id == self.chat.thread_id:
            self.chat.storage_error = THREAD_DELETED

    # -- writing -------------------------------------------------------------------------
    async def _write(self, checkpoint_all: bool = False) -> None:
        """Write every thread's queue; a failure in one does not hold back the others."""
        errors: list[Exception] = []
        async with self._lock:
            await self.settle_owner()
            for queue in self._writable():
                try:
                    await self._write_queue(queue, checkpoint_all)
                except Exception as exc:
                    if isinstance(exc, _ThreadGoneError) or await self._deleted(queue.thread_id):
                        self._thread_gone(queue.thread_id)
                    else:
                        errors.append(exc)
            self._prune()
        if errors:
            raise errors[0]

    async def _deleted(self, thread_id: str) -> bool:
        """After a failed write: is the thread gone? (A failing database is not a deletion.)"""
        if thread_id in self._gone:
            return True
        if thread_id not in self._existing:
            return False
        try:
            return await self.layer.get_thread_author(thread_id) != self.owner
        except Exception:
            return False

    def _prune(self) -> None:
        for thread_id, queue in list(self._queues.items()):
            if not queue.pending and (thread_id in self._existing or queue.name is None):
                del self._queues[thread_id]

    async def _ensure_thread(self, queue: _Queue) -> None:
        """Create the thread at its first write, owned by this app's owner from the start."""
        if queue.thread_id in self._existing:
            return
        if self._user_id is None:
            from .data.types import User  # the data layer has loaded the storage shapes by now

            user = await self.layer.get_user(self.owner) or await self.layer.create_user(User(self.owner))
            self._user_id = user.id
        name = storable(queue.name)
        created = await self.layer.update_thread(
            queue.thread_id,
            name=name,
            user_id=self._user_id,
            metadata={"app": self.chat.app.name},
            create=True,
        )
        if not created:  # the id is another owner's thread: never write to it
            raise _ThreadGoneError()
        self._existing.add(queue.thread_id)

    async def _write_queue(self, queue: _Queue, checkpoint_all: bool) -> None:
        """Write the queue in one batch, or record by record if the batch was refused."""
        try:
            await self._write_thread(queue, checkpoint_all)
        except Exception as exc:
            # A refused write to a thread deleted meanwhile is the deletion, not the data.
            if not refused_for_its_data(exc) or await self._deleted(queue.thread_id):
                raise
            await self._write_one_by_one(queue)

    async def _write_thread(self, queue: _Queue, checkpoint_all: bool) -> None:
        await self._ensure_thread(queue)
        now = time.monotonic()
        due = [
            step
            for step, last in queue.streaming.values()
            if checkpoint_all or now - last >= CHECKPOINT_INTERVAL
        ]
        for step in due:
            queue.streaming[step.id] = (step, now)
        taken = queue.take(due)
        try:
            await self._write_changes(taken)
        except BaseException:
            queue.put_back(taken)
            raise

    async def _write_one_by_one(self, queue: _Queue) -> None:
        """Write each queued record alone, dropping the ones the database refuses for what
        they hold; any other failure keeps the records not yet written queued."""
        await self._ensure_thread(queue)
        records = queue.take([]).split()
        for n, record in enumerate(records):
            try:
                await self._write_changes(record)
            except BaseException as exc:
                if isinstance(exc, Exception) and refused_for_its_data(exc):
                    self._refused(record, exc)
                    continue
                for unwritten in reversed(records[n:]):  # each goes first: the order is kept
                    queue.put_back(unwritten)
                raise

    async def _write_changes(self, taken: _Queue) -> None:
        thread_id = taken.thread_id
        if taken.metadata and not await self.layer.update_thread(
            thread_id, metadata=storable(taken.metadata), author=self.owner
        ):
            raise _ThreadGoneError()
        if taken.steps:
            await self.layer.write_steps([self._row(step, thread_id) for step in taken.steps.values()])
        for step_id in taken.removed:
            await self.layer.delete_step(step_id)
        for element in taken.elements.values():
            stored = storable({**element.to_dict(), "threadId": thread_id})
            await self.layer.create_element(stored, element.data())
        for given in taken.feedback.values():
            await self._write_feedback(given, thread_id)

    def _row(self, step: StepBase, thread_id: str) -> Any:
        return storable({**step.to_dict(), "threadId": thread_id})

    async def _write_feedback(self, given: Feedback, thread_id: str) -> None:
        feedback_id = f"feedback-{given.for_id}"
        if given.value is None:
            await self.layer.delete_feedback(feedback_id)
        else:
            await self.layer.upsert_feedback(
                {
                    "id": feedback_id,
                    "forId": given.for_id,
                    "threadId": thread_id,
                    "value": given.value,
                    "comment": storable(given.comment),
                }
            )


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
