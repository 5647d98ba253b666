"""Reference hooks that have no handler slot on ``ChatApp`` (sign-in, app start/stop...)."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..app import ChatApp

_hooks: weakref.WeakKeyDictionary[ChatApp, dict[str, Callable[..., Any]]] = weakref.WeakKeyDictionary()


def hooks_of(app: ChatApp) -> dict[str, Callable[..., Any]]:
    """The hooks a Chainlit file registered for ``app``, by the reference's decorator name."""
    return _hooks.setdefault(app, {})
