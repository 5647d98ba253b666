"""LangChain runs as steps: pass ``LangchainTracer()`` in a runnable's ``callbacks``.

Run types become step types: an agent, or a chain at the top of the traced tree, is a
``run``; a chat model or LLM is an ``llm`` (with a :class:`~chatwidget.ChatGeneration` or
:class:`~chatwidget.CompletionGeneration`); a retriever or a tool is a ``tool``; an
embedding is an ``embedding``; the rest (nested chains, prompts, parsers) are
``undefined``. A step's parent follows LangChain's run tree; a run that is ignored (by
name or by run type) is not shown, and its children attach to its nearest shown ancestor.
Runs at the top attach to the step that was current where the runnable was called.

With ``stream_final_answer=True``, the text an LLM writes after the answer prefix
(``"Final Answer:"`` by default) is streamed into a chat message as it arrives.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from langchain_core.messages import BaseMessage
from langchain_core.outputs import LLMResult
from langchain_core.tracers.base import BaseTracer
from langchain_core.tracers.schemas import Run

from .._context import current_step
from ..generation import ChatGeneration, CompletionGeneration, GenerationMessage
from ..message import Message
from ..step import Step
from ._common import Timing, completion_text, generation_message, iso, message_dicts, on_chat_loop, plain

#: Plumbing runs of LCEL: their children are shown in their place.
DEFAULT_TO_IGNORE = (
    "RunnableSequence",
    "RunnableParallel",
    "RunnableAssign",
    "RunnableLambda",
    "RunnablePassthrough",
    "<lambda>",
)
DEFAULT_ANSWER_PREFIX_TOKENS = ("Final", "Answer", ":")

_STEP_TYPES = {
    "llm": "llm",
    "chat_model": "llm",
    "retriever": "tool",
    "tool": "tool",
    "embedding": "embedding",
    "agent": "run",
}
_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool", "function": "function"}
_NOT_SETTINGS = frozenset({"_type", "tools", "functions", "stop"})


# -- readable values -------------------------------------------------------------------------
def _tool_call(call: Any) -> dict[str, Any]:
    """A LangChain tool call (name, args, id) in the OpenAI form a generation uses."""
    c = plain(call)
    if not isinstance(c, dict) or "function" in c:
        return c if isinstance(c, dict) else {"call": c}
    return {
        "id": c.get("id"),
        "type": "function",
        "function": {"name": c.get("name"), "arguments": json.dumps(c.get("args") or {})},
    }


def _message(message: BaseMessage) -> GenerationMessage:
    role = _ROLES.get(message.type, str(getattr(message, "role", "") or "user"))
    return generation_message(
        role,
        plain(message.content),
        name=message.name,
        tool_calls=[_tool_call(c) for c in getattr(message, "tool_calls", None) or []] or None,
        tool_call_id=getattr(message, "tool_call_id", None),
    )


def _readable(value: Any, depth: int = 0) -> Any:
    """Documents, messages and prompt values as small dicts; the rest as :func:`plain` does."""
    if depth > 20:
        return repr(value)
    if isinstance(value, BaseMessage):
        return message_dicts([_message(value)])[0]
    if hasattr(value, "page_content"):  # a Document
        return {"page_content": value.page_content, "metadata": plain(getattr(value, "metadata", {}))}
    if callable(getattr(value, "to_messages", None)):  # a PromptValue
        return [_readable(m, depth + 1) for m in value.to_messages()]
    if isinstance(value, dict):
        return {str(k): _readable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_readable(v, depth + 1) for v in value]
    return plain(value)


def _shown(value: Any) -> Any:
    """What a step shows: a dict with a single entry is shown as that entry's value."""
    value = _readable(value)
    if isinstance(value, dict) and len(value) == 1:
        return next(iter(value.values()))
    return value


def _token_text(token: Any) -> str:
    if isinstance(token, str):
        return token
    parts = token if isinstance(token, list) else [token]
    return "".join(p if isinstance(p, str) else str(p.get("text", "")) for p in parts if p)


# -- what a callback hands to the loop ---------------------------------------------------------------
@dataclass
class _Start:
    run_id: str
    parent_run_id: str | None
    name: str
    run_type: str
    inputs: Any
    tags: list[str] | None
    invocation: dict[str, Any]
    metadata: dict[str, Any]
    messages: list[GenerationMessage] | None
    base: Step | None
    wall: float = field(default_factory=time.time)
    clock: float = field(default_factory=time.monotonic)


@dataclass
class _End:
    run_id: str
    outputs: Any
    error: str | None
    response: LLMResult | None
    wall: float = field(default_factory=time.time)
    clock: float = field(default_factory=time.monotonic)


@dataclass
class _LLMState:
    timing: Timing
    answer_parent: str | None
    tokens: int = 0
    text: list[str] = field(default_factory=list)
    answer: Message | None = None


class LangchainTracer(BaseTracer):
    """A LangChain callback handler that shows runs as steps of the current chat.

    ``to_ignore``: run names not shown (default: the LCEL plumbing, :data:`DEFAULT_TO_IGNORE`).
    ``ignore_run_types``: run types not shown, e.g. ``("prompt", "parser")``. Default: none.
    ``stream_final_answer``: stream what follows ``answer_prefix_tokens`` (default
    ``["Final", "Answer", ":"]``, matched with any whitespace between tokens) into a chat
    message, authored by ``answer_author`` (default: the app's assistant). Default: False.

    It works for ``invoke`` and ``ainvoke`` alike (it is called inline, in order); one
    tracer can serve many calls.
    """

    run_inline = True

    def __init__(
        self,
        *,
        to_ignore: Iterable[str] | None = None,
        ignore_run_types: Iterable[str] = (),
        stream_final_answer: bool = False,
        answer_prefix_tokens: Sequence[str] | None = None,
        answer_author: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(_schema_format="original+chat", **kwargs)
        self.to_ignore = frozenset(DEFAULT_TO_IGNORE if to_ignore is None else to_ignore)
        self.ignore_run_types = frozenset(ignore_run_types)
        self.stream_final_answer = stream_final_answer
        self.answer_prefix_tokens = list(answer_prefix_tokens or DEFAULT_ANSWER_PREFIX_TOKENS)
        self.answer_author = answer_author
        self._prefix = re.compile(r"\s*".join(re.escape(t.strip()) for t in self.answer_prefix_tokens))
        # Filled on the caller's thread, read when the run starts or ends.
        self._chat_messages: dict[str, list[BaseMessage]] = {}
        self._errors: dict[str, str] = {}
        self._responses: dict[str, LLMResult] = {}
        # Only touched on the chat's loop (see on_chat_loop).
        self._steps: dict[str, Step] = {}
        self._attach: dict[str, str | None] = {}  # run id -> id of the step its children go under
        self._llm: dict[str, _LLMState] = {}

    # -- capture what BaseTracer does not keep --------------------------------------------
    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[BaseMessage]], *, run_id: UUID, **kwargs: Any
    ) -> Run:
        self._chat_messages[str(run_id)] = [m for batch in messages for m in batch]
        return super().on_chat_model_start(serialized, messages, run_id=run_id, **kwargs)

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> Run:
        self._responses[str(run_id)] = response
        return super().on_llm_end(response, run_id=run_id, **kwargs)

    def _note_error(self, error: BaseException, run_id: UUID) -> None:
        self._errors[str(run_id)] = str(error) or type(error).__name__

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> Run:
        self._note_error(error, run_id)
        return super().on_llm_error(error, run_id=run_id, **kwargs)

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> Run:
        self._note_error(error, run_id)
        return super().on_chain_error(error, run_id=run_id, **kwargs)

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> Run:
        self._note_error(error, run_id)
        return super().on_tool_error(error, run_id=run_id, **kwargs)

    def on_retriever_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> Run:
        self._note_error(error, run_id)
        return super().on_retriever_error(error, run_id=run_id, **kwargs)

    # -- BaseTracer hooks (caller's thread): copy what is needed, hand over to the loop ---------
    def _persist_run(self, run: Run) -> None:
        """Nothing to persist: the chat is the record."""

    def _on_run_create(self, run: Run) -> None:
        run_id = str(run.id)
        chat = self._chat_messages.pop(run_id, None)
        extra = run.extra or {}
        start = _Start(
            run_id=run_id,
            parent_run_id=str(run.parent_run_id) if run.parent_run_id else None,
            name=run.name,
            run_type=run.run_type,
            inputs=_readable(run.inputs),
            tags=list(run.tags) if run.tags else None,
            invocation=plain(extra.get("invocation_params") or {}),
            metadata=plain(extra.get("metadata") or {}),
            messages=[_message(m) for m in chat] if chat is not None else None,
            base=current_step.get(),
        )
        on_chat_loop(lambda: self._open(start))

    def _on_llm_new_token(self, run: Run, token: Any, chunk: Any) -> None:
        text, at = _token_text(token), time.monotonic()
        run_id = str(run.id)
        on_chat_loop(lambda: self._token(run_id, text, at))

    def _on_run_update(self, run: Run) -> None:
        run_id = str(run.id)
        end = _End(
            run_id=run_id,
            outputs=_readable(run.outputs) if run.outputs is not None else None,
            error=self._errors.pop(run_id, None) or (run.error.split("\n")[0] if run.error else None),
            response=self._responses.pop(run_id, None),
        )
        on_chat_loop(lambda: self._close(end))

    # -- on the loop --------------------------------------------------------------------------------
    def _ignored(self, start: _Start) -> bool:
        return start.name in self.to_ignore or start.run_type in self.ignore_run_types

    def _open(self, start: _Start) -> None:
        base_id = start.base.id if start.base is not None else None
        parent_id = self._attach.get(start.parent_run_id, base_id) if start.parent_run_id else base_id
        if self._ignored(start):
            self._attach[start.run_id] = parent_id
            return
        step_type = _STEP_TYPES.get(start.run_type)
        if step_type is None:
            at_top = parent_id == base_id
            step_type = "run" if start.run_type == "chain" and at_top else "undefined"
        step = Step(name=start.name, type=step_type, parent_id=parent_id, tags=start.tags)
        step.start = iso(start.wall)
        step.metadata["langchain_run_type"] = start.run_type
        if step_type == "llm":
            self._llm[start.run_id] = _LLMState(Timing(started=start.clock, wall_start=start.wall), base_id)
            step.generation = self._generation(start)
            step.input = message_dicts(start.messages) if start.messages is not None else _shown(start.inputs)
        else:
            step.input = _shown(start.inputs)
        self._steps[start.run_id] = step
        self._attach[start.run_id] = step.id
        step._send_now()

    def _generation(self, start: _Start) -> ChatGeneration | CompletionGeneration:
        inv = start.invocation
        model = inv.get("model") or inv.get("model_name") or start.metadata.get("ls_model_name")
        provider = start.metadata.get("ls_provider") or inv.get("_type")
        settings = {k: v for k, v in inv.items() if k not in _NOT_SETTINGS and v is not None} or None
        tools = inv.get("tools") or (
            [{"type": "function", "function": f} for f in inv["functions"]] if inv.get("functions") else None
        )
        common: dict[str, Any] = {
            "provider": provider,
            "model": model,
            "settings": settings,
            "tools": tools,
            "tags": start.tags,
        }
        if start.messages is not None:
            return ChatGeneration(messages=start.messages, **common)
        prompts = start.inputs.get("prompts") if isinstance(start.inputs, dict) else None
        prompt = "\n\n".join(prompts) if isinstance(prompts, list) else str(start.inputs)
        return CompletionGeneration(prompt=prompt, **common)

    def _token(self, run_id: str, text: str, at: float) -> None:
        state = self._llm.get(run_id)
        if state is None or not text:
            return
        state.timing.token(at)
        state.tokens += 1
        state.text.append(text)
        if not self.stream_final_answer:
            return
        if state.answer is None:
            found = self._prefix.search("".join(state.text))
            if found is None:
                return
            state.answer = self._answer_message(state)
            text = "".join(state.text)[found.end() :]
        if not state.answer.output:  # the answer starts at its first non-blank character
            text = text.lstrip()
        if text or not state.answer.streaming:
            state.answer._stream_now(text, False)

    def _answer_message(self, state: _LLMState) -> Message:
        """The message for the final answer: where the traced call was made, not in the trace."""
        return Message(content="", author=self.answer_author, parent_id=state.answer_parent)

    def _close(self, end: _End) -> None:
        step = self._steps.pop(end.run_id, None)
        self._attach.pop(end.run_id, None)
        state = self._llm.pop(end.run_id, None)
        if step is None:
            return
        step.end = iso(end.wall)
        if state is not None:
            self._close_llm(step, state, end)
        elif end.outputs is not None:
            step.output = _shown(end.outputs)
        if end.error is not None:
            step.is_error = True
            step.output = end.error
        step._update_now()

    def _close_llm(self, step: Step, state: _LLMState, end: _End) -> None:
        state.timing.end(end.clock)
        generation = step.generation
        text, completion, usage = "".join(state.text), None, None
        if end.response is not None and end.response.generations and end.response.generations[0]:
            first = end.response.generations[0][0]
            text = first.text or text
            message = getattr(first, "message", None)
            if isinstance(message, BaseMessage):
                completion = _message(message)
                usage = getattr(message, "usage_metadata", None)
            llm_output = end.response.llm_output or {}
            usage = usage or llm_output.get("token_usage") or llm_output.get("usage")
        if isinstance(generation, ChatGeneration | CompletionGeneration):
            if usage:
                generation.input_token_count = usage.get("input_tokens", usage.get("prompt_tokens"))
                generation.output_token_count = usage.get("output_tokens", usage.get("completion_tokens"))
                generation.token_count = usage.get("total_tokens")
            elif state.tokens:
                generation.output_token_count = state.tokens
            if end.error is not None:
                generation.error = end.error
            state.timing.fill(generation)
        if isinstance(generation, ChatGeneration):
            generation.message_completion = completion or generation_message("assistant", text)
            step.output = completion_text(generation.message_completion)
        else:
            if isinstance(generation, CompletionGeneration):
                generation.completion = text
            step.output = text
        if not self.stream_final_answer:
            return
        if state.answer is not None:
            state.answer._finish()
        elif end.error is None and (found := self._prefix.search(text)) is not None:
            answer = self._answer_message(state)
            answer.content = text[found.end() :].lstrip()
            answer._finish()


#: Chainlit's names for the same handler.
LangchainCallbackHandler = LangchainTracer
AsyncLangchainCallbackHandler = LangchainTracer
