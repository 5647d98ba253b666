"""A message of megabytes in a real JupyterLab: streamed faster than the page renders, it
ends with the page far behind; the page catches up frame by frame and shows all of it, in
order, with its blocks whole (a code fence in the middle, headings, a list)."""

from __future__ import annotations

import re

import pytest
from labdriver import Chat, MakeNotebook
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
