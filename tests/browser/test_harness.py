"""The harness itself, on widgets that are not ours: if these fail, the chat tests' failures
say nothing about chatwidget."""

from __future__ import annotations

import re

import pytest
from labdriver import MakeNotebook
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

ECHO = '''
import anywidget, traitlets

class Echo(anywidget.AnyWidget):
    _esm = """
    export default {
      render({ model, el }) {
        el.classList.add("echo-root");
        el.textContent = "no message yet";
        model.on("msg:custom", (msg) => { el.textContent = "echo: " + JSON.stringify(msg); });
      }
    };
    """
    received = traitlets.List().tag(sync=False)

    def __init__(self):
        super().__init__()
        self.on_msg(self._got)

    def _got(self, widget, content, buffers):
        self.received.append(content)
        self.send({"size": len(str(content))})

w = Echo()
w
'''


def test_lab_runs_cells_and_renders_a_widget(notebook: MakeNotebook, page: Page) -> None:
    nb = notebook(
        ["import ipywidgets\ns = ipywidgets.IntSlider(value=7, description='seven')\ns", "print(6 * 7)"]
    )
    nb.run_all()
    expect(page.locator(".jp-Notebook .widget-slider").first).to_be_visible()
    assert nb.cell_text(1).strip() == "42"
    assert nb.add_and_run("s.value = 9\nprint('value', s.value)").strip() == "value 9"
    expect(page.locator(".widget-readout").first).to_have_text("9")


def test_custom_messages_reach_the_kernel_from_the_page(notebook: MakeNotebook, page: Page) -> None:
    nb = notebook([ECHO])
    nb.run_all()
    root = page.locator(".echo-root")
    expect(root).to_have_text("no message yet")
    sent = nb.send_custom(".echo-root", [{"kind": "ping"}, "not an object", 5])
    assert sent == 3
    # JupyterLab 4.6 hands comm messages to a kernel subshell once it exists, so the first
    # ones may be handled on the main shell and overtaken: every message arrives, once, but
    # not necessarily in order. (chatwidget never relies on that order: a request that
    # depends on another, like an upload's next chunk, is sent after the reply.)
    expect(root).to_have_text(re.compile(r'^echo: \{"size":\d+\}$'))
    received = nb.add_and_run("print(sorted(map(repr, w.received)))").strip()
    assert received == repr(sorted(map(repr, [{"kind": "ping"}, "not an object", 5])))


def test_a_raising_cell_is_reported_with_its_traceback(notebook: MakeNotebook) -> None:
    nb = notebook(["x = 1", "raise ValueError('deliberate')"])
    with pytest.raises(AssertionError, match="ValueError: deliberate"):
        nb.run_all()
