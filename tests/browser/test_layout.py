"""The chat fits where it is shown: JupyterLab's side panel at 250, 420 and 1200 px (light
and dark), inline in a cell with a resize handle, in a box with a fixed height; auto-scroll
follows late content at the bottom and leaves a reader who scrolled up alone.

Screenshots of every width and theme are saved under test-artifacts/layout-*.png."""

from __future__ import annotations

from typing import Any

import pytest
from labdriver import ARTIFACTS, TIMEOUT_MS, Chat, MakeNotebook
from playwright.sync_api import Browser, Locator, Page, expect

pytestmark = pytest.mark.browser

LONG_WORD = "Übersichtlichkeitsprüfung"

APP = f'''
import asyncio
import chatwidget as cw

GROW = """
export function render({{ props, el }}) {{
  const box = document.createElement("div");
  box.className = "late";
  box.style.height = "20px";
  box.textContent = "loading…";
  el.append(box);
  setTimeout(() => {{ box.style.height = props.height + "px"; box.textContent = "loaded"; }}, props.delay);
}}
"""

app = cw.ChatApp(title="Layout", persist=False)

@app.on_message
async def reply(message):
    text = message.content
    if text.startswith("late"):
        await cw.Message(content="a block that grows after it is shown", elements=[
            cw.CustomElement(name="late", source=GROW, props={{"height": 600, "delay": 1500}})
        ]).send()
        return
    await cw.Message(content=(
        f"Answer to **{{text}}**.\\n\\n"
        "| term | meaning |\\n|---|---|\\n"
        "| {LONG_WORD} | a long word that must not break |\\n"
        "| short | fine |\\n\\n"
        + "A paragraph of filler text that wraps over a few lines in a narrow panel. " * 3
    )).send()

for i in range(8):
    await app.send_user_message(f"question {{i}}")
'''


AT_BOTTOM_JS = "(s) => s.scrollHeight - s.scrollTop - s.clientHeight <= 2"
WIDE_JS = "() => document.getElementById('jp-right-stack').getBoundingClientRect().width >= 400"


def panel_width(page: Page) -> float:
    return page.evaluate("() => document.getElementById('jp-right-stack').getBoundingClientRect().width")  # type: ignore[no-any-return]


def set_panel_width(page: Page, width: int) -> None:
    """Drag the split handle left of the right panel, as a user would."""
    handle = page.evaluate(
        """() => {
          const stack = document.getElementById('jp-right-stack');
          let area = stack;
          while (!area.parentElement.classList.contains('lm-SplitPanel')) area = area.parentElement;
          const left = area.getBoundingClientRect().left;
          const handles = [...area.parentElement.children]
            .filter(h => h.classList.contains('lm-SplitPanel-handle'));
          const h = handles.map(h => h.getBoundingClientRect()).sort((a, b) =>
            Math.abs(a.left + a.width / 2 - left) - Math.abs(b.left + b.width / 2 - left))[0];
          const right = stack.getBoundingClientRect().right;
          return {x: h.left + h.width / 2, y: h.top + h.height / 2, right};
        }"""
    )
    page.mouse.move(handle["x"], handle["y"])
    page.mouse.down()
    page.mouse.move(handle["right"] - width - 1, handle["y"], steps=4)
    page.mouse.up()
    page.wait_for_timeout(300)
    assert abs(panel_width(page) - width) <= 4, panel_width(page)


GEOMETRY_JS = """(root) => {
  const box = (e) => e.getBoundingClientRect();
  const panel = root.closest('.jp-LinkedOutputView, .jupyterlab-sidecar') || root.parentElement;
  const scroller = root.querySelector('.cw-messages');
  // A word split over two lines has two client rects.
  const splitWords = [...root.querySelectorAll('.cw-markdown td')].filter(td => {
    const r = document.createRange(); r.selectNodeContents(td);
    return td.textContent.trim().split(/\\s+/).length === 1 && r.getClientRects().length > 1;
  }).map(td => td.textContent);
  return {
    root: box(root).toJSON(), panel: box(panel).toJSON(),
    header: box(root.querySelector('.cw-header')).toJSON(),
    composer: box(root.querySelector('.cw-composer')).toJSON(),
    scroll: {height: scroller.scrollHeight, client: scroller.clientHeight, top: scroller.scrollTop},
    panelScrolls: panel.scrollHeight > panel.clientHeight + 1,
    splitWords,
    filling: root.classList.contains('cw-fill'),
  };
}"""


def geometry(root: Locator) -> dict[str, Any]:
    return root.evaluate(GEOMETRY_JS)  # type: ignore[no-any-return]


def at_bottom(g: dict[str, Any]) -> bool:
    s = g["scroll"]
    return bool(s["height"] - s["top"] - s["client"] <= 2)


def assert_fills(g: dict[str, Any], where: str) -> None:
    root, panel = g["root"], g["panel"]
    assert g["filling"], where
    assert abs(root["top"] - panel["top"]) <= 2, (where, root, panel)
    assert abs(root["bottom"] - panel["bottom"]) <= 2, (where, root, panel)
    assert not g["panelScrolls"], where
    assert panel["top"] <= g["header"]["top"] and g["composer"]["bottom"] <= panel["bottom"] + 1, (where, g)
    assert g["scroll"]["height"] > g["scroll"]["client"], f"{where}: the message list does not scroll"
    assert not g["splitWords"], f"{where}: table words broken: {g['splitWords']}"


def use_theme(page: Page, theme: str) -> None:
    page.evaluate("(t) => window.jupyterapp.commands.execute('apputils:change-theme', {theme: t})", theme)
    expect(page.locator("body")).to_have_attribute("data-jp-theme-name", theme, timeout=TIMEOUT_MS)
    page.wait_for_timeout(300)


@pytest.fixture
def wide_page(browser: Browser, page: Page) -> Page:
    page.set_viewport_size({"width": 1700, "height": 900})
    return page


@pytest.mark.parametrize("theme", ["JupyterLab Light", "JupyterLab Dark"])
def test_side_panel_fills_its_height_at_every_width(
    notebook: MakeNotebook, wide_page: Page, theme: str
) -> None:
    page = wide_page
    nb = notebook([APP + "\napp.sidebar(title='Chat panel')"])
    use_theme(page, theme)
    nb.run_all()
    root = page.locator("#jp-right-stack .cw-root")
    expect(root).to_be_visible()
    expect(root.locator(".cw-message.cw-assistant")).to_have_count(8)
    # The panel opens at a usable width, not the 250 px JupyterLab gives a new side panel.
    page.wait_for_function(WIDE_JS)
    chat = Chat(root)
    slug = "dark" if "Dark" in theme else "light"
    for width in (250, 420, 1200):
        set_panel_width(page, width)
        page.wait_for_function(AT_BOTTOM_JS, arg=root.locator(".cw-messages").element_handle())
        g = geometry(root)
        assert_fills(g, f"{width} px")
        assert at_bottom(g), f"{width} px: not scrolled to the newest message"
        # A new answer scrolls into view, the composer stays where it is.
        chat.send(f"typed at {width}")
        newest = root.locator(".cw-message.cw-assistant").last
        expect(newest).to_contain_text(f"typed at {width}")
        page.wait_for_timeout(200)
        after = geometry(root)
        assert at_bottom(after), f"{width} px: the new answer is not scrolled into view"
        assert abs(after["composer"]["bottom"] - g["composer"]["bottom"]) <= 1
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"layout-panel-{slug}-{width}.png"))


def test_inline_chat_has_a_fixed_height_and_a_resize_handle(notebook: MakeNotebook, page: Page) -> None:
    nb = notebook([APP + "\napp.display()"])
    nb.run_all()
    chat = Chat.find(page)
    root = chat.root
    expect(root.locator(".cw-message.cw-assistant")).to_have_count(8)
    before = root.bounding_box()
    assert before is not None and 300 <= before["height"] <= 700, before
    g = geometry(root)
    assert not g["filling"] and g["scroll"]["height"] > g["scroll"]["client"]
    assert g["composer"]["bottom"] <= g["root"]["bottom"]
    handle = root.locator(".cw-resize")
    root.evaluate("r => r.scrollIntoView({block: 'start'})")
    before = root.bounding_box()
    assert before is not None
    hb = handle.bounding_box()
    assert hb is not None
    page.mouse.move(hb["x"] + hb["width"] / 2, hb["y"] + hb["height"] / 2)
    page.mouse.down()
    page.mouse.move(hb["x"] + hb["width"] / 2, hb["y"] + hb["height"] / 2 + 150, steps=5)
    page.mouse.up()
    after = root.bounding_box()
    assert after is not None and abs(after["height"] - before["height"] - 150) <= 3, (before, after)
    handle.focus()
    handle.press("ArrowUp")
    shrunk = root.bounding_box()
    assert shrunk is not None and abs(after["height"] - shrunk["height"] - 40) <= 3
    page.screenshot(path=str(ARTIFACTS / "layout-inline.png"))


def test_chat_fills_a_box_with_a_fixed_height(notebook: MakeNotebook, page: Page) -> None:
    nb = notebook(
        [
            APP
            + "\nimport ipywidgets as w\napp.widget.layout.width = '100%'\n"
            + "w.VBox([app.widget], layout=w.Layout(height='380px', width='600px'))"
        ]
    )
    nb.run_all()
    chat = Chat.find(page)
    expect(chat.root).to_have_class("cw-root cw-fill", timeout=TIMEOUT_MS)
    box = chat.root.bounding_box()
    assert box is not None and abs(box["height"] - 380) <= 2, box
    g = geometry(chat.root)
    assert g["composer"]["bottom"] <= g["root"]["bottom"] + 1
    assert g["scroll"]["height"] > g["scroll"]["client"]


def test_auto_scroll_follows_late_content_and_never_yanks_a_reader(
    notebook: MakeNotebook, page: Page
) -> None:
    nb = notebook([APP + "\napp.display()"])
    nb.run_all()
    chat = Chat.find(page)
    scroller = chat.root.locator(".cw-messages")
    chat.send("late one")
    frame = chat.root.frame_locator("iframe.cw-frame").last
    expect(frame.locator(".late")).to_have_text("loaded", timeout=TIMEOUT_MS)
    page.wait_for_function(
        "(s) => s.scrollHeight - s.scrollTop - s.clientHeight <= 2 && s.scrollHeight > 1000",
        arg=scroller.element_handle(),
    )
    # Scroll up like a reader, then more late content arrives: the view stays put.
    scroller.hover()
    page.mouse.wheel(0, -400)
    page.wait_for_timeout(300)
    top = scroller.evaluate("s => s.scrollTop")
    chat.send("late two")
    expect(chat.root.locator(".cw-message", has_text="a block that grows")).to_have_count(2)
    expect(chat.root.frame_locator("iframe.cw-frame").last.locator(".late")).to_have_text("loaded")
    page.wait_for_timeout(300)
    assert scroller.evaluate("s => s.scrollTop") == top
    # Back at the bottom, it follows again.
    scroller.evaluate("s => s.scrollTo(0, s.scrollHeight)")
    page.mouse.wheel(0, 100)
    chat.send("late three")
    expect(chat.root.locator(".cw-message", has_text="a block that grows")).to_have_count(3)
    expect(chat.root.frame_locator("iframe.cw-frame").last.locator(".late")).to_have_text("loaded")
    page.wait_for_function(AT_BOTTOM_JS, arg=scroller.element_handle())


def test_panel_width_is_left_to_the_user_after_opening(notebook: MakeNotebook, page: Page) -> None:
    nb = notebook([APP + "\napp.sidebar(title='Chat panel')"])
    nb.run_all()
    expect(page.locator("#jp-right-stack .cw-root")).to_be_visible()
    page.wait_for_function(WIDE_JS)
    set_panel_width(page, 300)
    chat = Chat(page.locator("#jp-right-stack .cw-root"))
    chat.send("after resizing")
    expect(chat.assistant().last).to_contain_text("after resizing")
    page.wait_for_timeout(300)
    assert abs(panel_width(page) - 300) <= 4
