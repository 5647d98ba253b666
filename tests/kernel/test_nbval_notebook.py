"""A user's notebook that displays a chat and drives it passes strict ``pytest --nbval`` as written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

CELLS = [
    """
import chatwidget as cw

app = cw.ChatApp(title="Mine", persist=False)

@app.on_message
async def echo(message):
    print("handler saw", message.content)
    await cw.Message(f"echo: {message.content}").send()

app.display()
""",
    'await app.send_user_message("hello")',
    'await app.send_user_message("again")',
    "print(app.transcript())",
]


def saved_after_chatting(folder: Path) -> Path:
    """Run the notebook as a user would and save it, outputs and display updates included."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(c.strip()) for c in CELLS]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    path = folder / "mine.ipynb"
    nbformat.write(notebook, path)
    return path


def nbval(path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval",
            "--nbval-current-env",
            "-q",
            "-p",
            "no:cacheprovider",
            *extra,
            str(path),
        ],
        cwd=path.parent,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_a_displayed_chat_passes_strict_nbval(tmp_path: Path) -> None:
    path = saved_after_chatting(tmp_path)
    display_cell = nbformat.read(path, as_version=4).cells[0]
    assert any("echo: again" in str(o.get("data", {})) for o in display_cell.outputs)  # the saved copy
    result = nbval(path)
    assert result.returncode == 0, result.stdout[-3000:]
    # Without the plugin the display cell's saved transcript would differ from a fresh run's.
    assert nbval(path, "-p", "no:chatwidget").returncode != 0
