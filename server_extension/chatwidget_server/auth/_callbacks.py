"""The deployment's hooks: ``password_auth_callback`` and ``oauth_callback``.

Either may be a callable or the import string of one, sync or async. A synchronous hook
runs in a worker thread (it may hash a password or call a directory). A hook that raises
denies the login; the traceback goes to the server log.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

from traitlets.utils.importstring import import_item

from chatwidget.data import User as ChatUser


def load(value: object, name: str) -> Callable[..., Any] | None:
    if value is None or value == "":
        return None
    hook = import_item(value) if isinstance(value, str) else value
    if not callable(hook):
        raise TypeError(f"ChatIdentityProvider.{name} is not callable: {hook!r}")
    return hook  # type: ignore[no-any-return]


async def call(hook: Callable[..., Any], *args: Any) -> ChatUser | None:
    """The hook's answer: a ``chatwidget.data.User`` accepts, anything else refuses."""
    if inspect.iscoroutinefunction(hook):
        result = await hook(*args)
    else:
        result = await asyncio.to_thread(hook, *args)
        if inspect.isawaitable(result):
            result = await result
    return result if isinstance(result, ChatUser) else None
