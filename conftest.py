"""Shared by every test directory.

Browser tests run last: they keep a Playwright (sync API) session open until the end of
the pytest session, and while it is open asyncio tests can't get an event loop of their own.

Every test process (and every kernel or server it starts) keeps its threads in a temporary
SQLite file, never in the user's Jupyter data directory.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The JupyterLab and page fixtures of the browser tests (tests/browser/lab_fixtures.py), and
# an S3-compatible server for the element tests (tests/moto_s3.py).
pytest_plugins = ["browser.lab_fixtures", "moto_s3"]

_db_dir = Path(tempfile.mkdtemp(prefix="chatwidget-tests-"))
os.environ.setdefault("CHATWIDGET_DATABASE_URL", f"sqlite+aiosqlite:///{_db_dir / 'chatwidget.db'}")


_BROWSER_TESTS = Path(__file__).resolve().parent / "tests" / "browser"


def _uses_a_browser(item: pytest.Item) -> bool:
    return item.get_closest_marker("browser") is not None or _BROWSER_TESTS in item.path.parents


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_uses_a_browser)  # stable: keeps the order otherwise


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for every browser test of the run, wherever the test lives: a
    second sync Playwright in the same process cannot start while the first one runs."""
    sys.path.insert(0, str(_BROWSER_TESTS))
    from labdriver import CHROMIUM, CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()
