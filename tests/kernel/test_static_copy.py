"""The saved-notebook copy costs what changed: chunks, of which an answer resends one."""

from __future__ import annotations

from typing import Any

import pytest
from IPython import display as ipy_display

import chatwidget as cw
from chatwidget import _static


class Output:
    """A display handle as IPython gives it; remembers every update."""

    def __init__(self, outputs: list[Output], obj: Any) -> None:
        self.html = getattr(obj, "data", "")
        self.updates = 0
        outputs.append(self)

    def update(self, obj: Any, **metadata: Any) -> None:
        self.html = obj.data
        self.updates += 1


@pytest.fixture
def outputs(monkeypatch: pytest.MonkeyPatch) -> list[Output]:
    shown: list[Output] = []

    def display(obj: Any, *args: Any, display_id: Any = None, **kwargs: Any) -> Any:
        if isinstance(obj, ipy_display.HTML):
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
    assert len(outputs) > 30
    assert all(len(o.html) < 2 * _static.CHUNK_BYTES for o in outputs)  # no output a page chokes on
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


async def test_long_code_is_cut_between_lines(app, outputs):
    app.display()
    code = "".join(f"line_{i} = {i} * 2  # {'x' * 30}\n" for i in range(5000))
    await cw.Message(code, language="python").send()
    app.flush()
    assert len(outputs) > 10
    page = text_of(outputs)
    assert all(f"line_{i} = {i} * 2" in page for i in (0, 2500, 4999))
    assert page.count("<pre><code>") == page.count("</code></pre>") == len(outputs)
