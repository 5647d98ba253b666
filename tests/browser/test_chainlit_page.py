"""A Chainlit app file loaded into a notebook, in a real JupyterLab: the project's readme,
the user's keys, mode pickers, starter categories, the element sidebar and a toast."""

from __future__ import annotations

import pytest
from labdriver import Chat, MakeNotebook
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

PROJECT = '''
import pathlib, textwrap
import chatwidget as cw

root = pathlib.Path("chainlit_project")
(root / ".chainlit").mkdir(parents=True, exist_ok=True)
config = '[project]\\nuser_env = ["API_KEY"]\\n[UI]\\nname = "Helper"\\n'
(root / ".chainlit" / "config.toml").write_text(config)
(root / "chainlit.md").write_text("# Welcome to the helper")
(root / "app.py").write_text(textwrap.dedent("""
    import chainlit as cl

    @cl.set_starter_categories
    async def categories():
        poem = cl.Starter(label="poem", message="Write a poem")
        return [cl.StarterCategory(label="Creative", starters=[poem])]

    @cl.on_chat_start
    async def start():
        await cl.context.emitter.set_modes([cl.Mode(id="model", name="Model", options=[
            cl.ModeOption(id="fast", name="Fast", default=True), cl.ModeOption(id="deep", name="Deep")])])
        await cl.ElementSidebar.set_elements([cl.Text(name="notes", content="Side notes here")])
        await cl.ElementSidebar.set_title("Sources")

    @cl.on_message
    async def main(message: cl.Message):
        key = (cl.user_session.get("env") or {}).get("API_KEY")
        await cl.context.emitter.send_toast("Answered", "success")
        await cl.Message(f"{message.content} / {message.modes['model']} / key {key}").send()
"""))
app = cw.load_chainlit_app(root / "app.py")
app.display()
'''


def test_a_chainlit_project_shows_its_readme_keys_modes_categories_and_sidebar(
    notebook: MakeNotebook, page: Page
) -> None:
    nb = notebook([PROJECT])
    nb.run_all()
    chat = Chat.find(page)
    root = chat.root
    expect(root.locator(".cw-readme")).to_contain_text("Welcome to the helper")
    expect(root.locator(".cw-element-sidebar-title")).to_have_text("Sources")
    expect(root.locator(".cw-element-sidebar")).to_contain_text("Side notes here")

    env = root.locator(".cw-user-env")
    env.locator("input[name='API_KEY']").fill("sk-test")
    env.locator(".cw-user-env-submit").click()
    expect(env).to_be_hidden()

    root.locator(".cw-starter-category-button", has_text="Creative").click()
    expect(root.locator(".cw-starter-category .cw-starter", has_text="poem")).to_be_visible()

    picker = root.locator("select.cw-mode")
    expect(picker).to_have_value("fast")
    picker.select_option("deep")
    chat.send("hello")
    expect(chat.assistant().last).to_contain_text("hello / deep / key sk-test")
    expect(root.locator(".cw-toast-success")).to_have_text("Answered")
    expect(root.locator(".cw-readme")).to_be_hidden()  # the chat is no longer empty
    chat.wait_idle()
