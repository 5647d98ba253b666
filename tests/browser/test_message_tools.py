"""What a Chainlit user expects around messages: a copy button, `\\(…\\)` and `\\[…\\]` math,
avatar images by author, a comment on thumbs up too, a toggle for a Switch setting, the
profile's description on an empty chat, and Lucide icon names drawn as icons."""

from __future__ import annotations

import pytest
from labdriver import ARTIFACTS, Chat, MakeNotebook, Notebook
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="

TOOLS_APP = r"""
import chatwidget as cw
events = []
app = cw.ChatApp(title="Tools", persist=False, avatars={"Assistant": "data:image/png;base64,PIXEL"})
TEXT = r"Inline \(x^2 + 1\) and display:" + "\n\n" + r"\[\int_0^1 t\,dt\]" + "\n\nDone."

@app.on_message
async def reply(message):
    await cw.Message(content=TEXT).send()

@app.on_feedback
async def feedback(fb):
    events.append((fb.value, fb.comment))

app.display()
""".replace("PIXEL", PIXEL)

ICONS_APP = """
import chatwidget as cw
app = cw.ChatApp(title="Icons", persist=False)
app.set_commands([{"id": "Picture", "icon": "image", "description": "Draw", "button": True}])

@app.set_chat_profiles
def profiles():
    return [
        cw.ChatProfile(name="Quick", icon="zap", markdown_description="**Fast** answers, short ones."),
        cw.ChatProfile(name="Careful", icon="BookOpen", markdown_description="Slow and *thorough*."),
    ]

@app.set_starters
def starters():
    return [cw.Starter(label="Search the web", message="search", icon="globe"),
            cw.Starter(label="Unknown icon", message="x", icon="no-such-icon")]

@app.on_chat_start
async def start():
    await cw.ChatSettings([cw.Switch(id="stream", label="Stream", initial=True)]).send()

@app.on_message
async def reply(message):
    await cw.Message(content="with an action", actions=[
        cw.Action(name="look", payload={}, label="Look it up", icon="search")]).send()

app.display()
"""


def kernel_value(nb: Notebook, expr: str) -> str:
    return nb.add_and_run(f"print({expr})").strip()


def test_copy_math_avatar_and_a_comment_on_thumbs_up(notebook: MakeNotebook, page: Page) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    nb = notebook([TOOLS_APP])
    nb.run_all()
    chat = Chat.find(page)
    chat.send("hi")
    answer = chat.assistant().last
    expect(answer).to_contain_text("Done.")
    chat.wait_idle()
    # \( \) inline and \[ \] display math are rendered (MathML), not shown as text.
    expect(answer.locator(".cw-content math")).to_have_count(2)
    expect(answer.locator(".cw-content math[display=block]")).to_have_count(1)
    assert "\\(" not in answer.locator(".cw-content").inner_text()
    # The avatar is the app's image for this author.
    img = answer.locator(".cw-avatar img.cw-avatar-image")
    expect(img).to_be_visible()
    assert img.evaluate("i => i.complete && i.naturalWidth") == 1
    # Copy puts the message's markdown source on the clipboard.
    answer.locator("button.cw-copy-message").click()
    expect(answer.locator("button.cw-copy-message.cw-copied")).to_have_count(1)
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied.startswith("Inline \\(x^2 + 1\\)") and copied.endswith("Done."), copied
    user = chat.root.locator(".cw-message.cw-user").last
    user.locator("button.cw-copy-message").click()
    expect(user.locator("button.cw-copy-message.cw-copied")).to_have_count(1)
    assert page.evaluate("() => navigator.clipboard.readText()") == "hi"
    # Thumbs up counts at once, then offers an optional comment.
    answer.locator("button.cw-thumb-up").click()
    expect(answer.locator("button.cw-thumb-up")).to_have_attribute("aria-pressed", "true")
    box = answer.locator(".cw-feedback-comment[data-value='1']")
    expect(box).to_be_visible()
    box.locator("textarea.cw-feedback-input").fill("clear and short")
    box.locator("button.cw-feedback-submit").click()
    expect(box).to_be_hidden()
    page.screenshot(path=str(ARTIFACTS / "message-tools.png"))
    assert kernel_value(nb, "events") == "[(1, None), (1, 'clear and short')]"


def test_profile_description_icons_and_a_switch(notebook: MakeNotebook, page: Page) -> None:
    nb = notebook([ICONS_APP])
    nb.run_all()
    chat = Chat.find(page)
    intro = chat.root.locator(".cw-profile-intro")
    expect(intro).to_be_visible()
    expect(intro.locator(".cw-profile-intro-name")).to_have_text("Quick")
    expect(intro.locator(".cw-profile-description strong")).to_have_text("Fast")
    expect(intro.locator(".cw-profile-icon svg.cw-icon")).to_have_count(1)
    starters = chat.root.locator("button.cw-starter")
    expect(starters.nth(0).locator("svg.cw-icon")).to_have_count(1)
    # An unknown icon name shows nothing, never the name as a stray word.
    expect(starters.nth(1).locator(".cw-starter-icon")).to_have_count(0)
    expect(starters.nth(1)).to_have_text("Unknown icon")
    expect(chat.root.locator("button.cw-command-button svg.cw-icon")).to_have_count(1)
    page.screenshot(path=str(ARTIFACTS / "profile-intro.png"))
    # Another profile: its description (the PascalCase icon name is the same Lucide icon).
    chat.root.locator("select.cw-profile").select_option("Careful")
    expect(intro.locator(".cw-profile-description em")).to_have_text("thorough")
    expect(intro.locator(".cw-profile-icon svg.cw-icon")).to_have_count(1)
    # A Switch setting is a toggle switch.
    chat.root.locator("button.cw-settings-button").click()
    switch = chat.root.locator("[data-setting-id=stream] input[role=switch]")
    expect(switch).to_be_checked()
    look = switch.evaluate("e => { const s = getComputedStyle(e); return [s.appearance, s.width]; }")
    assert look == ["none", "34px"], look
    switch.click()
    expect(switch).not_to_be_checked()
    page.screenshot(path=str(ARTIFACTS / "settings-switch.png"))
    chat.root.locator("button.cw-settings-cancel").click()
    # Actions draw their icon, and the intro goes once the chat has messages.
    chat.send("go")
    expect(chat.root.locator("button.cw-action svg.cw-icon")).to_have_count(1)
    expect(intro).to_be_hidden()


LAZY_APP = r"""
import chatwidget as cw
app = cw.ChatApp(title="Lazy", persist=False)

@app.on_message
async def reply(message):
    if message.content == "plain":
        await cw.Message(content="Just words.").send()
    else:
        await cw.Message(content="Sum: $a+b$\n\n```python\ndef f():\n    return 1\n```").send()

app.display()
"""


@pytest.mark.parametrize("served", [True, False], ids=["from-the-server", "from-the-kernel"])
def test_math_and_highlighting_load_on_first_need(notebook: MakeNotebook, page: Page, served: bool) -> None:
    """KaTeX and highlight.js are not in the core bundle: they load when a message needs
    them, from the Jupyter server, or from the kernel where the server does not serve them."""
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/chatwidget/static/" in r.url else None)
    if not served:
        page.route("**/chatwidget/static/math.js*", lambda route: route.fulfill(status=404))
        page.route("**/chatwidget/static/highlight.js*", lambda route: route.fulfill(status=404))
    nb = notebook([LAZY_APP])
    nb.run_all()
    chat = Chat.find(page)
    chat.send("plain")
    expect(chat.assistant().last).to_contain_text("Just words.")
    chat.wait_idle()
    assert not [u for u in asked if u.split("?")[0].endswith(("/math.js", "/highlight.js"))], asked
    chat.send("rich")
    answer = chat.assistant().last
    expect(answer.locator(".cw-content math")).to_have_count(1)
    expect(answer.locator("code.hljs .hljs-keyword").first).to_have_text("def")
    expect(answer.locator(".cw-math-pending")).to_have_count(0)
    state = nb.add_and_run("print(sorted(k for k in app.widget.get_state() if k.startswith('lib_')))").strip()
    assert state == ("[]" if served else "['lib_highlight', 'lib_math']"), state
