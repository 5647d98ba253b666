"""The saved-notebook copy's two forms: HTML, and the live form a Jupyter server turns into
HTML as it saves the notebook.

``app.display()`` puts the conversation's HTML next to the widget, in outputs of its own,
for readers without a kernel (nbviewer, GitHub, ``nbconvert``). JupyterLab's table of
contents sanitizes and parses every ``text/html`` output of a cell again whenever one of
them changes, so a transcript of megabytes costs the page a long task after every answer.

When a chat's page says that its server runs chatwidget's server extension (which saves
through :func:`html_for_saving`), the kernel sends the copy as ``LIVE_MIME`` instead: no
renderer and no table of contents reads it while the notebook is open, and the file on
disk holds ``text/html`` as before. Where nothing says so (``nbconvert --execute``,
papermill, nbval, another front end) the copy is ``text/html`` from the start.
"""

from __future__ import annotations

from typing import Any

#: The mime type of the copy's outputs while the notebook is open in a page whose server
#: turns them into ``text/html`` when it saves.
LIVE_MIME = "application/vnd.chatwidget.saved-copy+html"
HTML_MIME = "text/html"


def html_for_saving(notebook: dict[str, Any]) -> int:
    """Turn the copy's live outputs into ``text/html`` in ``notebook`` (nbformat 4 JSON,
    changed in place); returns how many outputs changed. Anything else is left as it is."""
    changed = 0
    cells = notebook.get("cells")
    if not isinstance(cells, list):
        return 0
    for cell in cells:
        outputs = cell.get("outputs") if isinstance(cell, dict) else None
        if not isinstance(outputs, list):
            continue
        for output in outputs:
            data = output.get("data") if isinstance(output, dict) else None
            if isinstance(data, dict) and LIVE_MIME in data:
                html = data.pop(LIVE_MIME)
                data.setdefault(HTML_MIME, html)
                changed += 1
    return changed
