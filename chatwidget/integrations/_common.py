"""What the integrations share: running on the chat's loop, timing, and readable values.

A library calls an integration's callbacks in whatever thread runs the model: the kernel's
loop (async code), a sync handler's worker thread, or a pool thread of the library. The
conversation is only changed on the loop's thread, so each callback's work is handed to
the loop with :func:`on_chat_loop` *without waiting*: a library that blocks the loop
while its own threads report (a sync ``invoke`` inside an async handler) cannot deadlock,
and the callbacks still run in the order they were made.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .._context import current_chat, current_step
from .._sync import handler_loop
from ..generation import BaseGeneration, GenerationMessage

log = logging.getLogger("chatwidget")

_ROLES = {"system", "user", "assistant", "tool", "function"}


def in_chat() -> bool:
    """Whether the caller runs inside a chat handler or an open step (so it has a place to go)."""
    return current_chat.get() is not None or current_step.get() is not None


class _LoopQueue:
    """Callbacks waiting for one loop's thread, in the order they were made."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.lock = threading.Lock()
        self.items: deque[tuple[contextvars.Context, Callable[[], object]]] = deque()
        self.scheduled = False
        self.draining = False

    def put(self, fn: Callable[[], object], here: bool) -> None:
        with self.lock:
            self.items.append((contextvars.copy_context(), fn))
            if here or self.scheduled:
                schedule = False
            else:
                schedule = self.scheduled = True
        if here:
            self.drain()
        elif schedule:
            self.loop.call_soon_threadsafe(self.drain)

    def drain(self) -> None:
        if self.draining:  # a callback that records again: the running drain gets to it
            return
        self.draining = True
        try:
            while True:
                with self.lock:
                    if not self.items:
                        self.scheduled = False
                        return
                    context, fn = self.items.popleft()
                context.run(_guarded, fn)
        finally:
            self.draining = False


_queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopQueue] = weakref.WeakKeyDictionary()
_queues_lock = threading.Lock()


def _guarded(fn: Callable[[], object]) -> None:
    try:
        fn()
    except Exception:
        log.exception("chatwidget: an LLM integration failed to record a step")


def on_chat_loop(fn: Callable[[], object]) -> None:
    """Run ``fn`` on the handler's loop thread: now if this is that thread, else soon (not waited for).

    Calls run in the order they were made, whichever thread made them: a call on the loop
    thread first runs those that other threads queued before it. ``fn`` runs in a copy of
    its caller's context (so it finds the chat and the current step). An exception is
    logged, never raised into the library that called back.
    """
    entry = handler_loop.get()
    if entry is None or entry[0].is_closed():
        _guarded(fn)
        return
    loop, thread = entry
    with _queues_lock:
        queue = _queues.get(loop)
        if queue is None:
            queue = _queues[loop] = _LoopQueue(loop)
    queue.put(fn, here=thread == threading.get_ident())


def iso(timestamp: float) -> str:
    """An epoch time as the ISO 8601 UTC text that steps use."""
    moment = datetime.fromtimestamp(timestamp, timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Timing:
    """Start, first token and end of one LLM call, on a monotonic clock."""

    started: float = field(default_factory=time.monotonic)
    wall_start: float = field(default_factory=time.time)
    first_token: float | None = None
    ended: float | None = None

    def token(self, at: float | None = None) -> None:
        if self.first_token is None:
            self.first_token = time.monotonic() if at is None else at

    def end(self, at: float | None = None) -> None:
        if self.ended is None:
            self.ended = time.monotonic() if at is None else at

    @property
    def wall_end(self) -> float:
        return self.wall_start + ((self.ended or time.monotonic()) - self.started)

    def fill(self, generation: BaseGeneration) -> None:
        """Duration (s), time to first token (ms) and output tokens per second."""
        self.end()
        assert self.ended is not None
        duration = self.ended - self.started
        generation.duration = duration
        if self.first_token is not None:
            generation.tt_first_token = (self.first_token - self.started) * 1000
        if generation.output_token_count and duration > 0:
            generation.token_throughput_in_s = generation.output_token_count / duration
        if generation.token_count is None and (
            generation.input_token_count is not None or generation.output_token_count is not None
        ):
            generation.token_count = (generation.input_token_count or 0) + (
                generation.output_token_count or 0
            )


def generation_message(
    role: str,
    content: Any = "",
    *,
    name: str | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
    tool_call_id: str | None = None,
) -> GenerationMessage:
    """A :class:`GenerationMessage`; an unknown role (``developer``...) is kept as ``system``."""
    known: Any = role if role in _ROLES else "system"
    return GenerationMessage(
        role=known, content=content, name=name, tool_calls=tool_calls or None, tool_call_id=tool_call_id
    )


def message_dicts(messages: list[GenerationMessage]) -> list[dict[str, Any]]:
    """Messages as the plain dicts a step shows as its input."""
    out: list[dict[str, Any]] = []
    for m in messages:
        item: dict[str, Any] = {"role": m.role, "content": m.content}
        if m.name:
            item["name"] = m.name
        if m.tool_calls:
            item["tool_calls"] = m.tool_calls
        if m.tool_call_id:
            item["tool_call_id"] = m.tool_call_id
        out.append(item)
    return out


def completion_text(message: GenerationMessage | None) -> Any:
    """What a step shows as the output of a chat call: the text, else the tool calls."""
    if message is None:
        return ""
    if message.content:
        return message.content
    return {"tool_calls": message.tool_calls} if message.tool_calls else ""


def plain(value: Any, depth: int = 0) -> Any:
    """A JSON-friendly copy of ``value``: pydantic models and dataclasses become dicts."""
    if depth > 20:
        return repr(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Mapping):
        return {str(k): plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v, depth + 1) for v in value]
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return plain(dump(), depth + 1)
        except Exception:  # a model that cannot dump itself is shown by its text
            return str(value)
    return str(value)
