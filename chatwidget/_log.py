"""Where chatwidget's log goes when it runs in a kernel.

In a kernel, ``sys.stderr`` is forwarded to the notebook's page (and to every viewer of a
dashboard), so a traceback logged the usual way would reach the browser. Inside a kernel
the ``chatwidget`` logger therefore writes to the process's own stderr, which the Jupyter
server collects in its log, and does not propagate to the root logger. Configure the
``chatwidget`` logger yourself to send it elsewhere.
"""

from __future__ import annotations

import logging
import sys

log = logging.getLogger("chatwidget")


def _in_kernel() -> bool:
    shell = sys.modules.get("IPython")
    get_ipython = getattr(shell, "get_ipython", None)
    return get_ipython is not None and type(get_ipython()).__name__ == "ZMQInteractiveShell"


def route_log_to_server() -> None:
    if log.handlers or not _in_kernel() or sys.__stderr__ is None:
        return
    handler = logging.StreamHandler(sys.__stderr__)
    handler.setFormatter(logging.Formatter("[%(levelname)s %(asctime)s %(name)s] %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
