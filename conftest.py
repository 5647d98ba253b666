"""Shared by every test directory: browser tests run last.

The browser tests keep a Playwright (sync API) session open until the end of the pytest
session; while it is open, asyncio tests can't get an event loop of their own.
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)  # stable: keeps order
