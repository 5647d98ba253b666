"""Interaction in a real JupyterLab: ask prompts, actions, custom elements, feedback,
settings, starters, commands, attachments, editing and elements (the reference's classic
scenarios, typed and clicked like a user)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from labdriver import Chat, MakeNotebook, Notebook
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

SETUP = """
import asyncio
import chatwidget as cw

events = []
"""


def kernel_events(nb: Notebook) -> list:
    return json.loads(nb.add_and_run("import json; print(json.dumps(events))").strip())


def wait_events(nb: Notebook, page: Page, done, timeout_s: float = 30) -> list:
    """Poll the kernel's `events` until `done(events)` (the kernel may still be handling it)."""
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        got = kernel_events(nb)
        if done(got) or time.monotonic() > deadline:
            return got
        page.wait_for_timeout(200)


def test_ask_a_name_and_greet(notebook: MakeNotebook, page: Page) -> None:
    nb = notebook(
        [
            SETUP,
            """
app = cw.ChatApp(title="Ask")

@app.on_chat_start
async def start():
    res = await cw.AskUserMessage(content="What is your name?", timeout=60).send()
    if res:
        await cw.Message(content=f"Your name is: {res['output']}").send()

app.display()
""",
        ]
    )
    nb.run_all()
    chat = Chat.find(page)
    expect(chat.assistant().first).to_contain_text("What is your name?")
    expect(chat.root.locator(".cw-composer")).to_have_attribute("data-ask", "text")
    expect(chat.root.locator(".cw-ask-hint")).to_be_visible()
    chat.send("Jeeves")
    expect(chat.root.locator(".cw-message", has_text="Your name is: Jeeves")).to_have_count(1)
    expect(chat.root.locator(".cw-message.cw-user .cw-content")).to_have_text(["Jeeves"])
    expect(chat.root.locator(".cw-composer")).to_have_attribute("data-ask", "")
    expect(chat.input).to_have_value("")
    chat.wait_idle()


def test_an_ask_that_times_out_clears_the_prompt(notebook: MakeNotebook, page: Page) -> None:
    nb = notebook(
        [
            SETUP,
            """
app = cw.ChatApp(title="Timeout")

@app.on_chat_start
async def start():
    res = await cw.AskUserMessage(content="Quick, your name?", timeout=3).send()
    events.append(res)
    await cw.Message(content="No answer" if res is None else "answered").send()

app.display()
""",
        ]
    )
    nb.run_all()
    chat = Chat.find(page)
    composer = chat.root.locator(".cw-composer")
    expect(composer).to_have_attribute("data-ask", "text")
    expect(chat.root.locator(".cw-message", has_text="No answer")).to_have_count(1)
    expect(composer).to_have_attribute("data-ask", "")
    expect(chat.root.locator(".cw-ask-hint")).to_be_hidden()
    chat.wait_idle()
    assert kernel_events(nb) == [None]


FILE_ASK = """
app = cw.ChatApp(title="Files")

@app.on_chat_start
async def start():
    files = None
    while files is None:
        files = await cw.AskFileMessage(
            content="Please upload a text file to begin!", accept=["text/plain", "application/pdf"],
            max_files=2, timeout=120,
        ).send()
    names = ", ".join(f["name"] for f in files)
    sizes = sum(len(open(f["path"], "rb").read()) for f in files)
    await cw.Message(content=f"{len(files)} file(s) uploaded: {names} ({sizes} bytes)").send()

app.display()
"""


def test_file_prompt_rejects_a_cpp_file_and_honours_max_files(
    notebook: MakeNotebook, page: Page, tmp_path: Path
) -> None:
    nb = notebook([SETUP, FILE_ASK])
    nb.run_all()
    chat = Chat.find(page)
    composer = chat.root.locator(".cw-composer")
    expect(composer).to_have_attribute("data-ask", "file")
    expect(chat.root.locator(".cw-ask-file")).to_be_visible()
    chooser = chat.root.locator("input.cw-ask-file-input")
    assert "text/plain" in (chooser.get_attribute("accept") or "")

    cpp = tmp_path / "main.cpp"
    cpp.write_text("int main() { return 0; }\n")
    chooser.set_input_files(str(cpp))
    error = chat.root.locator(".cw-composer-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("main.cpp")
    expect(error).to_contain_text("not accepted")

    texts = []
    for name in ("a.txt", "b.txt", "c.txt"):
        path = tmp_path / name
        path.write_text(f"hello from {name}\n")
        texts.append(str(path))
    chooser.set_input_files(texts)  # three files, two allowed
    expect(error).to_contain_text("At most 2")
    expect(composer).to_have_attribute("data-ask", "file")

    chooser.set_input_files(texts[:2])
    expect(
        chat.root.locator(".cw-message", has_text="2 file(s) uploaded: a.txt, b.txt (34 bytes)")
    ).to_have_count(1)
    expect(composer).to_have_attribute("data-ask", "")
    expect(chat.root.locator(".cw-message.cw-user")).to_have_count(0)  # as the reference: no echo of names
    chat.wait_idle()


def test_actions_click_and_removal(notebook: MakeNotebook, page: Page) -> None:
    nb = notebook(
        [
            SETUP,
            """
app = cw.ChatApp(title="Actions")
holder = {}

@app.action_callback("test")
async def on_test(action):
    events.append(["test", action.payload])
    await cw.Message(content="Executed test action!").send()

@app.action_callback("removable")
async def on_removable(action):
    events.append(["removable"])
    await action.remove()

@app.action_callback("all")
async def on_all(action):
    events.append(["all"])
    await holder["msg"].remove_actions()

@app.on_chat_start
async def start():
    holder["msg"] = await cw.Message(content="Pick one", actions=[
        cw.Action(name="test", payload={"n": 1}, label="Test action", tooltip="Runs the test"),
        cw.Action(name="removable", label="Remove me"),
        cw.Action(name="all", label="Remove all"),
    ]).send()

app.display()
""",
        ]
    )
    nb.run_all()
    chat = Chat.find(page)
    message = chat.root.locator(".cw-message", has_text="Pick one")
    buttons = message.locator("button.cw-action")
    expect(buttons).to_have_text(["Test action", "Remove me", "Remove all"])
    expect(buttons.first).to_have_attribute("title", "Runs the test")

    buttons.filter(has_text="Test action").click()
    expect(chat.root.locator(".cw-message", has_text="Executed test action!")).to_have_count(1)
    chat.wait_idle()

    buttons.filter(has_text="Remove me").click()
    expect(buttons).to_have_text(["Test action", "Remove all"])
    chat.wait_idle()

    buttons.filter(has_text="Remove all").click()
    expect(buttons).to_have_count(0)
    chat.wait_idle()
    assert kernel_events(nb) == [["test", {"n": 1}], ["removable"], ["all"]]


def test_action_prompt_shows_the_choice(notebook: MakeNotebook, page: Page) -> None:
    nb = notebook(
        [
            SETUP,
            """
app = cw.ChatApp(title="Ask action")

@app.on_chat_start
async def start():
    res = await cw.AskActionMessage(content="Pick an action!", actions=[
        cw.Action(name="continue", payload={"value": "continue"}, label="✅ Continue"),
        cw.Action(name="cancel", payload={"value": "cancel"}, label="❌ Cancel"),
    ]).send()
    if res and res.get("payload", {}).get("value") == "continue":
        await cw.Message(content="Continue!").send()

app.display()
""",
        ]
    )
    nb.run_all()
    chat = Chat.find(page)
    prompt = chat.root.locator(".cw-message", has_text="Pick an action!")
    expect(prompt.locator("button.cw-ask-action")).to_have_text(["✅ Continue", "❌ Cancel"])
    expect(chat.root.locator("button.cw-send")).to_be_disabled()
    prompt.locator("button.cw-ask-action", has_text="Continue").click()
    expect(chat.root.locator(".cw-message", has_text="Continue!")).to_have_count(1)
    expect(prompt.locator("button.cw-ask-action")).to_have_count(0)
    expect(prompt.locator(".cw-selected-action")).to_have_text("✅ Continue")
    chat.wait_idle()


FORM = r"""
export function render({ props, el, submit }) {
  const input = document.createElement("input");
  input.name = "name";
  input.placeholder = props.placeholder;
  const button = document.createElement("button");
  button.textContent = "Send form";
  button.onclick = () => submit({ name: input.value });
  el.append(input, button);
}
"""


def test_custom_element_form_answers_an_element_prompt(notebook: MakeNotebook, page: Page) -> None:
    nb = notebook(
        [
            SETUP,
            f"FORM = {FORM!r}",
            """
app = cw.ChatApp(title="Element")

@app.on_chat_start
async def start():
    form = cw.CustomElement(name="form", source=FORM, props={"placeholder": "Your name"})
    res = await cw.AskElementMessage(content="Fill in the form", element=form, timeout=120).send()
    events.append(res)
    if res and res["submitted"]:
        await cw.Message(content=f"Submitted: {res['name']}").send()

app.display()
""",
        ]
    )
    nb.run_all()
    chat = Chat.find(page)
    frame_el = chat.root.locator("iframe.cw-frame")
    expect(frame_el).to_have_count(1)
    assert frame_el.get_attribute("sandbox") == "allow-scripts"
    expect(chat.root.locator("button.cw-ask-cancel")).to_be_visible()
    frame = page.frame_locator(".cw-root iframe.cw-frame")
    field = frame.locator("input[name=name]")
    expect(field).to_have_attribute("placeholder", "Your name")
    field.fill("Jeeves")
    frame.locator("button", has_text="Send form").click()
    expect(chat.root.locator(".cw-message", has_text="Submitted: Jeeves")).to_have_count(1)
    expect(chat.root.locator("button.cw-ask-cancel")).to_be_hidden()
    chat.wait_idle()
    assert kernel_events(nb) == [{"name": "Jeeves", "submitted": True}]  # the reference's shape


ECHO = """
app = cw.ChatApp(title="Echo", **OPTIONS)

@app.on_message
async def echo(message: cw.Message):
    files = [e.name for e in message.elements]
    events.append({"content": message.content, "command": message.command, "files": files})
    prefix = f"{message.command}: " if message.command else ""
    extra = f" files={files}" if files else ""
    await cw.Message(content=f"echo: {prefix}{message.content}{extra}").send()
"""


def echo_notebook(notebook: MakeNotebook, options: str = "{}", more: str = "") -> Notebook:
    nb = notebook([SETUP, f"OPTIONS = {options}", ECHO + more + "\napp.display()\n"])
    nb.run_all()
    return nb


def test_feedback_thumbs(notebook: MakeNotebook, page: Page) -> None:
    nb = echo_notebook(
        notebook,
        more="""
@app.on_feedback
async def fb(feedback):
    events.append({"feedback": feedback.value, "comment": feedback.comment})
""",
    )
    chat = Chat.find(page)
    chat.send("rate me")
    answer = chat.assistant()
    expect(answer).to_have_count(1)
    chat.wait_idle()
    up, down = answer.locator("button.cw-thumb-up"), answer.locator("button.cw-thumb-down")
    up.click()
    expect(up).to_have_attribute("aria-pressed", "true")
    up.click()  # the active thumb again takes it back
    expect(up).to_have_attribute("aria-pressed", "false")
    down.click()
    answer.locator("textarea.cw-feedback-input").fill("too short")
    answer.locator("button.cw-feedback-submit").click()
    expect(down).to_have_attribute("aria-pressed", "true")
    got = wait_events(nb, page, lambda e: len([x for x in e if "feedback" in x]) >= 3)
    assert [x for x in got if "feedback" in x] == [
        {"feedback": 1, "comment": None},
        {"feedback": None, "comment": None},
        {"feedback": 0, "comment": "too short"},
    ]


def test_change_a_setting(notebook: MakeNotebook, page: Page) -> None:
    nb = echo_notebook(
        notebook,
        more="""
@app.on_chat_start
async def start():
    await cw.ChatSettings([
        cw.Select(id="model", label="Model", values=["small", "large"], initial_index=0),
        cw.Slider(id="temperature", label="Temperature", initial=1, min=0, max=2, step=0.1),
        cw.Switch(id="stream", label="Stream", initial=True),
        cw.TextInput(id="persona", label="Persona", initial="kind"),
        cw.MultiSelect(id="tools", label="Tools", values=["web", "math"], initial=["web"]),
        cw.Tags(id="tags", label="Tags", initial=["a"]),
    ]).send()

@app.on_settings_update
async def updated(values):
    events.append({"settings": values})
""",
    )
    chat = Chat.find(page)
    button = chat.root.locator("button.cw-settings-button")
    expect(button).to_be_visible()
    button.click()
    panel = chat.root.locator(".cw-settings")
    expect(panel).to_be_visible()
    expect(panel.locator(".cw-setting")).to_have_count(6)
    panel.locator("[data-setting-id=model] select").select_option("large")
    panel.locator("[data-setting-id=stream] input").uncheck()
    panel.locator("[data-setting-id=persona] input").fill("terse")
    panel.locator("[data-setting-id=tools] input[value=math]").check()
    panel.locator("button.cw-settings-confirm").click()
    expect(panel).to_be_hidden()
    got = wait_events(nb, page, lambda e: any("settings" in x for x in e))
    values = next(x["settings"] for x in got if "settings" in x)
    assert values == {
        "model": "large",
        "temperature": 1,
        "stream": False,
        "persona": "terse",
        "tools": ["web", "math"],
        "tags": ["a"],
    }
    # Reopened, the panel shows the values the kernel keeps.
    button.click()
    expect(panel.locator("[data-setting-id=model] select")).to_have_value("large")
    expect(panel.locator("[data-setting-id=persona] input")).to_have_value("terse")


def test_starter_and_command(notebook: MakeNotebook, page: Page) -> None:
    nb = echo_notebook(
        notebook,
        more="""
app.set_commands([
    {"id": "Picture", "description": "Draw a picture"},
    {"id": "Search", "description": "Search the web", "button": True},
])

@app.set_starters
def starters():
    return [cw.Starter(label="Say hello", message="hello there"), cw.Starter(label="Other", message="other")]
""",
    )
    chat = Chat.find(page)
    starters = chat.root.locator("button.cw-starter")
    expect(starters).to_have_text(["Say hello", "Other"])
    starters.first.click()
    expect(chat.root.locator(".cw-message", has_text="echo: hello there")).to_have_count(1)
    expect(starters).to_have_count(0)
    chat.wait_idle()

    chat.input.click()
    chat.input.press_sequentially("/")
    menu = chat.root.locator(".cw-commands-menu")
    expect(menu).to_be_visible()
    expect(menu.locator(".cw-command-item")).to_have_count(2)
    chat.input.press_sequentially("S")
    expect(menu.locator(".cw-command-item")).to_have_count(1)
    chat.input.press("Backspace")
    chat.input.press("ArrowDown")
    chat.input.press("ArrowUp")
    expect(menu.locator(".cw-command-item[aria-selected=true]")).to_contain_text("/Picture")
    chat.input.press("Enter")
    expect(menu).to_be_hidden()
    expect(chat.root.locator(".cw-command-chip")).to_contain_text("/Picture")
    chat.input.fill("a cat")
    chat.input.press("Enter")
    expect(chat.root.locator(".cw-message", has_text="echo: Picture: a cat")).to_have_count(1)
    expect(chat.root.locator(".cw-command-chip")).to_be_hidden()
    chat.wait_idle()

    toggle = chat.root.locator("button.cw-command-button", has_text="Search")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    chat.send("news")
    expect(chat.root.locator(".cw-message", has_text="echo: Search: news")).to_have_count(1)
    chat.wait_idle()
    got = kernel_events(nb)
    assert [(e["content"], e["command"]) for e in got] == [
        ("hello there", None),
        ("a cat", "Picture"),
        ("news", "Search"),
    ]


def test_spontaneous_attachment(notebook: MakeNotebook, page: Page, tmp_path: Path) -> None:
    nb = echo_notebook(
        notebook,
        options=(
            '{"file_upload": {"enabled": True, "accept": ["text/plain"], "max_files": 2, "max_size_mb": 1}}'
        ),
    )
    chat = Chat.find(page)
    attach = chat.root.locator("button.cw-attach")
    expect(attach).to_be_visible()
    notes = tmp_path / "notes.txt"
    notes.write_text("some notes\n")
    other = tmp_path / "drop.txt"
    other.write_text("to remove\n")
    image = tmp_path / "pic.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n")
    with page.expect_file_chooser() as chooser:
        attach.click()
    chooser.value.set_files([str(notes), str(other), str(image)])
    chips = chat.root.locator(".cw-attachment")
    expect(chips.locator(".cw-attachment-name")).to_have_text(["notes.txt", "drop.txt"])
    expect(chat.root.locator(".cw-composer-error")).to_contain_text("pic.png")
    expect(chips.filter(has_text="notes.txt")).to_have_class("cw-attachment cw-uploaded")
    chips.filter(has_text="drop.txt").locator(".cw-attachment-remove").click()
    expect(chips).to_have_count(1)
    chat.send("see attached")
    expect(chat.root.locator(".cw-message", has_text="echo: see attached files=['notes.txt']")).to_have_count(
        1
    )
    expect(chips).to_have_count(0)
    user = chat.root.locator(".cw-message.cw-user")
    expect(user.locator(".cw-file-link")).to_have_text(["notes.txt"])
    expect(user.locator(".cw-file-link")).to_have_attribute("download", "notes.txt")
    chat.wait_idle()
    assert kernel_events(nb)[0]["files"] == ["notes.txt"]


def test_edit_a_message(notebook: MakeNotebook, page: Page) -> None:
    nb = echo_notebook(notebook)
    chat = Chat.find(page)
    chat.send("one")
    expect(chat.root.locator(".cw-message", has_text="echo: one")).to_have_count(1)
    chat.wait_idle()
    chat.send("two")
    expect(chat.root.locator(".cw-message", has_text="echo: two")).to_have_count(1)
    chat.wait_idle()
    first = chat.root.locator(".cw-message.cw-user").first
    first.hover()
    first.locator("button.cw-edit").click()
    editor = first.locator("textarea.cw-edit-input")
    expect(editor).to_have_value("one")
    editor.fill("uno")
    editor.press("Enter")
    expect(chat.root.locator(".cw-message", has_text="echo: uno")).to_have_count(1)
    chat.wait_idle()
    assert chat.texts() == ["uno", "echo: uno"]
    assert [e["content"] for e in kernel_events(nb)] == ["one", "two", "uno"]


def test_image_dataframe_and_other_elements_render(notebook: MakeNotebook, page: Page) -> None:
    nb = notebook(
        [
            SETUP,
            """
import base64, io, json
import pandas as pd
import plotly.graph_objects as go

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAEElEQVR4nGP4z8AARwzEcQCukw/x0F8jngAAAABJRU5ErkJggg=="
)
frame = pd.DataFrame({"name": [f"row{i:02d}" for i in range(30)], "value": list(range(30, 0, -1))})
fig = go.Figure(go.Bar(x=[1, 2], y=[3, 4]), layout={"title": {"text": "Bars"}})
app = cw.ChatApp(title="Elements")

@app.on_message
async def show(message):
    tasks = cw.TaskList(status="Working", tasks=[cw.Task("first", "done"), cw.Task("second", "running")])
    await cw.Message(content="Here you go", elements=[
        cw.Image(name="dot", content=PNG, mime="image/png", size="small"),
        cw.Dataframe(name="table", data_frame=frame),
        cw.Text(name="notes", content="# Notes\\n\\n*important*"),
        cw.File(name="data.csv", content=b"a,b\\n1,2\\n", mime="text/csv"),
        cw.Plotly(name="chart", figure=fig),
        tasks,
        cw.Text(name="aside", content="in the side area", display="side"),
        cw.Text(name="full", content="full view text", display="page"),
    ]).send()

app.display()
""",
        ]
    )
    nb.run_all()
    chat = Chat.find(page)
    chat.send("show")
    message = chat.root.locator(".cw-message", has_text="Here you go")
    image = message.locator("img.cw-image")
    expect(image).to_be_visible()
    expect(image).to_have_attribute("src", re.compile("^blob:"))
    image.wait_for(state="visible")
    page.wait_for_function("img => img.complete && img.naturalWidth === 4", arg=image.element_handle())
    image.click()
    overlay = chat.root.locator(".cw-page")
    expect(overlay.locator("img.cw-page-image")).to_be_visible()
    overlay.locator("button.cw-page-close").click()
    expect(overlay).to_be_hidden()

    table = message.locator(".cw-dataframe table")
    expect(table.locator("th")).to_have_text(["name", "value"])
    expect(table.locator("tbody tr")).to_have_count(20)
    expect(table.locator("tbody tr").first.locator("td")).to_have_text(["row00", "30"])
    table.locator("th button", has_text="value").click()
    expect(table.locator("tbody tr").first.locator("td")).to_have_text(["row29", "1"])
    message.locator(".cw-dataframe button.cw-page-next").click()
    expect(table.locator("tbody tr")).to_have_count(10)

    expect(message.locator(".cw-element[data-type=text] h1")).to_have_text("Notes")
    link = message.locator("a.cw-file-link", has_text="data.csv")
    expect(link).to_have_attribute("download", "data.csv")
    with page.expect_download() as download:
        link.click()
    assert Path(download.value.path()).read_bytes() == b"a,b\n1,2\n"
    # plotly.js (shipped once by the kernel) draws the figure inside a sandboxed frame
    frame = message.locator("iframe.cw-plotly-frame")
    expect(frame).to_have_attribute("sandbox", "allow-scripts")
    expect(frame.content_frame.locator("svg.main-svg").first).to_be_visible(timeout=60_000)
    expect(frame.content_frame.locator(".gtitle")).to_have_text("Bars")
    expect(message.locator(".cw-tasklist-status")).to_have_text("Working")
    expect(message.locator(".cw-task")).to_have_count(2)
    expect(message.locator(".cw-task").first).to_have_attribute("data-status", "done")

    message.locator("button.cw-element-link", has_text="aside").click()
    expect(chat.root.locator(".cw-side")).to_contain_text("in the side area")
    message.locator("button.cw-element-link", has_text="full").click()
    expect(overlay).to_contain_text("full view text")
    overlay.locator("button.cw-page-close").click()
    chat.wait_idle()
