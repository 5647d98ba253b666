"""pytest plugin: drive any ChatApp headless in a test (no browser, no kernel).

async def test_greets(chat):
    app = chat(my_app)           # or chat() for a fresh cw.ChatApp
    await app.send_user_message("hi")
    assert "Hello" in app.transcript()
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .app import ChatApp


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
