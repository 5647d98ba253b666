"""The default name of a chat app: the notebook (or script) it is made in, and its title.

Threads are listed per app (``ChatApp.name``), so the name must come out the same every time
the same app is run: after a kernel restart, a re-run of the cell, under Voila. What is
stable is where the app is written and what it is called, so the default is
``"<notebook path>: <title>"``, the path with the home folder written ``~``:

* JupyterLab and Notebook start a kernel with ``$JPY_SESSION_NAME``, the notebook's path;
* Voila starts it in the notebook's folder with the page's address in ``$SCRIPT_NAME``
  (``.../voila/render/<notebook>``), which gives the file's name;
* VS Code puts the notebook's path in the namespace as ``__vsc_ipynb_file__``;
* a script run as ``python app.py`` has ``__main__.__file__``.

Without any of these (an interactive interpreter) the name is the title alone. A notebook
that is moved or renamed makes a new app: its earlier threads are listed under "all apps";
give ``ChatApp(name=...)`` for a name that survives moves.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import unquote

#: How many characters of a path are kept, and of the whole name (what a thread stores).
MAX_SOURCE_CHARS = 200
MAX_NAME_CHARS = 255


def _notebook_path() -> str | None:
    session = os.environ.get("JPY_SESSION_NAME")
    if session:
        return session
    script = os.environ.get("SCRIPT_NAME", "")
    if "/voila/render/" in script or os.environ.get("VOILA_REQUEST_URL"):
        name = unquote(script.rstrip("/").rsplit("/", 1)[-1])
        if name.endswith(".ipynb"):
            return os.path.join(os.getcwd(), name)
    shell = sys.modules.get("IPython")
    get_ipython = getattr(shell, "get_ipython", None)
    ip = get_ipython() if get_ipython is not None else None
    vscode = getattr(ip, "user_ns", {}).get("__vsc_ipynb_file__") if ip is not None else None
    if isinstance(vscode, str) and vscode:
        return vscode
    main = sys.modules.get("__main__")
    file = getattr(main, "__file__", None)
    if isinstance(file, str) and file and not _is_launcher(file):
        return os.path.abspath(file)
    return None


def _is_launcher(file: str) -> bool:
    """The kernel's own entry point or a test runner is not where an app is written."""
    name = Path(file).name
    return name in ("ipykernel_launcher.py", "__main__.py") or "pytest" in name


def short_path(path: str) -> str:
    """``path`` with the home folder as ``~``, and at most its last ``MAX_SOURCE_CHARS`` characters."""
    home = str(Path.home())
    text = os.path.normpath(path)
    if home not in ("", "/") and (text == home or text.startswith(home + os.sep)):
        text = "~" + text[len(home) :]
    return text if len(text) <= MAX_SOURCE_CHARS else "…" + text[-(MAX_SOURCE_CHARS - 1) :]


def default_app_name(title: str) -> str:
    """``"<notebook path>: <title>"``, or the title alone when no notebook or script is known."""
    source = _notebook_path()
    name = f"{short_path(source)}: {title}" if source else title
    return name[:MAX_NAME_CHARS]
