"""Every chat and completion call of the ``openai`` client becomes an ``llm`` step.

``instrument_openai()`` wraps ``create`` (and ``parse``) of the chat and completion
resources, sync and async, on their classes, so clients made before or after are covered.
A call made inside a chat handler (or an open step) is shown as a step under the current
step, with a :class:`~chatwidget.ChatGeneration` or :class:`~chatwidget.CompletionGeneration`;
a call made anywhere else is left alone. A streamed answer keeps its own type
(``openai.Stream``): the step is finished when the stream is read to its end or closed.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import openai
from openai.resources import completions as _completions
from openai.resources.chat import completions as _chat

from ..generation import BaseGeneration, ChatGeneration, CompletionGeneration, GenerationMessage
from ..step import Step
from ._common import (
    Timing,
    completion_text,
    generation_message,
    in_chat,
    iso,
    message_dicts,
    on_chat_loop,
    plain,
)

_ORIGINAL = "__chatwidget_original__"
_NOT_SETTINGS = frozenset(
    {"messages", "prompt", "tools", "functions", "extra_headers", "extra_query", "extra_body", "timeout"}
)

#: (class, method name, chat or completion) of every wrapped method. The async classes'
#: methods are awaited (``create`` is a plain function returning a coroutine, so it cannot
#: be told apart by inspection).
_TARGETS: list[tuple[type[Any], str, str]] = [
    (_chat.Completions, "create", "chat"),
    (_chat.Completions, "parse", "chat"),
    (_chat.AsyncCompletions, "create", "chat"),
    (_chat.AsyncCompletions, "parse", "chat"),
    (_completions.Completions, "create", "completion"),
    (_completions.AsyncCompletions, "create", "completion"),
]
_ASYNC = (_chat.AsyncCompletions, _completions.AsyncCompletions)


def _given(value: Any) -> bool:
    return not isinstance(value, openai.NotGiven | openai.Omit)


def _tools(kwargs: dict[str, Any]) -> list[dict[str, Any]] | None:
    tools = [plain(t) for t in kwargs.get("tools") or [] if _given(kwargs.get("tools"))]
    functions = kwargs.get("functions")
    if functions and _given(functions):  # the older form: bare function specs
        tools += [{"type": "function", "function": plain(f)} for f in functions]
    return tools or None


def _input_message(message: Any) -> GenerationMessage:
    m = plain(message)
    if not isinstance(m, dict):
        return generation_message("user", str(m))
    return generation_message(
        str(m.get("role", "user")),
        m.get("content") or "",
        name=m.get("name"),
        tool_calls=m.get("tool_calls"),
        tool_call_id=m.get("tool_call_id"),
    )


class _Call:
    """One instrumented call: its step is shown when it starts and finished when it ends."""

    def __init__(self, kind: str, kwargs: dict[str, Any]) -> None:
        self.kind = kind
        self.timing = Timing()
        settings = {k: plain(v) for k, v in kwargs.items() if k not in _NOT_SETTINGS and _given(v)}
        model = str(kwargs.get("model") or "") or None
        common: dict[str, Any] = {"provider": "openai", "model": model, "settings": settings}
        self.generation: BaseGeneration
        self.step = Step(name=model or "openai", type="llm")
        self.step.start = iso(self.timing.wall_start)
        if kind == "chat":
            messages = [_input_message(m) for m in kwargs.get("messages") or []]
            self.generation = ChatGeneration(messages=messages, tools=_tools(kwargs), **common)
            self.step.input = message_dicts(messages)
        else:
            prompt = kwargs.get("prompt")
            text = prompt if isinstance(prompt, str) else json.dumps(plain(prompt))
            self.generation = CompletionGeneration(prompt=text, **common)
            self.step.input = text
        self.step.generation = self.generation
        self.chunks = 0
        self.text: list[str] = []
        self.role = "assistant"
        self.tool_calls: dict[int, dict[str, Any]] = {}
        self.usage: Any = None
        self.done = False
        on_chat_loop(self.step._send_now)

    # -- results ----------------------------------------------------------------------------
    def observe(self, result: Any) -> Any:
        """Record ``result``; a stream is returned with its iterator watched."""
        if isinstance(result, openai.Stream):
            result._iterator = self._watch(result._iterator)
            result.close = self._closing(result.close)  # type: ignore[method-assign]
        elif isinstance(result, openai.AsyncStream):
            result._iterator = self._awatch(result._iterator)
            result.close = self._aclosing(result.close)  # type: ignore[method-assign]
        else:
            self._response(result)
            self.finish()
        return result

    def _response(self, response: Any) -> None:
        choices = getattr(response, "choices", None) or []
        self.usage = getattr(response, "usage", None)
        if not choices:
            return
        choice = choices[0]
        if self.kind == "completion":
            self.text.append(getattr(choice, "text", "") or "")
            return
        message = getattr(choice, "message", None)
        if message is None:
            return
        self.text.append(getattr(message, "content", None) or "")
        for index, call in enumerate(getattr(message, "tool_calls", None) or []):
            self.tool_calls[index] = plain(call)

    def _chunk(self, chunk: Any) -> None:
        self.timing.token()
        if getattr(chunk, "usage", None) is not None:
            self.usage = chunk.usage
        choices = getattr(chunk, "choices", None) or []
        if not choices:
            return
        choice = choices[0]
        if self.kind == "completion":
            if text := getattr(choice, "text", None):
                self.text.append(text)
                self.chunks += 1
            return
        delta = getattr(choice, "delta", None)
        if delta is None:
            return
        if getattr(delta, "role", None):
            self.role = delta.role
        if content := getattr(delta, "content", None):
            self.text.append(content)
            self.chunks += 1
        for part in getattr(delta, "tool_calls", None) or []:
            self.chunks += 1
            call = self.tool_calls.setdefault(
                part.index, {"id": None, "type": "function", "function": {"name": "", "arguments": ""}}
            )
            if part.id:
                call["id"] = part.id
            if part.function is not None:
                call["function"]["name"] += part.function.name or ""
                call["function"]["arguments"] += part.function.arguments or ""

    def _watch(self, iterator: Iterator[Any]) -> Iterator[Any]:
        try:
            for chunk in iterator:
                self._chunk(chunk)
                yield chunk
        except BaseException as exc:
            self.fail(exc)
            raise
        self.finish()

    async def _awatch(self, iterator: AsyncIterator[Any]) -> AsyncIterator[Any]:
        try:
            async for chunk in iterator:
                self._chunk(chunk)
                yield chunk
        except BaseException as exc:
            self.fail(exc)
            raise
        self.finish()

    def _closing(self, close: Callable[[], None]) -> Callable[[], None]:
        def closed() -> None:
            close()
            self.finish()

        return closed

    def _aclosing(self, close: Callable[[], Any]) -> Callable[[], Any]:
        async def closed() -> None:
            await close()
            self.finish()

        return closed

    # -- ending ---------------------------------------------------------------------------------
    def finish(self) -> None:
        if self.done:
            return
        self.done = True
        self.timing.end()
        text = "".join(self.text)
        usage = self.usage
        tool_calls = [self.tool_calls[i] for i in sorted(self.tool_calls)] or None
        generation, step, timing = self.generation, self.step, self.timing
        if usage is not None:
            prompt_tokens = getattr(usage, "prompt_tokens", None)
            output_tokens = getattr(usage, "completion_tokens", None)
            total = getattr(usage, "total_tokens", None)
        else:  # a stream without usage: each chunk carries about one token
            prompt_tokens, output_tokens, total = None, self.chunks or None, None

        def apply() -> None:
            generation.input_token_count = prompt_tokens
            generation.output_token_count = output_tokens
            generation.token_count = total
            timing.fill(generation)
            if isinstance(generation, ChatGeneration):
                generation.message_completion = generation_message(self.role, text, tool_calls=tool_calls)
                step.output = completion_text(generation.message_completion)
            elif isinstance(generation, CompletionGeneration):
                generation.completion = text
                step.output = text
            step.end = iso(timing.wall_end)
            step._update_now()

        on_chat_loop(apply)

    def fail(self, exc: BaseException) -> None:
        """End with an error; a call that was cancelled or left unread ends with what it got."""
        if isinstance(exc, asyncio.CancelledError | GeneratorExit):
            self.finish()
            return
        if self.done:
            return
        self.done = True
        self.timing.end()
        generation, step, timing = self.generation, self.step, self.timing
        message = str(exc) or type(exc).__name__

        def apply() -> None:
            timing.fill(generation)
            generation.error = message
            step.is_error = True
            step.output = message
            step.end = iso(timing.wall_end)
            step._update_now()

        on_chat_loop(apply)


def _wrap(method: Callable[..., Any], kind: str, is_async: bool) -> Callable[..., Any]:
    if is_async:

        @functools.wraps(method)
        async def acall(self: Any, *args: Any, **kwargs: Any) -> Any:
            if not in_chat():
                return await method(self, *args, **kwargs)
            kwargs = _materialize(kwargs)
            call = _Call(kind, kwargs)
            try:
                result = await method(self, *args, **kwargs)
            except BaseException as exc:
                call.fail(exc)
                raise
            return call.observe(result)

        wrapper: Callable[..., Any] = acall
    else:

        @functools.wraps(method)
        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            if not in_chat():
                return method(self, *args, **kwargs)
            kwargs = _materialize(kwargs)
            record = _Call(kind, kwargs)
            try:
                result = method(self, *args, **kwargs)
            except BaseException as exc:
                record.fail(exc)
                raise
            return record.observe(result)

        wrapper = call
    setattr(wrapper, _ORIGINAL, method)
    return wrapper


def _materialize(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Lists for the iterables we read (messages, tools), so that the call still gets them."""
    out = dict(kwargs)
    for key in ("messages", "tools", "functions"):
        value = out.get(key)
        if value is not None and _given(value) and not isinstance(value, list | str | dict):
            out[key] = list(value)
    return out


def is_instrumented() -> bool:
    """Whether :func:`instrument_openai` is in effect."""
    return all(hasattr(getattr(cls, name), _ORIGINAL) for cls, name, _ in _TARGETS if hasattr(cls, name))


def instrument_openai() -> None:
    """Show every chat and completion call of the ``openai`` client as an ``llm`` step.

    Call it once (calling it again changes nothing). Covers ``OpenAI`` and ``AsyncOpenAI``
    (and Azure's), streaming or not, with tool calls; only calls made inside a chat
    handler or an open step are recorded.
    """
    for cls, name, kind in _TARGETS:
        method = cls.__dict__.get(name)
        if method is None or hasattr(method, _ORIGINAL):
            continue
        setattr(cls, name, _wrap(method, kind, issubclass(cls, _ASYNC)))


def uninstrument_openai() -> None:
    """Undo :func:`instrument_openai`."""
    for cls, name, _ in _TARGETS:
        method = cls.__dict__.get(name)
        if method is not None and hasattr(method, _ORIGINAL):
            setattr(cls, name, getattr(method, _ORIGINAL))
