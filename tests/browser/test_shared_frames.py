"""A shared conversation's figures and custom elements are drawn on the public page, in
sandboxed frames whose document the server serves with a CSP of its own (the page itself
forbids inline frames)."""

from __future__ import annotations

import pytest
from labdriver import TIMEOUT_MS, Chat, JupyterLab, MakeNotebook
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

APP = '''
import chatwidget as cw
import plotly.graph_objects as go

BADGE = """
export function render({ props, el }) {
  const badge = document.createElement("span");
  badge.className = "badge";
  badge.textContent = props.label;
  el.append(badge);
}
"""

app = cw.ChatApp(title="Figures")

@app.on_message
async def show(message):
    figure = go.Figure(go.Bar(x=[1, 2, 3], y=[3, 1, 2]), layout={"title": {"text": "Shared bars"}})
    await cw.Message(content="a figure and a badge", elements=[
        cw.Plotly(name="bars", figure=figure),
        cw.CustomElement(name="badge", source=BADGE, props={"label": "made in the kernel"}),
    ]).send()

app.display()
'''


def test_a_shared_page_draws_figures_and_custom_elements(
    notebook: MakeNotebook, page: Page, lab: JupyterLab, browser: Browser
) -> None:
    nb = notebook([APP])
    nb.run_all()
    chat = Chat.find(page)
    chat.send("show")
    expect(chat.root.locator(".cw-message", has_text="a figure and a badge")).to_have_count(1)
    chat.wait_idle()
    thread_id = nb.add_and_run("await app.save(); print(app.thread_id)").strip()
    status, shared = lab.api("PUT", f"/chatwidget/api/threads/{thread_id}/share")
    assert status == 200 and shared["isShared"] is True, shared

    anonymous = browser.new_context()
    try:
        public = anonymous.new_page()
        errors: list[str] = []
        public.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        public.goto(f"{lab.base}/chatwidget/share/{thread_id}/page", timeout=TIMEOUT_MS)
        shared_root = public.locator("#cw-shared")
        expect(shared_root).to_have_attribute("data-rendered", "bundle", timeout=TIMEOUT_MS)
        badge = public.frame_locator(".cw-element[data-type=custom] iframe").locator("span.badge")
        expect(badge).to_have_text("made in the kernel", timeout=TIMEOUT_MS)
        bars = public.frame_locator("iframe.cw-plotly-frame").locator(".main-svg .bars path")
        expect(bars).to_have_count(3, timeout=TIMEOUT_MS)
        frame = public.locator(".cw-element[data-type=custom] iframe")
        assert frame.get_attribute("sandbox") == "allow-scripts"
        assert (frame.get_attribute("src") or "").endswith("/chatwidget/static/frame.html")
        public.screenshot(path="test-artifacts/shared-figures.png", full_page=True)
        assert not [e for e in errors if "Content Security Policy" in e], errors
    finally:
        anonymous.close()
