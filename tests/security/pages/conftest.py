"""Hostile pages, payloads and sizes in a real JupyterLab and Chromium.

These tests drive the sync Playwright API; the JupyterLab and page fixtures come from
``tests/browser/lab_fixtures.py``. Their JupyterLab is another process, so pytest-jupyter's
in-process server cleanup, which the server tests of ``tests/security`` run on their asyncio
loop, has nothing to do here, and could not run while Playwright's loop does.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def jp_server_cleanup() -> None:
    """No in-process Jupyter server to clean up."""
