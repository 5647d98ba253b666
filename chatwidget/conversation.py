"""``Conversation``: the history of one chat, and who is told when it changes.

Messages and steps put themselves here, through the chat they run in; they never talk to a
widget. Each change is told to the listeners in the order they were added: the view sync
(the browser's copy), the thread writer (the database), the static copy (the saved
notebook). What a listener does costs what changed, never the length of the conversation.
"""

from __future__ import annotations

from collections.abc import Iterator

from ._base import StepBase
from ._history import History


class ConversationListener:
    """Told of every change; override what you need (each default does nothing).

    ``wants_tokens``: whether :meth:`streamed` is called for every streamed token (the hot
    path of streaming); listeners that only care about whole steps leave it False and still
    see a streaming step through :meth:`changed` when it starts and when it ends.
    """

    wants_tokens = False

    def changed(self, slot: int, step: StepBase, restored: bool) -> None:
        """``step`` was added or changed (``restored``: read back from storage, already kept)."""

    def removed(self, slot: int, step: StepBase, deleted: bool) -> None:
        """``step`` left the conversation (``deleted``: for good; else only cleared from view)."""

    def streamed(self, step: StepBase, replaced: bool) -> None:
        """Text was appended to ``step`` (``replaced``: its whole text was replaced)."""

    def flush(self) -> None:
        """Send what is pending now (a handler finished, a prompt is about to show)."""

    def idle(self) -> None:
        """The chat finished answering: no handler runs now."""


class Conversation:
    """Every step of one chat in the slot it was first sent in, and the listeners of changes."""

    def __init__(self) -> None:
        self._history = History()
        self._listeners: list[ConversationListener] = []
        self._token_listeners: list[ConversationListener] = []
        # Steps seen streaming, so ending the streams costs the open ones, not the history.
        self._streaming: dict[str, StepBase] = {}

    # -- listeners ----------------------------------------------------------------------
    def add_listener(self, listener: ConversationListener) -> None:
        if listener not in self._listeners:
            self._listeners.append(listener)
            self._token_listeners = [x for x in self._listeners if x.wants_tokens]

    def remove_listener(self, listener: ConversationListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)
            self._token_listeners = [x for x in self._listeners if x.wants_tokens]

    # -- reading ------------------------------------------------------------------------
    @property
    def head(self) -> int:
        """How many slots have been handed out (a slot is never reused)."""
        return self._history.head

    def __len__(self) -> int:
        return len(self._history)

    def __contains__(self, step: object) -> bool:
        return isinstance(step, StepBase) and step.id in self._history

    def get(self, step_id: str) -> StepBase | None:
        return self._history.get(step_id)

    def slot_of(self, step_id: str) -> int | None:
        return self._history.slot_of(step_id)

    def items(self) -> Iterator[tuple[int, StepBase]]:
        return self._history.items()

    def steps(self) -> list[StepBase]:
        return self._history.steps()

    def depth(self, step: StepBase) -> int:
        return self._history.depth(step)

    # -- changing -----------------------------------------------------------------------
    def put(self, step: StepBase, *, restored: bool = False, at: int | None = None) -> int:
        """Add ``step`` (or record that it changed); returns its slot (``at``: a reserved one)."""
        slot = self._history.put(step, at)
        if step.streaming:
            self._streaming[step.id] = step
        for listener in self._listeners:
            listener.changed(slot, step, restored)
        return slot

    def reserve(self, count: int) -> int:
        """Empty slots before the steps to come, for older steps that arrive later (a resumed
        thread shows its newest page first); returns the first."""
        return self._history.reserve(count)

    def remove(self, step: StepBase) -> bool:
        """Take ``step`` out for good (it is deleted from storage too)."""
        return self._take_out(step, deleted=True)

    def _take_out(self, step: StepBase, *, deleted: bool) -> bool:
        slot = self._history.remove(step.id)
        self._streaming.pop(step.id, None)
        if slot is None:
            return False
        for listener in self._listeners:
            listener.removed(slot, step, deleted)
        return True

    def clear(self) -> None:
        """Empty the conversation for another chat; what was stored stays stored."""
        for _, step in list(self._history.items()):
            self._take_out(step, deleted=False)

    def stream(self, step: StepBase, *, replaced: bool = False) -> None:
        """``step``'s text grew by a token (or was replaced): the hot path of streaming."""
        for listener in self._token_listeners:
            listener.streamed(step, replaced)

    def finish_streams(self) -> None:
        """End every stream still open (its handler ended, or was stopped)."""
        open_steps, self._streaming = self._streaming, {}
        for step in open_steps.values():
            if step.streaming and step.id in self._history:
                step.streaming = False
                self.put(step)

    def flush(self) -> None:
        for listener in self._listeners:
            listener.flush()

    def idle(self) -> None:
        for listener in self._listeners:
            listener.idle()
