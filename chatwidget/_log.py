"""Where chatwidget's log goes when it runs in a kernel.

In a kernel, ``sys.stderr`` (and the process's file descriptor 2) is forwarded to the
notebook's page and to every viewer of a dashboard, so a traceback logged the usual way
would reach the browser. Inside a kernel the ``chatwidget`` logger therefore writes to the
terminal the kernel was started from (the Jupyter server's log), which ipykernel keeps a
copy of, or, failing that, to ``chatwidget-kernel-<pid>.log`` in the Jupyter runtime
directory. That handler is added once, only if the ``chatwidget`` logger has none yet:
configure the logger yourself (before creating an app) to send it elsewhere. Propagation to
the root logger is left as it is: the root logger is the notebook author's to configure.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TextIO

log = logging.getLogger("chatwidget")


def _in_kernel() -> bool:
    shell = sys.modules.get("IPython")
    get_ipython = getattr(shell, "get_ipython", None)
    return get_ipython is not None and type(get_ipython()).__name__ == "ZMQInteractiveShell"


def _server_stream() -> TextIO:
    try:  # ipykernel answers with its copy of the original stderr, not the forwarded one
        return os.fdopen(os.dup(sys.stderr.fileno()), "w", buffering=1)
    except (AttributeError, OSError, ValueError):
        from jupyter_core.paths import jupyter_runtime_dir

        path = Path(jupyter_runtime_dir()) / f"chatwidget-kernel-{os.getpid()}.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.open("a", buffering=1)


def route_log_to_server() -> None:
    if log.handlers or not _in_kernel():
        return
    handler = logging.StreamHandler(_server_stream())
    handler.setFormatter(logging.Formatter("[%(levelname)s %(asctime)s %(name)s] %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
