"""``chainlit.data``: a data layer written against the reference, kept by chatwidget.

The reference hands ``create_element`` an element object; chatwidget hands it the
element's dict and bytes. A subclass written for the reference gets what its method
signature asks for: an object view of the element, and only the keyword arguments of
``update_thread`` it declares (whose ``None`` result counts as done). Writes are queued
until the first user message in any case, so ``queue_until_user_message`` has nothing
left to do.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from ...data import BaseDataLayer as _BaseDataLayer
from ...data import DataLayerError

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["BaseDataLayer", "DataLayerError", "queue_until_user_message"]


class BaseDataLayer(_BaseDataLayer):
    """The reference's ``BaseDataLayer``, as chatwidget's with the reference's optional parts."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        create = cls.__dict__.get("create_element")
        if create is not None and len(inspect.signature(create).parameters) < 3:  # (self, element)

            @functools.wraps(create)
            async def create_element(self: Any, element: Any, content: bytes | None = None) -> None:
                await create(self, _ElementView(element))

            cls.create_element = create_element  # type: ignore[method-assign]
        update = cls.__dict__.get("update_thread")
        if update is not None:
            taken = set(inspect.signature(update).parameters)

            @functools.wraps(update)
            async def update_thread(self: Any, thread_id: str, *args: Any, **fields: Any) -> bool:
                # The reference's returns nothing: a write that raised nothing was done.
                done = await update(self, thread_id, *args, **{k: v for k, v in fields.items() if k in taken})
                return True if done is None else bool(done)

            cls.update_thread = update_thread  # type: ignore[method-assign]

    async def read_element_content(self, thread_id: str, element_id: str) -> bytes | None:
        return None

    async def get_favorite_steps(self, user_id: str) -> list[Any]:
        return []

    async def build_debug_url(self) -> str:
        return ""


class _ElementView:
    """An element's dict seen as the reference's element object (``element.url``, ``to_dict()``)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = dict(data)

    def __getattr__(self, name: str) -> Any:
        camel = "".join(p if i == 0 else p.capitalize() for i, p in enumerate(name.split("_")))
        return self._data.get(name, self._data.get(camel))

    def to_dict(self) -> dict[str, Any]:
        return dict(self._data)


def queue_until_user_message() -> Callable[[F], F]:
    """Kept for reference code: chatwidget already holds writes until the first user message."""

    def keep(fn: F) -> F:
        return fn

    return keep
