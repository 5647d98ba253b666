"""A guard against ipykernel 7 giving a cell the previous cell's parent header.

While an async cell awaits, ipykernel 7 handles a comm message that reaches the main shell
beside it (``Kernel.shell_main``), and afterwards puts back the parent header it saw when the
message arrived, in the context every main-shell message shares. When that cell ended
meanwhile and the next queued one began, the next cell's header is overwritten: its 'idle'
goes out under the previous cell's id, and JupyterLab shows it running for ever (Run All,
with a chat whose views talk to the kernel while its cells await). The guard makes that
restore put back the header of the cell running *now*, which is what it is for.
"""

from __future__ import annotations

import sys
import weakref
from typing import Any

#: The ipykernel names the guard relies on; without any of them it stays out of the way.
_NEEDED = ("set_parent", "get_parent", "_get_shell_context_var", "_shell_parent_ident", "_main_asyncio_lock")

_guarded: weakref.WeakSet[Any] = weakref.WeakSet()


def _running_kernel() -> Any:
    if "ipykernel" not in sys.modules:
        return None
    from ipykernel.kernelbase import Kernel

    return Kernel.instance() if Kernel.initialized() else None


def guard_parent_restores() -> None:
    """Install the guard on the running kernel, once; elsewhere (a script, Voila's own
    kernel of another kind, another ipykernel) do nothing."""
    kernel = _running_kernel()
    if kernel is None or kernel in _guarded or not all(hasattr(kernel, name) for name in _NEEDED):
        return
    original = kernel.set_parent

    def set_parent(ident: Any, parent: Any, channel: str = "shell") -> None:
        if channel == "shell" and sys._getframe(1).f_code.co_name == "shell_main":
            # The restore after a comm handled beside a cell: the header current in the
            # shared context is the running cell's (the comm's own was set in a copy).
            parent = kernel.get_parent("shell")
            ident = kernel._get_shell_context_var(kernel._shell_parent_ident)
        original(ident, parent, channel)

    kernel.set_parent = set_parent
    _guarded.add(kernel)
