"""What a user of the reference notices, in a real JupyterLab: element names in the text are
links, the PDF viewer is titled with the element's name, a task list is a live task panel,
steps have their icons (after a resume too), a resumed thread keeps a usable settings
button, and the view follows content that loads late (an image, a plotly figure)."""

from __future__ import annotations

from pathlib import Path

import pytest
from labdriver import ARTIFACTS, TIMEOUT_MS, Chat, MakeNotebook
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

PDF = '''
def tiny_pdf(text):
    """A one-page PDF (a classic cross-reference table), written out by hand."""
    objs = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        None,
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    stream = f"BT /F1 18 Tf 30 100 Td ({text}) Tj ET"
    objs[3] = f"<< /Length {len(stream)} >>\\nstream\\n{stream}\\nendstream"
    out, offsets = "%PDF-1.4\\n", []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\\n{body}\\nendobj\\n"
    xref = len(out)
    out += f"xref\\n0 {len(objs) + 1}\\n0000000000 65535 f \\n"
    out += "".join(f"{o:010d} 00000 n \\n" for o in offsets)
    out += f"trailer\\n<< /Size {len(objs) + 1} /Root 1 0 R >>\\nstartxref\\n{xref}\\n%%EOF\\n"
    return out.encode()
'''

APP = (
    "import asyncio, chatwidget as cw\n"
    + PDF
    + """
app = cw.ChatApp(title="Edges")
go_on = asyncio.Event()

@app.on_chat_start
async def start():
    await cw.ChatSettings([cw.input_widget.Switch(id="loud", label="Loud", initial=False)]).send()

@app.on_message
async def reply(message):
    if message.content == "tasks":
        tasks = cw.TaskList(status="Working")
        tasks.tasks = [cw.Task("Read the question", "done"), cw.Task("Search", "running"),
                       cw.Task("Answer", "ready")]
        await tasks.send()
        await go_on.wait()
        tasks.tasks[1].status, tasks.tasks[2].status, tasks.status = "done", "failed", "Stopped"
        await tasks.send()
        return
    async with cw.Step(name="web search", type="tool", icon="globe") as s:
        s.output = "found 3 pages"
    async with cw.Step(name="think", type="llm") as s:
        s.output = "hmm"
    await cw.Message("See the notes and the report; the pdf doc is attached. `notes` in code stays.",
                     elements=[
        cw.Text(name="notes", content="side notes here", display="side"),
        cw.Text(name="report", content="the full report", display="page"),
        cw.Text(name="unnamed aside", content="not named in the text", display="side"),
        cw.Pdf(name="doc", content=tiny_pdf("Hello PDF")),
    ]).send()

app.display()
"""
)


def test_element_names_are_links_and_the_pdf_viewer_has_the_elements_name(
    notebook: MakeNotebook, page: Page
) -> None:
    nb = notebook([APP])
    nb.run_all()
    chat = Chat.find(page)
    chat.send("show")
    message = chat.root.locator(".cw-message", has_text="See the notes")
    expect(message).to_have_count(1)
    chat.wait_idle()
    content = message.locator(".cw-content")
    refs = content.locator("button.cw-element-ref")
    expect(refs).to_have_text(["notes", "report"])  # not inside code, not the inline pdf
    expect(content.locator("code")).to_have_text("notes")
    # linked where named, so not again below; the one the text does not name keeps its link
    expect(message.locator("button.cw-element-link")).to_have_text(["unnamed aside"])
    refs.nth(0).click()
    expect(chat.root.locator(".cw-side")).to_contain_text("side notes here")
    refs.nth(1).click()
    overlay = chat.root.locator(".cw-page")
    expect(overlay).to_contain_text("the full report")
    overlay.locator("button.cw-page-close").click()

    frame = message.locator("iframe.cw-pdf")
    expect(frame).to_have_attribute("title", "doc")
    frame.scroll_into_view_if_needed()

    def viewer_titles() -> list[str]:
        return [
            f.evaluate("() => document.title") for f in page.frames if f.url.startswith("chrome-extension:")
        ]

    page.wait_for_function("() => true")  # let the viewer load
    deadline = TIMEOUT_MS // 250
    for _ in range(deadline):
        if "doc" in viewer_titles():
            break
        page.wait_for_timeout(250)
    assert viewer_titles() == ["doc"]
    # the download is the original file, byte for byte
    link = message.locator("a.cw-file-link", has_text="doc")
    with page.expect_download() as download:
        link.click()
    saved = Path(download.value.path()).read_bytes()
    assert saved.startswith(b"%PDF-1.4") and b"/Title" not in saved
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    message.screenshot(path=str(ARTIFACTS / "element-references-and-pdf-title.png"))


def test_a_task_list_is_a_live_task_panel(notebook: MakeNotebook, page: Page) -> None:
    nb = notebook([APP])
    nb.run_all()
    chat = Chat.find(page)
    chat.send("tasks")
    panel = chat.root.locator(".cw-chat-elements .cw-tasklist")
    expect(panel).to_be_visible()
    expect(panel.locator(".cw-tasklist-status")).to_have_text("Working")
    expect(panel.locator(".cw-tasklist-count")).to_have_text("1/3")
    tasks = panel.locator(".cw-task")
    expect(tasks).to_have_count(3)
    expect(tasks.nth(0).locator(".cw-task-icon svg")).to_have_count(1)  # a check
    expect(tasks.nth(1).locator(".cw-task-icon .cw-spinner")).to_be_visible()
    # a panel of the chat, not a message: no author, no thumbs
    expect(chat.root.locator(".cw-message .cw-tasklist")).to_have_count(0)
    expect(chat.root.locator(".cw-message.cw-assistant")).to_have_count(0)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    chat.root.screenshot(path=str(ARTIFACTS / "task-panel-running.png"))

    nb.add_and_run("go_on.set()")
    expect(panel.locator(".cw-tasklist-status")).to_have_text("Stopped")
    expect(tasks.nth(1)).to_have_attribute("data-status", "done")
    expect(tasks.nth(2)).to_have_attribute("data-status", "failed")
    expect(panel.locator(".cw-tasklist-count")).to_have_text("2/3")
    expect(panel.locator(".cw-spinner")).to_have_count(0)
    chat.wait_idle()
    expect(chat.root.locator(".cw-feedback")).to_have_count(0)
    chat.root.screenshot(path=str(ARTIFACTS / "task-panel-done.png"))


def test_a_resumed_thread_keeps_step_icons_and_a_usable_settings_button(
    notebook: MakeNotebook, page: Page
) -> None:
    nb = notebook([APP])
    nb.run_all()
    chat = Chat.find(page)
    chat.send("show")
    expect(chat.root.locator(".cw-message", has_text="See the notes")).to_have_count(1)
    chat.wait_idle()
    steps = chat.root.locator(".cw-step")
    expect(steps.first.locator(".cw-step-icon svg.cw-icon")).to_have_count(1)  # icon="globe"
    expect(steps.nth(1).locator(".cw-step-icon svg path")).to_have_count(2)  # the llm sparkle
    settings = chat.root.locator("button.cw-settings-button")
    settings.click()
    chat.root.locator(".cw-setting[data-setting-id=loud] input").check()
    chat.root.locator(".cw-settings .cw-settings-confirm").click()
    expect(chat.root.locator(".cw-settings")).to_be_hidden()
    nb.add_and_run("await app.save()")

    chat.root.locator("button.cw-new-chat").click()
    expect(chat.messages).to_have_count(0)
    chat.root.locator("button.cw-threads-button").click()
    chat.root.locator(".cw-thread", has_text="show").locator("button.cw-thread-name").click()
    expect(chat.root.locator(".cw-message", has_text="See the notes")).to_have_count(1)
    expect(steps.first.locator(".cw-step-icon svg.cw-icon")).to_have_count(1)  # still the globe
    expect(settings).to_be_visible()
    expect(settings).to_be_enabled()
    settings.click()
    expect(chat.root.locator(".cw-settings")).to_be_visible()
    expect(chat.root.locator(".cw-setting[data-setting-id=loud] input")).to_be_checked()  # restored
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    chat.root.screenshot(path=str(ARTIFACTS / "resumed-settings-and-icons.png"))
    chat.root.locator(".cw-settings .cw-settings-cancel").click()
    chat.send("and more")  # the resumed chat goes on
    expect(chat.root.locator(".cw-message", has_text="See the notes")).to_have_count(2)


LATE = """
import base64, chatwidget as cw
import plotly.graph_objects as go

app = cw.ChatApp(title="Late")

@app.on_message
async def reply(message):
    for i in range(6):
        await cw.Message(f"filler {i}\\n\\n" + "words " * 80).send()
    fig = go.Figure(go.Bar(x=[1, 2, 3], y=[3, 1, 2]), layout={"height": 420})
    await cw.Message("a figure, drawn once plotly.js is in its frame",
                     elements=[cw.Plotly(name="bars", figure=fig)]).send()

app.display()
"""


def test_the_view_follows_a_figure_that_is_drawn_late(notebook: MakeNotebook, page: Page) -> None:
    nb = notebook([LATE])
    nb.run_all()
    chat = Chat.find(page)
    scroller = chat.root.locator(".cw-messages")
    chat.send("go")
    frame = chat.root.locator("iframe.cw-plotly-frame")
    expect(frame.content_frame.locator("svg.main-svg").first).to_be_visible(timeout=60_000)
    page.wait_for_function(
        "(s) => s.scrollHeight - s.scrollTop - s.clientHeight <= 2", arg=scroller.element_handle()
    )
    box, view = frame.bounding_box(), scroller.bounding_box()
    assert box is not None and view is not None
    assert box["y"] + box["height"] <= view["y"] + view["height"] + 2  # the figure's bottom is in view
