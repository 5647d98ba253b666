"""The same chat wherever Jupyter shows widgets: the side panel, Voila, a saved notebook."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from labdriver import (
    ARTIFACTS,
    REPO,
    TIMEOUT_MS,
    Chat,
    JupyterLab,
    Notebook,
    PageEvents,
    free_port,
    write_notebook,
)
from nbclient import NotebookClient
from playwright.sync_api import Browser, Page, expect

from chatwidget.saved_copy import LIVE_MIME

pytestmark = pytest.mark.browser

APP = """
import chatwidget as cw
app = cw.ChatApp(title="Surfaces", persist=False)

@app.on_message
async def reply(message):
    async with cw.Step(name="lookup", type="tool") as s:
        s.output = "found"
    answer = cw.Message("")
    for token in ["Hello ", "**", "world", "**"]:
        await answer.stream_token(token)
    await answer.send()
"""


def test_side_panel_and_inline_view_show_one_live_conversation(notebook, page: Page) -> None:
    nb = notebook([APP + "\napp.display()", "app.sidebar(title='Chat panel')"])
    nb.run_all()
    inline = Chat.find(page, 0)
    panel_root = page.locator(".jp-SideBar.jp-mod-right, #jp-right-stack").locator(".cw-root")
    expect(panel_root).to_be_visible()
    side = Chat(panel_root.first)
    side.send("typed in the side panel")
    for view in (inline, side):
        expect(view.root.locator(".cw-message.cw-user")).to_contain_text("typed in the side panel")
        expect(view.root.locator(".cw-message.cw-assistant strong")).to_have_text("world")
    inline.send("typed inline")
    expect(side.root.locator(".cw-message.cw-user").nth(1)).to_contain_text("typed inline")


# ---------------------------------------------------------------------------------- Voila
class Voila:
    """A standalone `voila` serving one notebook on a free loopback port."""

    def __init__(self, notebook: Path, lab: JupyterLab) -> None:
        self.notebook, self.port = notebook, free_port()
        self.env = lab.env()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = ARTIFACTS / f"voila-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def __enter__(self) -> Voila:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        argv = [
            sys.executable,
            "-m",
            "voila",
            self.notebook.name,
            "--no-browser",
            f"--port={self.port}",
            "--Voila.ip=127.0.0.1",
        ]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                argv,
                cwd=self.notebook.parent,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"voila exited; see {self.log_path}"
            try:  # any HTTP answer means it serves (this path answers 403)
                urllib.request.urlopen(self.url + "api/kernels", timeout=2)  # noqa: S310 - loopback
            except urllib.error.HTTPError:
                return self
            except OSError:
                pass
            else:
                return self
            time.sleep(0.25)
        raise TimeoutError(f"voila did not start; see {self.log_path}")

    def __exit__(self, *exc: object) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


@pytest.fixture
def dashboard(lab: JupyterLab, tmp_path: Path) -> Iterator[Voila]:
    notebook = tmp_path / "voila_dashboard.ipynb"
    shutil.copy(REPO / "examples" / "voila_dashboard.ipynb", notebook)
    with Voila(notebook, lab) as server:
        yield server


def open_dashboard(browser: Browser, server: Voila) -> tuple[Page, Chat]:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(server.url, timeout=60_000)
    chat = Chat.find(page, 0, timeout=60_000)
    expect(chat.root.locator(".cw-message.cw-assistant").first).to_contain_text("Welcome to the support desk")
    return page, chat


def test_voila_dashboard_streams_asks_and_runs_actions(browser: Browser, dashboard: Voila) -> None:
    page, chat = open_dashboard(browser, dashboard)
    try:
        chat.send("Hello there")
        expect(chat.assistant().last).to_contain_text("You said: Hello there", timeout=TIMEOUT_MS)
        chat.wait_idle()
        chat.send("About my ticket")
        expect(chat.assistant().last).to_contain_text("What is your ticket number?")
        chat.send("4711")
        expect(chat.assistant().last).to_contain_text("Ticket 4711 is being handled.")
        chat.wait_idle()
        chat.root.get_by_role("button", name="Opening hours").click()
        expect(chat.assistant().last).to_contain_text("We are open 9:00-17:00")
    finally:
        page.screenshot(path=str(ARTIFACTS / "voila-dashboard.png"))
        page.context.close()


def test_a_voila_visitor_sees_the_app_only(browser: Browser, dashboard: Voila) -> None:
    context = browser.new_context(viewport={"width": 420, "height": 800})
    page = context.new_page()
    try:
        page.goto(dashboard.url, timeout=60_000)
        chat = Chat.find(page, 0, timeout=60_000)
        expect(chat.root.locator(".cw-message.cw-assistant").first).to_contain_text("Welcome")
        text = page.locator("body").inner_text()
        for note in ("voila examples/", "driven headless", "Ticket 4711", "jupyter server"):
            assert note not in text, f"a visitor sees {note!r}"
        box = chat.root.bounding_box()
        assert box is not None and box["width"] <= 420
        page.screenshot(path=str(ARTIFACTS / "voila-visitor-420.png"))
    finally:
        context.close()


def test_two_voila_visitors_get_separate_conversations(browser: Browser, dashboard: Voila) -> None:
    first_page, first = open_dashboard(browser, dashboard)
    second_page, second = open_dashboard(browser, dashboard)
    try:
        expect(first.root.locator(".cw-message.cw-user")).to_have_count(0)  # visitors start afresh
        first.send("only for the first visitor")
        expect(first.root.locator(".cw-message.cw-user")).to_contain_text("only for the first visitor")
        first.wait_idle()
        second.send("the second visitor here")
        expect(second.root.locator(".cw-message.cw-user")).to_have_count(1)
        expect(second.root).not_to_contain_text("only for the first visitor")
        expect(first.root).not_to_contain_text("the second visitor here")
    finally:
        first_page.context.close()
        second_page.context.close()


FAILING_APP = """
import chatwidget as cw
app = cw.ChatApp(title="Fragile", persist=False)

@app.on_message
async def fragile(message):
    if message.content == "fail":
        raise RuntimeError("secret detail in the handler")
    await cw.Message(f"echo: {message.content}").send()

app.display()
"""


def test_voila_visitors_see_no_exception_text_or_traceback(
    browser: Browser, lab: JupyterLab, tmp_path: Path
) -> None:
    write_notebook(tmp_path, "fragile", [FAILING_APP])
    with Voila(tmp_path / "fragile.ipynb", lab) as server:
        context = browser.new_context(viewport={"width": 420, "height": 800})
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        events = PageEvents()
        page.on("websocket", lambda ws: ws.on("framereceived", events.on_frame))
        try:
            page.goto(server.url, timeout=60_000)
            chat = Chat.find(page, 0, timeout=60_000)
            chat.send("fail")
            expect(chat.root.locator(".cw-message.cw-error")).to_contain_text(
                "An error occurred (RuntimeError)."
            )
            chat.wait_idle()
            chat.send("again")
            expect(chat.assistant().last).to_contain_text("echo: again")
            assert "secret detail" not in page.content()
            assert events.tracebacks == [], events.tracebacks[0]
        finally:
            page.screenshot(path=str(ARTIFACTS / "voila-error.png"))
            context.close()


# -------------------------------------------------------------------------- saved notebooks
def test_the_open_notebook_keeps_the_copy_live_and_saves_it_as_html(
    notebook, lab: JupyterLab, page: Page
) -> None:
    """While the notebook is open, the copy is in its live form: the page renders none of it
    (nor does the table of contents parse it). Saved, the file holds its HTML."""
    nb = notebook([APP + "\napp.display()"])
    nb.run_all()
    chat = Chat.find(page)
    chat.send("save me live")
    expect(chat.assistant().last).to_contain_text("world")
    live = [[LIVE_MIME]]
    deadline = time.monotonic() + 20
    while nb.output_mimes(0)[1:] != live and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert nb.output_mimes(0)[1:] == live
    expect(page.locator(".cw-static")).to_have_count(0)

    saved_path = lab.root / nb.path
    while time.monotonic() < deadline:
        page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        page.wait_for_timeout(500)
        text = saved_path.read_text()
        if "save me live" in text:
            break
    saved = nbformat.read(saved_path, as_version=4)
    copies = [o for o in saved.cells[0].outputs if o.get("metadata", {}).get("chatwidget")]
    assert copies and all(list(o["data"]) == ["text/html"] for o in copies)
    assert "save me live" in copies[0]["data"]["text/html"]
    assert LIVE_MIME not in saved_path.read_text()


def test_a_copy_of_more_outputs_than_jupyterlab_draws_adds_no_button_under_the_chat(
    notebook, page: Page
) -> None:
    """JupyterLab draws a cell's first 50 outputs and a "Show more outputs" button for the
    rest; a long conversation's copy is more outputs than that (a chunk of about 12 KB each),
    none of which is drawn while the chat is live. A cell without a chat keeps its button."""
    long_chat = (
        APP
        + "\napp.display()\nfor i in range(60):"
        + "\n    await cw.Message(f'message {i} ' + 'word ' * 2500).send()\napp.flush()"
    )
    many = "from IPython.display import display\nfor i in range(60):\n    display(i)"
    nb = notebook([long_chat, many])
    nb.run_all()
    chat = Chat.find(page)
    expect(chat.root.locator(".cw-message").last).to_contain_text("message 59")
    deadline = time.monotonic() + 20
    while len(nb.output_mimes(0)) < 52 and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert len(nb.output_mimes(0)) > 51  # the widget and more than 50 chunks of the copy
    buttons = page.locator(".jp-TrimmedOutputs-button")
    expect(buttons).to_have_count(2)
    expect(buttons.first).to_be_hidden()  # under the chat
    expect(buttons.last).to_be_visible()  # under the cell of 60 displays
    chat.send("still typed and answered")
    expect(chat.assistant().last).to_contain_text("world")


@pytest.fixture(scope="module")
def saved_notebook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A notebook executed without a browser (as nbval or papermill would) and saved."""
    folder = tmp_path_factory.mktemp("saved")
    path = folder / "saved_chat.ipynb"
    write_notebook(folder, "saved_chat", [APP + "\napp.display()", 'await app.send_user_message("save me")'])
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3", store_widget_state=False).execute()
    nbformat.write(notebook, path)
    return path


def test_nbconvert_html_shows_the_transcript(saved_notebook: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", str(saved_notebook)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    page = saved_notebook.with_suffix(".html").read_text()
    assert "save me" in page
    assert "<strong>world</strong>" in page  # markdown rendered
    assert "lookup [tool]" in page  # the step is visible


def test_reopened_notebook_without_running_shows_the_transcript(
    lab: JupyterLab, page: Page, saved_notebook: Path
) -> None:
    shutil.copy(saved_notebook, lab.root / saved_notebook.name)
    Notebook(page, saved_notebook.name).open(lab)  # opened, never run
    static = page.locator(".cw-static")
    expect(static).to_be_visible()
    expect(static).to_contain_text("save me")
    expect(static.locator("strong")).to_have_text("world")
