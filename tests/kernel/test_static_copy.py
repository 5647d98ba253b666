"""The saved-notebook copy costs what changed: chunks, of which an answer resends one."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from IPython import display as ipy_display

import chatwidget as cw
from chatwidget import _static, _static_markdown
from chatwidget._protocol import PROTOCOL_VERSION
from chatwidget.saved_copy import HTML_MIME, LIVE_MIME, html_for_saving


class Output:
    """A display handle as IPython gives it; remembers every update and the mime type."""

    def __init__(self, outputs: list[Output], obj: Any) -> None:
        self.updates = 0
        self._read(obj)
        outputs.append(self)

    def _read(self, data: dict[str, str]) -> None:
        ((self.mime, self.html),) = data.items()  # one mime type, no text/plain beside it

    def update(self, obj: Any, **options: Any) -> None:
        assert options.get("raw") is True
        self._read(obj)
        self.updates += 1


@pytest.fixture
def outputs(monkeypatch: pytest.MonkeyPatch) -> list[Output]:
    shown: list[Output] = []

    def display(obj: Any, *args: Any, display_id: Any = None, **kwargs: Any) -> Any:
        if kwargs.get("metadata") == _static.OUTPUT_METADATA:
            assert kwargs.get("raw") is True
            return Output(shown, obj)
        return None  # the widget itself

    monkeypatch.setattr(ipy_display, "display", display)
    return shown


def text_of(outputs: list[Output]) -> str:
    return "".join(o.html for o in outputs)


async def test_an_answer_resends_only_the_last_chunk(app, outputs):
    @app.on_message
    async def echo(message):
        await cw.Message(f"echo: {message.content} " + "lorem ipsum " * 20).send()

    app.display()
    for i in range(100):
        await app.send_user_message(f"question {i}")
    assert len(outputs) > 3  # cut into chunks, each an output of the displaying cell
    assert all(len(o.html) < 2 * _static.CHUNK_BYTES for o in outputs)
    before = [(o.html, o.updates) for o in outputs]
    await app.send_user_message("one more")
    changed = [o for o, (html, _) in zip(outputs, before, strict=False) if o.html != html]
    new = outputs[len(before) :]
    assert len(changed) + len(new) <= 2  # the last chunk (and, when it filled up, a new one)
    assert sum(len(o.html) for o in changed + new) < 2 * _static.CHUNK_BYTES
    assert "echo: one more" in text_of(outputs)
    assert text_of(outputs).count("question 0<") == 1 and "question 99" in text_of(outputs)


async def test_a_change_to_an_old_message_resends_its_chunk_only(app, outputs):
    for i in range(80):
        await cw.Message(f"message {i} " + "x" * 400).send()
    app.display()
    first = app.messages[0]
    updates = [o.updates for o in outputs]
    first.content = "an edited first message"
    await first.update()
    app.flush()
    assert outputs[0].updates == updates[0] + 1 and "an edited first message" in outputs[0].html
    assert [o.updates for o in outputs[1:]] == updates[1:]


async def test_the_copy_shows_what_was_said_before_display_and_stays_safe(app, outputs):
    await cw.Message(
        "before display ![pixel](https://tracker.example/p.png) [site](https://example.org)"
        " ![relative](//tracker.example/q.png) ![local](files/plot.png)"
    ).send()
    await cw.Message("$x^2$ and \\(y\\)").send()
    app.display()
    page = text_of(outputs)
    assert "before display" in page
    assert 'href="https://tracker.example/p.png"' in page  # a link, not a load
    assert 'href="//tracker.example/q.png"' in page  # another host, without a scheme
    assert page.count("<img") == 1 and '<img src="files/plot.png"' in page
    assert 'rel="noopener noreferrer"' in page
    assert "tex2jax_ignore" in page and "mathjax_ignore" in page
    assert page == _static._frame(app.title, "".join(_static.step_html(s, 0, True) for s in app.steps))


def paragraphs(count: int, tag: str) -> str:
    return "\n\n".join(f"{tag} paragraph {i} with [a link][ref] " + "word " * 40 for i in range(count)) + (
        "\n\n[ref]: https://example.org/ref"
    )


async def test_a_very_long_message_is_cut_into_outputs_between_blocks(app, outputs):
    app.display()
    message = cw.Message(paragraphs(3000, "long"))  # about 700 KB of markdown
    await message.send()
    app.flush()
    assert len(outputs) > 8
    assert all(len(o.html) < 2 * _static_markdown.PART_BYTES for o in outputs)  # no output a page chokes on
    page = text_of(outputs)
    assert page.count("long paragraph ") == 3000 and page.index("paragraph 2999") > page.index("paragraph 0 ")
    assert page.count('href="https://example.org/ref"') == 3000  # a reference defined at the end, everywhere
    assert page.count("<p>") == page.count("</p>") == 3000  # no paragraph split across outputs
    assert page.count('class="cw-s-author"') == 1  # one message, its author shown once

    # Drawn again (its text changed a little), it keeps its outputs: none is added.
    count = len(outputs)
    message.content = message.content.replace("long paragraph 5 ", "long paragraph five ")
    await message.update()
    app.flush()
    assert len(outputs) == count and "paragraph five" in text_of(outputs)
    await cw.Message("after the long one").send()
    app.flush()
    assert text_of(outputs).rindex("after the long one") > text_of(outputs).rindex("paragraph 2999")


async def test_after_an_answer_a_long_copy_goes_out_paced_and_a_flush_sends_the_rest(
    app, outputs, until, monkeypatch
):
    monkeypatch.setattr(_static.StaticCopies, "INTERVAL", 0.0)
    monkeypatch.setattr(_static.StaticCopies, "SEND_CHARS", 40_000)
    monkeypatch.setattr(_static.StaticCopies, "PACE", 0.2)
    text = paragraphs(3000, "paced")  # about 700 KB of markdown, over 10 outputs

    @app.on_message
    async def answer(message):
        await cw.Message(text).send()

    app.display()
    app.chat.accept_user_message("a long one, please", [])
    app.chat.answer_after_start(app.messages[-1])
    await until(lambda: len(outputs) >= 2)
    first = len(outputs)
    assert first < 10  # a few outputs per turn of the loop, not all at once
    await until(lambda: len(outputs) > first)  # the rest follows, a turn every PACE seconds
    assert text_of(outputs).index("paced paragraph 0 ") < text_of(outputs).index("paced paragraph 9")
    app.flush()  # a notebook saved now gets all of it
    page = text_of(outputs)
    assert page.count("paced paragraph ") == 3000 and page.count("<p>") == page.count("</p>")
    assert page.index("paced paragraph 0 ") < page.index("paced paragraph 2999")

    # What changes while a paced copy goes out is sent once it is out.
    app.chat.accept_user_message("another long one", [])
    app.chat.answer_after_start(app.messages[-1])
    await until(lambda: text_of(outputs).count("paced paragraph 0 ") == 2)
    copies = app.static_copies
    assert copies is not None
    await cw.Message("said later").send()
    copies.refresh()  # as the end of an answer does
    assert "said later" not in text_of(outputs)
    await until(lambda: "said later" in text_of(outputs))
    page = text_of(outputs)
    assert page.count("paced paragraph 2999") == 2
    assert page.rindex("said later") > page.rindex("paragraph 2999")


async def test_the_copy_waits_while_a_view_draws_a_long_text(app, outputs, wire, until, replied, monkeypatch):
    """Each output of the copy makes the page lay out what it is drawing: while a view says
    it draws a long text, the copy waits; never longer than DRAWING_WAIT, whatever views say."""
    monkeypatch.setattr(_static.StaticCopies, "INTERVAL", 0.0)
    monkeypatch.setattr(_static.StaticCopies, "DRAWING_POLL", 0.02)
    monkeypatch.setattr(_static.StaticCopies, "DRAWING_WAIT", 60.0)  # not reached: the views say
    app.display()

    def drawing(request_id: str, view: Any, busy: Any) -> None:
        wire.browser_sends({"id": request_id, "kind": "drawing", "view": view, "busy": busy})

    async def answered(content: str) -> None:
        await cw.Message(content).send()
        copies = app.static_copies
        assert copies is not None
        copies.refresh()  # as the end of an answer does

    drawing("d1", "view-a", True)
    drawing("d2", "view-b", True)
    await until(replied(wire, "d1", "d2"))
    assert all(r["ok"] and r["result"] == {"waits": True} for r in wire.customs("reply"))
    await answered("first answer")
    await asyncio.sleep(0.3)
    assert "first answer" not in text_of(outputs)  # both views draw
    drawing("d3", "view-a", False)
    await asyncio.sleep(0.2)
    assert "first answer" not in text_of(outputs)  # one still does
    drawing("d4", "view-b", False)
    await until(lambda: "first answer" in text_of(outputs), timeout=0.8)

    # A view that never says it is done (its page closed), or says it draws again and
    # again, holds a write back DRAWING_WAIT at most; so do many views.
    monkeypatch.setattr(_static.StaticCopies, "DRAWING_WAIT", 1.0)
    for i in range(100):
        drawing(f"many-{i}", f"view-{i}", True)
    await until(replied(wire, *(f"many-{i}" for i in range(100))))
    started = time.monotonic()
    await answered("second answer")
    await until(lambda: "second answer" in text_of(outputs), timeout=3.0)
    assert 0.9 < time.monotonic() - started < 2.5
    copies = app.static_copies
    assert copies is not None and copies.views_drawing <= _static.StaticCopies.DRAWING_VIEWS

    # What is not a view's id and a yes or no is refused, and changes nothing.
    for i, (view, busy) in enumerate([("x" * 65, True), ("v", "yes"), (7, True), ("v", None)]):
        drawing(f"bad-{i}", view, busy)
    await until(replied(wire, *(f"bad-{i}" for i in range(4))))
    bad = [r for r in wire.customs("reply") if r["id"].startswith("bad-")]
    assert all(not r["ok"] for r in bad), bad
    app.flush()  # a flush never waits
    assert "second answer" in text_of(outputs)


async def test_long_code_is_cut_between_lines(app, outputs):
    app.display()
    code = "".join(f"line_{i} = {i} * 2  # {'x' * 30}\n" for i in range(5000))
    await cw.Message(code, language="python").send()
    app.flush()
    assert len(outputs) >= len(code) // _static_markdown.PART_BYTES > 2
    page = text_of(outputs)
    assert all(f"line_{i} = {i} * 2" in page for i in (0, 2500, 4999))
    assert page.count("<pre><code>") == page.count("</code></pre>") == len(outputs)


async def test_the_copy_goes_live_while_every_view_saves_it_as_html(app, outputs, wire, until, replied):
    """A view whose server writes the copy as HTML at save time gets the live form (no page
    parses it); the first view without that keeps the copy HTML for good."""
    for i in range(60):
        await cw.Message(f"message {i} " + "x" * 400).send()
    app.display()
    assert len(outputs) > 1 and {o.mime for o in outputs} == {HTML_MIME}
    before = text_of(outputs)

    wire.browser_sends({"id": "h1", "kind": "hello", "protocol": PROTOCOL_VERSION, "copy_html_at_save": True})
    await until(lambda: {o.mime for o in outputs} == {LIVE_MIME})
    assert text_of(outputs) == before  # every chunk sent again, the same HTML
    await app.send_user_message("after")
    assert {o.mime for o in outputs} == {LIVE_MIME} and "after" in text_of(outputs)

    for bad in ("yes", 1, None):  # only true says so
        wire.browser_sends(
            {"id": f"h-{bad}", "kind": "hello", "protocol": PROTOCOL_VERSION, "copy_html_at_save": bad}
        )
    await until(replied(wire, "h-yes", "h-1", "h-None"))
    await until(lambda: {o.mime for o in outputs} == {HTML_MIME})
    wire.browser_sends({"id": "h2", "kind": "hello", "protocol": PROTOCOL_VERSION, "copy_html_at_save": True})
    await until(replied(wire, "h2"))
    app.flush()
    assert {o.mime for o in outputs} == {HTML_MIME}


def test_html_for_saving_turns_only_the_live_copy_into_html():
    notebook: dict[str, Any] = {
        "cells": [
            {"cell_type": "markdown", "source": "x"},
            {"cell_type": "code", "outputs": [
                {"output_type": "display_data", "data": {LIVE_MIME: "<div>a</div>"}, "metadata": {}},
                {"output_type": "display_data", "data": {"text/plain": "b"}, "metadata": {}},
                {"output_type": "stream", "text": "c"},
                "not an output",
            ]},
            {"cell_type": "code", "outputs": None},
        ]
    }  # fmt: skip
    assert html_for_saving(notebook) == 1
    first, second, *_ = notebook["cells"][1]["outputs"]
    assert first["data"] == {HTML_MIME: "<div>a</div>"}
    assert second["data"] == {"text/plain": "b"}
    assert html_for_saving({"cells": "nonsense"}) == 0 and html_for_saving({}) == 0


async def test_a_long_answer_is_rendered_a_part_per_slice_and_a_change_restarts_it(
    app, outputs, until, monkeypatch
):
    """The kernel's loop is never held for a whole long message: each slice renders a part
    at least and stops once its time is up (here at once), and the loop runs in between."""
    monkeypatch.setattr(_static.StaticCopies, "INTERVAL", 0.0)
    monkeypatch.setattr(_static.StaticCopies, "SLICE", 0.0)
    slices = []
    write_in_slices = _static.StaticCopies._write_in_slices

    def counted(self):
        slices.append(len(outputs))
        write_in_slices(self)

    monkeypatch.setattr(_static.StaticCopies, "_write_in_slices", counted)
    app.display()
    message = cw.Message(paragraphs(3000, "sliced"))  # about 700 KB: over 10 parts
    await message.send()
    app.static_copies.refresh()
    await until(lambda: len(slices) >= 3)
    assert "sliced paragraph 0 " not in text_of(outputs)  # nothing goes out half rendered
    message.content = message.content.replace("sliced paragraph 0 ", "sliced paragraph zero ")
    await message.update()  # begun on the old text: rendered again from its start
    app.static_copies.refresh()
    await until(lambda: "sliced paragraph 2999" in text_of(outputs))
    assert len(slices) > len(message.content) // _static_markdown.PART_BYTES
    page = text_of(outputs)
    assert "sliced paragraph zero " in page and "sliced paragraph 0 " not in page
    assert page.count("sliced paragraph ") == 3000 and page.count("<p>") == page.count("</p>") == 3000
