"""pytest plugin: drive any ChatApp headless in a test (no browser, no kernel).

async def test_greets(chat):
    app = chat(my_app)           # or chat() for a fresh cw.ChatApp
    await app.send_user_message("hi")
    assert "Hello" in app.transcript()

``chat_views`` records what a (non-headless) app's widget sends and can act as the browser:
``app = cw.ChatApp(); comm = chat_views[0]; comm.browser_sends({...}); comm.customs("reply")``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .app import ChatApp
from .testing import RecordingComm, recording_comms


@pytest.fixture
def chat() -> Iterator[Callable[..., ChatApp]]:
    """Returns a function that gives a headless ChatApp (a new one, or yours) and closes it after the test."""
    apps: list[ChatApp] = []

    def make(app: ChatApp | None = None, **kwargs: Any) -> ChatApp:
        app = app or ChatApp(headless=True, **kwargs)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()


@pytest.fixture
def chat_views() -> Iterator[list[RecordingComm]]:
    """The recording comms of the widgets created during the test, in order."""
    with recording_comms() as comms:
        yield comms


def _is_transcript(output: Any) -> bool:
    metadata = output.get("metadata") if isinstance(output, dict) else None
    return isinstance(metadata, dict) and isinstance(metadata.get("chatwidget"), dict)


def pytest_configure(config: pytest.Config) -> None:
    """Under ``pytest --nbval``: leave the chat's saved transcript out of the comparison.

    ``app.display()`` shows, besides the widget, HTML copies of the transcript that the chat
    keeps rewriting after the cell ran (as the conversation goes on). A notebook saved after
    chatting therefore holds outputs its display cell never produces when re-run; they are
    marked (:data:`chatwidget._static.OUTPUT_METADATA`) and compared on neither side, so a
    notebook that displays a chat passes strict nbval as written.
    """
    try:
        from nbval.plugin import IPyNbCell
    except ImportError:  # nbval is not installed: nothing to adapt
        return
    compare = IPyNbCell.compare_outputs
    if getattr(compare, "_chatwidget", False):
        return

    def compare_outputs(self: Any, test: Any, ref: Any, skip_compare: Any = None) -> Any:
        test = [o for o in test if not _is_transcript(o)]
        ref = [o for o in ref if not _is_transcript(o)]
        return compare(self, test, ref, skip_compare)

    compare_outputs._chatwidget = True  # type: ignore[attr-defined]
    IPyNbCell.compare_outputs = compare_outputs
