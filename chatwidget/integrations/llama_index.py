"""LlamaIndex events as steps: add ``LlamaIndexCallbackHandler()`` to a ``CallbackManager``.

A query is a ``tool`` step (its response as output), a retrieval a ``tool`` step whose
output and ``metadata["source_nodes"]`` list the nodes found (text, score, metadata), each
also a side text element ``Source <n>`` of the step, an
LLM call an ``llm`` step with a :class:`~chatwidget.ChatGeneration` or
:class:`~chatwidget.CompletionGeneration`, a function call a ``tool`` step named after the
tool. Other events (chunking, embedding, synthesis, templating...) are not shown: their
children attach to their nearest shown ancestor, and events at the top attach to the step
that was current where the query was made.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from llama_index.core.callbacks.base_handler import BaseCallbackHandler
from llama_index.core.callbacks.schema import CBEventType, EventPayload

from .._context import current_step
from ..element import Element, Text
from ..generation import ChatGeneration, CompletionGeneration, GenerationMessage
from ..step import Step
from ._common import Timing, completion_text, generation_message, iso, message_dicts, on_chat_loop, plain

DEFAULT_SHOWN = (CBEventType.QUERY, CBEventType.RETRIEVE, CBEventType.LLM, CBEventType.FUNCTION_CALL)
_STEP_TYPES = {CBEventType.LLM: "llm", CBEventType.EMBEDDING: "embedding"}
_SECRET = re.compile(r"api_?key|secret|password|token$|auth", re.IGNORECASE)
_NOT_SETTINGS = frozenset({"class_name", "callback_manager", "system_prompt", "output_parser"})


# -- readable values -------------------------------------------------------------------------
def _source_elements(nodes: list[dict[str, Any]]) -> list[Element]:
    """Each node found, as a side text ``Source <n>`` linked from the step (as the reference does)."""
    return [
        Text(name=f"Source {i}", content=str(n.get("text") or "Empty node"), display="side")
        for i, n in enumerate(nodes)
    ]


def _message(message: Any) -> GenerationMessage:
    role = getattr(message, "role", "user")
    content = getattr(message, "content", None)
    if content is None:
        content = str(message)
    extra = getattr(message, "additional_kwargs", None) or {}
    tool_calls = extra.get("tool_calls")
    return generation_message(
        str(getattr(role, "value", role)),
        plain(content),
        tool_calls=[plain(c) for c in tool_calls] if tool_calls else None,
        tool_call_id=extra.get("tool_call_id"),
    )


def _node(node_with_score: Any) -> dict[str, Any]:
    node = getattr(node_with_score, "node", node_with_score)
    get_content = getattr(node, "get_content", None)
    score = getattr(node_with_score, "score", None)
    return {
        "id": getattr(node, "node_id", None),
        "score": round(score, 6) if isinstance(score, float) else score,  # readable, and stable
        "text": get_content() if callable(get_content) else str(node),
        "metadata": plain(getattr(node, "metadata", None) or {}),
    }


def _usage(response: Any) -> tuple[int | None, int | None, int | None]:
    """Token counts from a response's raw answer (OpenAI's usage) or its additional kwargs."""
    raw = getattr(response, "raw", None)
    usage = raw.get("usage") if isinstance(raw, dict) else getattr(raw, "usage", None)
    counts = plain(usage) if usage is not None else (getattr(response, "additional_kwargs", None) or {})
    if not isinstance(counts, dict):
        return None, None, None
    return (
        counts.get("prompt_tokens", counts.get("input_tokens")),
        counts.get("completion_tokens", counts.get("output_tokens")),
        counts.get("total_tokens"),
    )


def _settings(serialized: dict[str, Any]) -> dict[str, Any] | None:
    settings = {
        k: v
        for k, v in serialized.items()
        if k not in _NOT_SETTINGS and not _SECRET.search(k) and isinstance(v, str | int | float | bool)
    }
    return settings or None


# -- what a callback hands to the loop -------------------------------------------------------------
@dataclass
class _Event:
    event_id: str
    event_type: CBEventType
    payload: dict[str, Any]
    parent_id: str | None = None
    base: Step | None = None
    wall: float = field(default_factory=time.time)
    clock: float = field(default_factory=time.monotonic)


class LlamaIndexCallbackHandler(BaseCallbackHandler):
    """A LlamaIndex callback handler that shows queries, retrievals, LLM and function calls as steps.

    ``shown``: the event types shown (default :data:`DEFAULT_SHOWN`). Works for ``query``
    and ``aquery`` alike; one handler can serve many queries.
    """

    def __init__(self, shown: Iterable[CBEventType] = DEFAULT_SHOWN) -> None:
        # Every event is received (LlamaIndex's own ignore lists would hide the events
        # that link a shown event to its shown ancestor); hidden ones are skipped here.
        super().__init__(event_starts_to_ignore=[], event_ends_to_ignore=[])
        self.shown = frozenset(shown)
        # Only touched on the chat's loop (see on_chat_loop).
        self._steps: dict[str, Step] = {}
        self._attach: dict[str, str | None] = {}
        self._timing: dict[str, Timing] = {}

    # -- LlamaIndex's interface (caller's thread) ---------------------------------------------
    def on_event_start(
        self,
        event_type: CBEventType,
        payload: dict[str, Any] | None = None,
        event_id: str = "",
        parent_id: str = "",
        **kwargs: Any,
    ) -> str:
        event = _Event(event_id, event_type, dict(payload or {}), parent_id or None, current_step.get())
        on_chat_loop(lambda: self._open(event))
        return event_id

    def on_event_end(
        self,
        event_type: CBEventType,
        payload: dict[str, Any] | None = None,
        event_id: str = "",
        **kwargs: Any,
    ) -> None:
        event = _Event(event_id, event_type, dict(payload or {}))
        on_chat_loop(lambda: self._close(event))

    def start_trace(self, trace_id: str | None = None) -> None:
        """Nothing to do: steps follow the events' own parent links."""

    def end_trace(self, trace_id: str | None = None, trace_map: dict[str, list[str]] | None = None) -> None:
        """Nothing to do: each step ended with its event."""

    # -- on the loop --------------------------------------------------------------------------------
    def _open(self, event: _Event) -> None:
        base_id = event.base.id if event.base is not None else None
        parent = self._attach.get(event.parent_id, base_id) if event.parent_id else base_id
        if event.event_type not in self.shown:
            self._attach[event.event_id] = parent
            return
        payload = event.payload
        name = event.event_type.value
        if event.event_type == CBEventType.FUNCTION_CALL:
            tool = payload.get(EventPayload.TOOL)
            name = str(getattr(tool, "name", None) or name)
        step = Step(name=name, type=_STEP_TYPES.get(event.event_type, "tool"), parent_id=parent)
        step.start = iso(event.wall)
        if event.event_type == CBEventType.LLM:
            self._timing[event.event_id] = Timing(started=event.clock, wall_start=event.wall)
            self._llm_input(step, payload)
        elif event.event_type == CBEventType.FUNCTION_CALL:
            step.input = plain(payload.get(EventPayload.FUNCTION_CALL))
        elif EventPayload.QUERY_STR in payload:
            step.input = str(payload[EventPayload.QUERY_STR])
        self._steps[event.event_id] = step
        self._attach[event.event_id] = step.id
        step._send_now()

    def _llm_input(self, step: Step, payload: dict[str, Any]) -> None:
        serialized = payload.get(EventPayload.SERIALIZED) or {}
        model = serialized.get("model") or serialized.get("model_name")
        model = None if model in (None, "", "unknown") else str(model)
        provider = serialized.get("class_name")
        step.name = str(model or provider or step.name)
        common: dict[str, Any] = {"provider": provider, "model": model, "settings": _settings(serialized)}
        messages = payload.get(EventPayload.MESSAGES)
        if messages is not None:
            generation_messages = [_message(m) for m in messages]
            step.generation = ChatGeneration(messages=generation_messages, **common)
            step.input = message_dicts(generation_messages)
        else:
            prompt = str(payload.get(EventPayload.PROMPT, ""))
            step.generation = CompletionGeneration(prompt=prompt, **common)
            step.input = prompt

    def _close(self, event: _Event) -> None:
        self._attach.pop(event.event_id, None)
        step = self._steps.pop(event.event_id, None)
        if step is None:
            return
        payload = event.payload
        step.end = iso(event.wall)
        if event.event_type == CBEventType.LLM:
            self._llm_output(step, payload, event)
        elif event.event_type == CBEventType.RETRIEVE:
            nodes = [_node(n) for n in payload.get(EventPayload.NODES) or []]
            step.metadata["source_nodes"] = nodes
            step.output = nodes
            step.elements = _source_elements(nodes)
        elif event.event_type == CBEventType.QUERY:
            response = payload.get(EventPayload.RESPONSE)
            if response is not None:
                step.output = str(getattr(response, "response", None) or response)
                sources = getattr(response, "source_nodes", None)
                if sources:
                    step.metadata["source_nodes"] = [_node(n) for n in sources]
                    step.elements = _source_elements(step.metadata["source_nodes"])
        elif EventPayload.FUNCTION_OUTPUT in payload:
            step.output = plain(payload[EventPayload.FUNCTION_OUTPUT])
        if (error := payload.get(EventPayload.EXCEPTION)) is not None:
            step.is_error = True
            step.output = str(error) or type(error).__name__
            if step.generation is not None and not isinstance(step.generation, dict):
                step.generation.error = step.output
        step._update_now()

    def _llm_output(self, step: Step, payload: dict[str, Any], event: _Event) -> None:
        timing = self._timing.pop(event.event_id, None)
        generation = step.generation
        response = payload.get(EventPayload.RESPONSE)
        if isinstance(generation, ChatGeneration):
            message = getattr(response, "message", None)
            generation.message_completion = (
                _message(message)
                if message is not None
                else generation_message("assistant", str(response or ""))
            )
            step.output = completion_text(generation.message_completion)
        elif isinstance(generation, CompletionGeneration):
            completion = payload.get(EventPayload.COMPLETION, response)
            generation.completion = str(getattr(completion, "text", None) or completion or "")
            step.output = generation.completion
            response = completion
        if isinstance(generation, ChatGeneration | CompletionGeneration):
            prompt, output, total = _usage(response)
            generation.input_token_count, generation.output_token_count = prompt, output
            generation.token_count = total
            if timing is not None:
                timing.end(event.clock)
                timing.fill(generation)
