"""Two chat apps in one notebook in a real JupyterLab: each thread list shows its own app's
conversations; "All apps" shows both, each naming its app; resuming one from there works."""

from __future__ import annotations

import pytest
from labdriver import ARTIFACTS, Chat, MakeNotebook
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

APPS = """
import tempfile
import chatwidget as cw

# a database of its own: "All apps" lists every app's threads, the other tests' as well
DB = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/apps.db"

def make(title):
    app = cw.ChatApp(title=title, db_url=DB)

    @app.on_message
    async def echo(message: cw.Message):
        await cw.Message(content=f"{title} says: {message.content}").send()

    return app

writer, critic = make("Writer"), make("Critic")
writer.display()
critic.display()
"""


def test_two_apps_in_one_notebook_list_their_own_threads(notebook: MakeNotebook, page: Page) -> None:
    nb = notebook([APPS])
    nb.run_all()
    writer, critic = Chat.find(page, 0), Chat.find(page, 1)
    writer.send("a poem about rain")
    expect(writer.root.locator(".cw-message", has_text="Writer says: a poem about rain")).to_have_count(1)
    writer.wait_idle()
    critic.send("a review of the poem")
    expect(critic.root.locator(".cw-message", has_text="Critic says: a review")).to_have_count(1)
    critic.wait_idle()
    nb.add_and_run("await writer.save(); await critic.save(); print(writer.name)")
    writer_name = nb.cell_text(1).strip()
    assert writer_name.endswith(".ipynb: Writer"), writer_name

    writer.root.locator("button.cw-threads-button").click()
    panel = writer.root.locator(".cw-threads")
    expect(panel.locator(".cw-thread")).to_have_count(1)
    expect(panel.locator(".cw-thread-name")).to_have_text(["a poem about rain"])
    expect(panel.locator(".cw-thread-app")).to_have_count(0)  # one app: no need to name it

    panel.locator("label.cw-threads-scope").click()
    expect(panel.locator("input.cw-threads-all")).to_be_checked()
    expect(panel.locator(".cw-thread-name")).to_have_text(["a review of the poem", "a poem about rain"])
    apps = panel.locator(".cw-thread-app")
    expect(apps).to_have_count(2)
    notebook_file = writer_name.rsplit("/", 1)[-1].removesuffix(": Writer")
    expect(apps).to_have_text([f"{notebook_file}: Critic", f"{notebook_file}: Writer"])  # no folders
    expect(apps.nth(1)).to_have_attribute("title", writer_name)  # the whole name
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    panel.screenshot(path=str(ARTIFACTS / "thread-list-all-apps.png"))

    # search stays within the choice; switching back shows this app's again
    panel.locator("input.cw-threads-search").fill("review")
    expect(panel.locator(".cw-thread-name")).to_have_text(["a review of the poem"])
    panel.locator("input.cw-threads-all").uncheck()
    expect(panel.locator(".cw-threads-empty")).to_be_visible()
    panel.locator("input.cw-threads-search").fill("")
    expect(panel.locator(".cw-thread-name")).to_have_text(["a poem about rain"])

    # the critic's own list is the critic's
    critic.root.locator("button.cw-threads-button").click()
    critic_panel = critic.root.locator(".cw-threads")
    expect(critic_panel.locator(".cw-thread-name")).to_have_text(["a review of the poem"])

    # a thread of the other app opens from "All apps"
    panel.locator("input.cw-threads-all").check()
    panel.locator(".cw-thread", has_text="a review of the poem").locator("button.cw-thread-name").click()
    expect(panel).to_be_hidden()
    expect(writer.root.locator(".cw-message .cw-content")).to_have_text(
        ["a review of the poem", "Critic says: a review of the poem"]
    )
