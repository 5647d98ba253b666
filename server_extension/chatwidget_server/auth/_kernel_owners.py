"""Which user each kernel was started for, so that an app user reaches only their own.

An app user never starts a kernel through the kernels API (it is closed to them); Voila's
page handler starts one for them while it serves ``voila/render/<app>``. The server's
kernel manager has no notion of whose kernel it is, so :meth:`KernelOwners.track` wraps
its ``start_kernel`` (on that one instance, no class is changed): the request being served
is jupyter_server's ``CallContext`` handler, and its user is recorded as the owner of the
new kernel id. A kernel started outside a request (by the server itself) has no owner and
is reachable by developers only.
"""

from __future__ import annotations

import functools
from typing import Any

from jupyter_core.utils import ensure_async
from jupyter_server.base.call_context import CallContext

_MARK = "_chatwidget_tracks_owners"


class KernelOwners:
    def __init__(self) -> None:
        self._owners: dict[str, str] = {}
        self._kernel_manager: Any = None

    def track(self, kernel_manager: Any) -> None:
        """Record the requesting user of every kernel ``kernel_manager`` starts from now on."""
        self._kernel_manager = kernel_manager
        start = kernel_manager.start_kernel
        if getattr(start, _MARK, False):
            return

        @functools.wraps(start)
        async def start_kernel(*args: Any, **kwargs: Any) -> str:
            kernel_id: str = await ensure_async(start(*args, **kwargs))
            handler = CallContext.get(CallContext.JUPYTER_HANDLER)
            user = getattr(handler, "current_user", None)
            username = getattr(user, "username", None)
            if isinstance(username, str) and username:
                self.record(kernel_id, username)
            return kernel_id

        setattr(start_kernel, _MARK, True)
        kernel_manager.start_kernel = start_kernel

    def record(self, kernel_id: str, username: str) -> None:
        self._prune()
        self._owners[kernel_id] = username

    def owner(self, kernel_id: str) -> str | None:
        """The user a running kernel was started for, or ``None``."""
        owner = self._owners.get(kernel_id)
        if owner is not None and not self._running(kernel_id):
            del self._owners[kernel_id]
            return None
        return owner

    def owns(self, kernel_id: str, username: str) -> bool:
        return bool(username) and self.owner(kernel_id) == username

    def _running(self, kernel_id: str) -> bool:
        km = self._kernel_manager
        return km is None or kernel_id in km

    def _prune(self) -> None:
        if self._kernel_manager is None or len(self._owners) < 256:
            return
        for kernel_id in [k for k in self._owners if not self._running(k)]:
            del self._owners[kernel_id]
