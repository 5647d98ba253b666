"""The view sync: how changes to the conversation reach the browser's views of one widget.

``ViewSync`` coalesces: changed steps and streamed text are collected and flushed at most
every ``FLUSH_INTERVAL`` seconds (and when a handler finishes), as one state update and one
``stream`` message. The number of comm messages per second therefore stays far below
Jupyter's IOPub rate limit, however fast tokens arrive. A headless chat has no view sync.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._base import StepBase
from ._protocol import FLUSH_INTERVAL, STREAM, StreamDelta, step_key
from .conversation import ConversationListener

if TYPE_CHECKING:
    from .data.types import StepDict


class ViewSync(ConversationListener):
    """Sends the conversation's changes through a widget's comm, coalesced."""

    wants_tokens = True

    def __init__(
        self,
        send_state: Callable[[dict[str, Any]], None],
        send_message: Callable[[dict[str, Any], list[bytes] | None], None],
        wire: Callable[[StepBase], StepDict],
        shows_text: Callable[[StepBase], bool],
        head: Callable[[], int],
    ) -> None:
        self._send_state = send_state
        self._send_message = send_message
        self._wire = wire
        self._shows_text = shows_text
        self._head = head
        self._dirty: dict[int, StepBase | None] = {}
        self._values: dict[str, Any] = {}  # other state keys (elements)
        self._streams: dict[StepBase, bool] = {}  # ordered set; value: text was replaced
        # Per streaming step, the text the views hold (the string itself: only appended
        # tokens go out, and a step's state need not carry text the views already have).
        self._sent_text: dict[str, str] = {}
        self._sent_head = 0
        self._seq = 0
        self._timer: asyncio.TimerHandle | None = None
        self._last_flush = 0.0
        self.comm_messages = 0  # for benchmarks and tests

    def send(self, message: dict[str, Any], buffers: list[bytes] | None = None) -> None:
        """An event for the views (a reply, audio); it does not wait for the next flush."""
        self._send_message(message, buffers)

    # -- collecting ------------------------------------------------------------------
    def put(self, key: str, value: Any) -> None:
        self._values[key] = value
        self._schedule()

    def changed(self, slot: int, step: StepBase, restored: bool = False) -> None:
        self._dirty[slot] = step
        self._schedule()

    def removed(self, slot: int, step: StepBase, deleted: bool = True) -> None:
        self._dirty[slot] = None
        self._streams.pop(step, None)
        self._sent_text.pop(step.id, None)
        self._schedule()

    def streamed(self, step: StepBase, replaced: bool = False) -> None:
        # The hot path of streaming: one dict store and a clock read per token.
        if replaced:
            self._streams[step] = True
        elif step not in self._streams:
            self._streams[step] = False
        if self._timer is None:
            self._schedule()
        elif time.monotonic() - self._last_flush >= FLUSH_INTERVAL:
            self.flush()

    def _schedule(self) -> None:
        if self._timer is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (plain synchronous use): nothing to coalesce with
            self.flush()
            return
        self._timer = loop.call_later(FLUSH_INTERVAL, self.flush)

    # -- sending -----------------------------------------------------------------------
    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._last_flush = time.monotonic()
        state: dict[str, Any] = {}
        deltas: list[StreamDelta] = []
        for slot, step in self._dirty.items():
            if step is None:
                state[step_key(slot)] = None
                continue
            wire = state[step_key(slot)] = self._wire(step)
            replaced = self._streams.pop(step, None)
            held = self._sent_text.get(step.id)
            shown = self._shows_text(step)
            if (
                not replaced
                and held is not None
                and shown
                and "output" in wire
                and step.output.startswith(held)
            ):
                # The views have the text up to ``held`` and get the rest as a delta (sent
                # before the state): the state says only how long the text is, so a streamed
                # message's end does not send its whole text again.
                if len(step.output) > len(held):
                    deltas.append({"step": step.id, "offset": len(held), "text": step.output[len(held) :]})
                del wire["output"]
                wire["outputLength"] = len(step.output)
            if step.streaming and shown:
                self._sent_text[step.id] = step.output
            else:
                self._sent_text.pop(step.id, None)
        self._dirty.clear()
        state.update(self._values)
        self._values.clear()
        head = self._head()
        if head != self._sent_head:
            state["head"] = self._sent_head = head
        for step, replaced in self._streams.items():
            if self._shows_text(step):
                deltas.extend(self._delta(step, replaced))
        self._streams.clear()
        if deltas:
            self._seq += 1
            self._send_message({"kind": STREAM, "seq": self._seq, "deltas": deltas}, None)
            self.comm_messages += 1
        if state:
            self._send_state(state)
            self.comm_messages += 1

    def _delta(self, step: StepBase, replaced: bool) -> list[StreamDelta]:
        text = step.output
        held = self._sent_text.get(step.id, "")
        if step.streaming:
            self._sent_text[step.id] = text
        if replaced or not text.startswith(held):
            return [{"step": step.id, "offset": 0, "text": text, "replace": True}]
        if len(text) > len(held):
            return [{"step": step.id, "offset": len(held), "text": text[len(held) :]}]
        return []
