"""``Step``: a unit of work shown as a collapsible block, nested through a context variable."""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable
from contextvars import Token
from types import TracebackType
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, overload

from ._base import StepBase
from ._context import current_step
from ._sync import on_loop
from ._util import utc_now

if TYPE_CHECKING:
    from .data.types import StepDict

P = ParamSpec("P")
R = TypeVar("R")


class Step(StepBase):
    """A step of the answer: a tool call, an LLM call, a retrieval...

    Use it as ``async with cw.Step(name=..., type="tool") as step:`` (or ``with`` in
    synchronous code), or decorate a function with :func:`step`. A step or message created
    inside the block becomes its child, across ``await``s. If the body raises, the step is
    marked as an error with the exception's text, and the exception propagates.
    """

    def __init__(
        self,
        name: str = "Step",
        type: str = "undefined",
        id: str | None = None,
        parent_id: str | None = None,
        thread_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        tags: list[str] | None = None,
        language: str | None = None,
        default_open: bool = False,
        show_input: bool | str = "json",
        elements: list[Any] | None = None,
        icon: str | None = None,
        auto_collapse: bool = False,
    ) -> None:
        super().__init__(
            name=name,
            type=type,
            id=id,
            parent_id=parent_id,
            thread_id=thread_id,
            metadata=metadata,
            tags=tags,
            language=language,
            default_open=default_open,
            show_input=show_input,
        )
        self.elements = list(elements or [])
        #: A Lucide icon name shown instead of the author's avatar (``"search"``).
        self.icon = icon
        #: Fold the step once it has finished.
        self.auto_collapse = auto_collapse
        self._context_token: Token[Step | None] | None = None

    def to_dict(self) -> StepDict:
        data = super().to_dict()
        if self.icon:
            data["icon"] = self.icon
        if self.auto_collapse:
            data["autoCollapse"] = True
        return data

    @property
    def input(self) -> str:
        return self._input

    @input.setter
    def input(self, value: Any) -> None:
        self._input = self._set_input(value)

    # -- explicit API ------------------------------------------------------------
    async def send(self) -> Step:
        self._send_now()
        return self

    async def update(self) -> Step:
        self._update_now()
        return self

    async def remove(self) -> bool:
        return self._remove_now()

    async def stream_token(self, token: str, is_sequence: bool = False, is_input: bool = False) -> None:
        if is_input:
            self.input = token if is_sequence else self.input + token
            self._update_now()
            return
        self._stream_now(token, is_sequence)

    # -- context manager -----------------------------------------------------------
    def _enter(self) -> None:
        self.start = utc_now()
        self._context_token = current_step.set(self)
        self._send_now()

    def _exit(self, exc: BaseException | None) -> None:
        self.end = utc_now()
        if exc is not None and not isinstance(exc, asyncio.CancelledError | GeneratorExit):
            self.is_error = True
            self.output = str(exc) or type(exc).__name__
        self._end_stream()
        self._update_now()

    def _reset_context(self) -> None:
        if self._context_token is not None:
            current_step.reset(self._context_token)
            self._context_token = None

    async def __aenter__(self) -> Step:
        self._enter()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._reset_context()
        self._exit(exc)

    def __enter__(self) -> Step:
        # The context variable is set in the caller's thread; the history is touched on the loop.
        self.start = utc_now()
        self._context_token = current_step.set(self)
        on_loop(self._send_now)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._reset_context()
        on_loop(functools.partial(self._exit, exc))


@overload
def step(fn: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def step(
    fn: None = None,
    /,
    *,
    name: str | None = None,
    type: str = "undefined",
    show_input: bool | str = "json",
    language: str | None = None,
    default_open: bool = False,
    tags: list[str] | None = None,
    metadata: dict[str, Any] | None = None,
    icon: str | None = None,
    auto_collapse: bool = False,
    id: str | None = None,
    parent_id: str | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def step(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    type: str = "undefined",
    show_input: bool | str = "json",
    language: str | None = None,
    default_open: bool = False,
    tags: list[str] | None = None,
    metadata: dict[str, Any] | None = None,
    icon: str | None = None,
    auto_collapse: bool = False,
    id: str | None = None,
    parent_id: str | None = None,
) -> Any:
    """Run a function as a step: its arguments become the input, its result the output.

    ``id`` and ``parent_id`` fix the step's identity and place (default: a new id, and the
    step open around the call); ``icon`` and ``auto_collapse`` are as on :class:`Step`.
    """

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(func)

        def make_step(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Step:
            s = Step(
                name=name or func.__name__,
                type=type,
                show_input=show_input,
                language=language,
                default_open=default_open,
                tags=tags,
                metadata=metadata,
                icon=icon,
                auto_collapse=auto_collapse,
                id=id,
                parent_id=parent_id,
            )
            try:
                bound = signature.bind(*args, **kwargs)
                s.input = {k: v for k, v in bound.arguments.items() if k not in ("self", "cls")}
            except TypeError:
                s.input = {"args": list(args), "kwargs": kwargs}
            return s

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                async with make_step(args, kwargs) as s:
                    result = await func(*args, **kwargs)
                    if result is not None and not s.output:
                        s.output = result
                    return result

            return async_wrapper

        @functools.wraps(func)
        def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
            with make_step(args, kwargs) as s:
                result = func(*args, **kwargs)
                if result is not None and not s.output:
                    s.output = result
                return result

        return sync_wrapper

    return decorate(fn) if fn is not None else decorate
