"""A message of megabytes in a real JupyterLab: streamed faster than the page renders, it
ends with the page far behind; the page catches up frame by frame and shows all of it, in
order, with its blocks whole (a code fence in the middle, headings, a list)."""

from __future__ import annotations

import re

import pytest
from labdriver import _PANEL, Chat, MakeNotebook
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

PARAGRAPHS = 6_000  # ~2.6 MB: the page puts at most 16 KB of it in the DOM per frame

LONG_ANSWER = f"""
import chatwidget as cw

app = cw.ChatApp(title="Long answers", persist=False)

def pieces():
    for i in range({PARAGRAPHS}):
        words = " ".join(f"w{{i}}x{{j}}" for j in range(48))
        if i == {PARAGRAPHS // 2 + 1}:
            yield "```python\\n" + "\\n".join(f"line_{{k}} = {{k}}" for k in range(200)) + "\\n```\\n\\n"
        elif i % 500 == 0:
            yield f"## part {{i // 500}}\\n\\n- item {{i}}a\\n- item {{i}}b\\n\\n"
        yield f"p{{i}}start {{words}} p{{i}}end\\n\\n"

@app.on_message
async def answer(message: cw.Message):
    reply = cw.Message(content="")
    for piece in pieces():
        await reply.stream_token(piece)
    await reply.send()

app.display()
"""

#: Whether the message was ever final while its text was still being put in the page (behind).
RECORD_JS = """
root => {
  root.__behind = false;
  new MutationObserver(() => {
    const m = root.querySelector('.cw-message.cw-assistant');
    if (m && !m.classList.contains('cw-streaming') && m.querySelector('.cw-markdown[aria-busy]'))
      root.__behind = true;
  }).observe(root, {subtree: true, childList: true, attributes: true,
                    attributeFilter: ['class', 'aria-busy']});
}
"""

#: What the page shows of the answer, checked in the page (megabytes stay there).
SHOWN_JS = """
root => {
  const content = root.querySelector('.cw-message.cw-assistant .cw-content');
  const text = content.textContent;
  const starts = [...text.matchAll(/p(\\d+)start/g)].map(m => Number(m[1]));
  const ends = [...text.matchAll(/p(\\d+)end/g)].map(m => Number(m[1]));
  const inOrder = starts.every((n, i) => n === i) && ends.every((n, i) => n === i);
  const paragraphs = [...content.querySelectorAll('p')];
  const whole = paragraphs.filter(p => /^p\\d+start .* p\\d+end$/.test(p.textContent)).length;
  const code = [...content.querySelectorAll('pre code')].map(c => c.textContent);
  return {starts: starts.length, ends: ends.length, inOrder, whole,
          headings: content.querySelectorAll('h2').length, items: content.querySelectorAll('li').length,
          code, busy: !!content.querySelector('[aria-busy]')};
}
"""


def test_a_message_of_megabytes_is_shown_whole_after_the_page_catches_up(
    notebook: MakeNotebook, page: Page
) -> None:
    nb = notebook([LONG_ANSWER])
    nb.run_all()
    chat = Chat.find(page)
    chat.root.evaluate(RECORD_JS)
    chat.send("a very long answer, please")
    answer = chat.assistant()
    expect(answer).not_to_have_class(re.compile(r"\bcw-streaming\b"), timeout=60_000)
    expect(answer.locator(".cw-markdown[aria-busy]")).to_have_count(0, timeout=120_000)

    assert chat.root.evaluate("root => root.__behind"), "the page kept up: it was never behind at the end"
    shown = chat.root.evaluate(SHOWN_JS)
    assert shown["starts"] == shown["ends"] == PARAGRAPHS and shown["inOrder"], {
        k: v for k, v in shown.items() if k != "code"
    }
    assert shown["whole"] == PARAGRAPHS  # no paragraph cut in two
    assert shown["headings"] == PARAGRAPHS // 500 and shown["items"] == 2 * (PARAGRAPHS // 500)
    (code,) = shown["code"]  # the fence in the middle is one code block, highlighted once whole
    assert code.splitlines() == [f"line_{k} = {k}" for k in range(200)]
    assert not shown["busy"]


#: Every change to the chat cell's outputs (the saved copy's), and whether the chat was
#: drawing a long text (a `.cw-markdown[aria-busy]`) when it came.
OUTPUT_CHANGES_JS = (
    "([path, root]) => {"
    + _PANEL
    + """
  window.__cwChanges = [];
  nb.widgets[0].model.outputs.changed.connect(() => window.__cwChanges.push(
    !!root.querySelector('.cw-markdown[aria-busy]')));
}"""
)


def test_the_saved_copy_of_a_long_answer_waits_until_the_page_has_drawn_it(
    notebook: MakeNotebook, page: Page
) -> None:
    """Each output of the copy makes JupyterLab lay out the page: while the chat draws a
    long text, the kernel holds the copy back, and sends it once the text is drawn."""
    nb = notebook([LONG_ANSWER])
    nb.run_all()
    chat = Chat.find(page)
    chat.root.evaluate(RECORD_JS)
    page.evaluate(OUTPUT_CHANGES_JS, [nb.path, chat.root.element_handle()])
    chat.send("a very long answer, please")
    answer = chat.assistant()
    expect(answer).not_to_have_class(re.compile(r"\bcw-streaming\b"), timeout=60_000)
    expect(answer.locator(".cw-markdown[aria-busy]")).to_have_count(0, timeout=120_000)
    assert chat.root.evaluate("root => root.__behind"), "the page kept up: it was never behind at the end"
    page.wait_for_function(  # the copy: every paragraph's end, in the cell's outputs
        "([path, last]) => {" + _PANEL + " const o = nb.widgets[0].model.outputs;"
        " return o.length > 1 && JSON.stringify(o.get(o.length - 1).data).includes(last); }",
        arg=[nb.path, f"p{PARAGRAPHS - 1}end"],
        timeout=60_000,
    )
    changes = page.evaluate("() => window.__cwChanges")
    assert changes and not any(changes), changes


LOG_LINES = [f"{k:06d} <tag> & 'quoted' " + "x" * 40 for k in range(5_000)]  # ~330 KB

LONG_CODE_ANSWER = """
import chatwidget as cw

app = cw.ChatApp(title="Long code", persist=False)
LINES = [f"{k:06d} <tag> & 'quoted' " + "x" * 40 for k in range(5_000)]

@app.on_message
async def answer(message: cw.Message):
    reply = cw.Message(content="")
    await reply.stream_token("Here is the log:\\n\\n```text\\n")
    for line in LINES:
        await reply.stream_token(line + "\\n")
    await reply.stream_token("```\\n\\nThe end of the *log*.")
    await reply.send()

app.display()
"""

CODE_SHOWN_JS = """
root => {
  const m = [...root.querySelectorAll('.cw-message.cw-assistant')].pop();
  const code = m.querySelector('pre.cw-code code');
  const pieces = [...code.querySelectorAll('.cw-code-piece')];
  return {blocks: m.querySelectorAll('.cw-code-block').length,
          language: m.querySelector('.cw-code-lang').textContent, text: code.textContent,
          pieces: pieces.length, wholeLines: pieces.every(p => p.textContent.endsWith('\\n')),
          paragraphs: [...m.querySelectorAll('.cw-content p')].map(p => p.innerHTML)};
}
"""


def test_a_long_code_block_is_one_block_drawn_in_pieces_streamed_or_drawn_anew(
    notebook: MakeNotebook, page: Page
) -> None:
    """A code block of a few hundred kilobytes (a log) is drawn in pieces of whole lines that
    the browser skips while out of view: streamed, and drawn from scratch by a second view."""
    nb = notebook([LONG_CODE_ANSWER])
    nb.run_all()
    chat = Chat.find(page)
    chat.send("the log, please")
    answer = chat.assistant()
    expect(answer).not_to_have_class(re.compile(r"\bcw-streaming\b"), timeout=60_000)
    expect(answer.locator(".cw-markdown[aria-busy]")).to_have_count(0, timeout=60_000)
    nb.add_and_run("app.display()")
    second = Chat.find(page, 1)
    expect(second.assistant()).to_contain_text("The end of the")
    expect(second.root.locator(".cw-markdown[aria-busy]")).to_have_count(0, timeout=60_000)
    for view in (chat, second):
        shown = view.root.evaluate(CODE_SHOWN_JS)
        assert shown["text"] == "\n".join(LOG_LINES) + "\n"  # escaped as text, every line once
        assert shown["blocks"] == 1 and shown["language"] == "text"
        assert shown["pieces"] > 10 and shown["wholeLines"]
        assert shown["paragraphs"] == ["Here is the log:", "The end of the <em>log</em>."]
