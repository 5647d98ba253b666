"""Fixtures for browser tests, wherever they live (``tests/browser``, and the hostile-page
tests in ``tests/security``): one JupyterLab per session, a fresh browser context per test,
a screenshot and a console log of every test in test-artifacts/. The root ``conftest.py``
loads this module as a plugin, so one JupyterLab serves every folder."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The helper labdriver imports by name under any --import-mode, from any test folder.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from labdriver import (
    ARTIFACTS,
    TIMEOUT_MS,
    JupyterLab,
    MakeNotebook,
    Notebook,
    PageEvents,
    safe_name,
    write_notebook,
)
from playwright.sync_api import Browser, Page, expect


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)  # the page fixture names its screenshot by it
    return report


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    home = tmp_path_factory.mktemp("jupyter-home")
    server = JupyterLab(root=home / "notebooks", home=home, log_path=ARTIFACTS / "jupyter-lab.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def page_events() -> PageEvents:
    return PageEvents()


@pytest.fixture
def page(
    browser: Browser, lab: JupyterLab, page_events: PageEvents, request: pytest.FixtureRequest
) -> Iterator[Page]:
    expect.set_options(timeout=TIMEOUT_MS)
    context = browser.new_context(viewport={"width": 1280, "height": 960})
    context.set_default_timeout(TIMEOUT_MS)
    pg = context.new_page()

    def on_dialog(dialog: Any) -> None:
        page_events.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    pg.on("dialog", on_dialog)
    context.on("page", lambda p: page_events.popups.append(p.url))
    pg.on("console", lambda m: page_events.console.append(f"{m.type}: {m.text}"))
    pg.on("pageerror", lambda e: page_events.errors.append(str(e)))
    pg.on("websocket", lambda ws: ws.on("framereceived", page_events.on_frame))
    yield pg

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    reports = [getattr(request.node, f"rep_{when}", None) for when in ("setup", "call")]
    failed = any(r is not None and r.failed for r in reports)
    name = ("FAIL-" if failed else "") + safe_name(request.node.name)
    try:
        pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), timeout=10_000)
    except Exception as exc:  # a crashed page must not hide the test's own failure
        page_events.errors.append(f"screenshot failed: {exc}")
    lines = [
        *page_events.console,
        *(f"pageerror: {e}" for e in page_events.errors),
        *(f"dialog: {d}" for d in page_events.dialogs),
        *(f"popup: {p}" for p in page_events.popups),
        *(f"traceback in a websocket frame: {t}" for t in page_events.tracebacks),
    ]
    (ARTIFACTS / f"{name}.console.txt").write_text("\n".join(lines) + "\n")
    context.close()
    lab.shutdown_sessions()


@pytest.fixture
def notebook(lab: JupyterLab, page: Page, request: pytest.FixtureRequest) -> MakeNotebook:
    """notebook(cells) writes a notebook named after the test into Lab's root, opens it and
    waits for its kernel; run cells with .run_all() / .add_and_run(code)."""

    def make(cells: list[str]) -> Notebook:
        path = write_notebook(lab.root, safe_name(request.node.name), cells)
        return Notebook(page, path).open(lab)

    return make


@pytest.fixture(scope="session", autouse=True)
def _fresh_artifacts() -> None:
    """Screenshots of an earlier run must not be mistaken for this one's."""
    for p in [*ARTIFACTS.glob("*.png"), *ARTIFACTS.glob("*.console.txt")]:
        p.unlink()
