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
