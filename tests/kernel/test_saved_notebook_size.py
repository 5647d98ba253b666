"""A saved notebook carries each chat's transcript, not the front end: executed with its widget
state stored (as nbclient and ``jupyter nbconvert --execute`` store it), a notebook with chats is
at most 50 KB larger than its transcripts."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

LIMIT = 50_000
#: What each further chat may add beyond its transcript: its loader (2 KB), its state traits,
#: its view output, and the JSON escaping of it all.
PER_CHAT = 10_000


def saved(tmp_path: Path, chats: int) -> tuple[int, int, int]:
    """(file size, transcript outputs' size, widget state size) of an executed, saved notebook."""
    code = f"""
import chatwidget as cw

async def reply(message):
    await cw.Message(f"**Answer** to {{message.content}}: " + "lorem ipsum " * 20).send()

apps = [cw.ChatApp(title=f"Chat {{i}}", persist=False) for i in range({chats})]
for a in apps:
    a.on_message(reply)
    a.display()
"""
    talk = "for a in apps:\n    for q in range(3):\n        await a.send_user_message(f'question {q}')"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code), nbformat.v4.new_code_cell(talk)]
    NotebookClient(nb, timeout=120, kernel_name="python3", store_widget_state=True).execute()
    path = tmp_path / "saved.ipynb"
    nbformat.write(nb, path)
    transcript = sum(
        len(json.dumps(out, separators=(",", ":")))
        for cell in nb.cells
        for out in cell.get("outputs", [])
        if out.get("metadata", {}).get("chatwidget", {}).get("transcript")
    )
    state = len(json.dumps(nb.metadata.get("widgets", {}), separators=(",", ":")))
    return path.stat().st_size, transcript, state


@pytest.mark.parametrize("chats", [1, 10])
def test_a_saved_notebook_is_its_transcripts_and_little_more(tmp_path: Path, chats: int) -> None:
    size, transcript, state = saved(tmp_path, chats)
    assert transcript > 0, "no transcript copy in the saved notebook"
    assert state > 0, "no widget state was saved"
    why = f"{size:,} B saved, {transcript:,} B of transcripts, state {state:,} B"
    assert size - transcript <= LIMIT + (chats - 1) * PER_CHAT, why


def test_its_html_export_shows_the_transcripts_and_carries_no_bundle(tmp_path: Path) -> None:
    import subprocess
    import sys

    saved(tmp_path, 1)
    subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", str(tmp_path / "saved.ipynb")],
        check=True,
        capture_output=True,
        timeout=120,
    )
    page = (tmp_path / "saved.html").read_text()
    assert "question 2" in page and "<strong>Answer</strong>" in page  # the transcript, rendered
    assert "application/vnd.jupyter.widget-state+json" in page  # the widget state is embedded...
    assert "renderShared" not in page  # ...with the loader only, not the bundle
