"""Hostile content sent through the real kernel must render inert.

The widget runs inside the JupyterLab page: a script in a chat bubble is code execution on
the user's server. Every field a handler controls carries the corpus of xss_corpus.py:
message content (sent whole and streamed in small pieces), step name, input and output,
author names, code languages, the chat's title and the user's own messages.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import xss_corpus
from labdriver import Chat, JupyterLab, MakeNotebook, PageEvents
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

NOTEBOOK = [
    """
import asyncio
import chatwidget as cw
from xss_corpus import AUTHORS, LANGUAGES, VECTORS

PAYLOADS = [v for _, v in VECTORS]
TITLE = AUTHORS[0]
app = cw.ChatApp(title=TITLE)
app.user_name = AUTHORS[1]
app.assistant_name = AUTHORS[2]
""",
    """
@app.on_message
async def hostile(message: cw.Message):
    if message.content != "go":
        await cw.Message(content="received").send()
        return
    for i, payload in enumerate(PAYLOADS):
        lang = LANGUAGES[i % len(LANGUAGES)]
        async with cw.Step(name=payload, type="tool", language=lang, show_input=lang or True,
                           default_open=True) as step:
            step.input = payload
            step.output = payload
        await cw.Message(content=payload, author=AUTHORS[i % len(AUTHORS)]).send()
        await cw.Message(content=payload, language=lang).send()
    # The same corpus streamed in 7-character tokens, so tags arrive cut in pieces.
    streamed = cw.Message(content="")
    blob = "\\n\\n".join(PAYLOADS)
    for n, start in enumerate(range(0, len(blob), 7)):
        await streamed.stream_token(blob[start:start + 7])
        if n % 10 == 0:
            await asyncio.sleep(0.03)
    await streamed.send()
    await cw.Message(content="CORPUS-DONE").send()

app.display()
""",
]

#: Elements that have no business inside the chat (the composer is the widget's own).
FORBIDDEN_TAGS = "script,iframe,frame,frameset,object,embed,applet,portal,form,style,base,meta,link"
#: Attributes that load or navigate; a dangerous scheme in any of them is a finding.
URL_ATTRIBUTES = [
    "href",
    "xlink:href",
    "src",
    "srcset",
    "action",
    "formaction",
    "poster",
    "background",
    "data",
    "values",
    "from",
    "to",
    "by",
]
#: Class names the page or the widget itself gives meaning to.
OWNED_CLASSES = ["cw-root", "cw-input", "cw-send", "cw-stop", "cw-composer", "cw-message", "cw-step"]

INSPECT_JS = """
(root, [forbidden, urlAttrs, badSchemes, ownedClasses]) => {
  const found = [];
  const BLANKS = /[\\s\\u0000-\\u001f\\u007f-\\u009f\\u180e\\u200b]/g;  // \\s: Unicode spaces
  const where = (e) => {
    const host = e.closest('[data-step-id]');
    return `<${e.tagName.toLowerCase()}> in ${host ? host.getAttribute('data-type') : 'chrome'}`;
  };
  const chrome = (e) => !!e.closest('.cw-composer, .cw-mcp, .cw-user-env');  // the widget's own forms
  for (const e of root.querySelectorAll(forbidden)) {
    if (!chrome(e)) found.push(`forbidden element ${where(e)}`);
  }
  for (const e of [root, ...root.querySelectorAll('*')]) {
    for (const a of e.attributes) {
      const name = a.name.toLowerCase();
      if (name.startsWith('on')) found.push(`event handler ${name} on ${where(e)}`);
      if (name === 'srcdoc') found.push(`srcdoc on ${where(e)}`);
      if (urlAttrs.includes(name)) {
        // browsers drop whitespace and control characters inside a scheme
        const v = a.value.replace(BLANKS, '').toLowerCase();
        if (badSchemes.some(s => v.startsWith(s)))
          found.push(`${name}=${a.value.slice(0, 60)} on ${where(e)}`);
      }
    }
  }
  const rendered = root.querySelectorAll(
    ':is(.cw-content, .cw-step-input, .cw-step-output, .cw-step-name, .cw-author, .cw-title) *');
  for (const e of rendered) {
    for (const a of e.attributes) {
      const name = a.name.toLowerCase();
      if (name === 'style' || name === 'id' || name === 'name' || name.startsWith('data-'))
        found.push(`attribute ${name}="${a.value.slice(0, 60)}" in rendered content, ${where(e)}`);
    }
    for (const c of e.classList) {
      if (/^(jp|lm|p)-/.test(c) || ownedClasses.includes(c))
        found.push(`page-owned class ${c} in rendered content, ${where(e)}`);
    }
    const pos = getComputedStyle(e).position;
    if (pos === 'fixed' || pos === 'sticky') found.push(`position:${pos} in rendered content, ${where(e)}`);
  }
  return found;
}
"""

PAGE_HEALTH_JS = """
() => ({
  xss: typeof window.__xss,
  getElementById: typeof document.getElementById,
  createElement: typeof document.createElement,
  querySelector: typeof document.querySelector,
  cookie: typeof document.cookie,
  body: document.body instanceof HTMLBodyElement,
  jupyterapp: !!(window.jupyterapp && window.jupyterapp.commands
                 && typeof window.jupyterapp.commands.execute === 'function'),
  dialogs: document.querySelectorAll('.jp-Dialog').length,
  chatInputs: document.querySelectorAll('textarea.cw-input').length,
  chatStops: document.querySelectorAll('.cw-stop').length,
})
"""

HEALTHY = {
    "xss": "undefined",
    "getElementById": "function",
    "createElement": "function",
    "querySelector": "function",
    "cookie": "string",
    "body": True,
    "jupyterapp": True,
    "dialogs": 0,
    "chatInputs": 1,
}


PLANT_JS = """
(content) => {
  const box = document.createElement('div');
  box.id = 'cw-test-planted';
  const a = document.createElement('a');
  a.setAttribute('href', ' JaVa\\tScRiPt:void(0)');
  a.setAttribute('onclick', 'void 0');
  const span = document.createElement('span');
  span.setAttribute('style', 'position:fixed; top:0');
  span.setAttribute('data-x', '1');
  span.className = 'jp-Dialog';
  box.append(a, span, document.createElement('iframe'));
  content.appendChild(box);
  return box.id;
}
"""


def inspect(page: Page, chat: Chat) -> list[str]:
    findings: list[str] = chat.root.evaluate(
        INSPECT_JS,
        [FORBIDDEN_TAGS, URL_ATTRIBUTES, list(xss_corpus.BAD_SCHEMES), OWNED_CLASSES],
    )
    return findings


def health(page: Page) -> dict[str, Any]:
    state: dict[str, Any] = page.evaluate(PAGE_HEALTH_JS)
    # The widget may leave its stop button out while idle; a second one is a fake.
    assert state.pop("chatStops") <= 1, "a stop button came from rendered content"
    return state


def load_everything(chat: Chat) -> None:
    """Render the whole history: click 'load earlier' until it is gone."""
    earlier = chat.root.locator(".cw-load-earlier")
    for _ in range(100):
        if not earlier.count() or not earlier.first.is_visible():
            return
        earlier.first.click()
        chat.root.page.wait_for_timeout(200)
    raise AssertionError("'load earlier' never ran out")


def test_hostile_content_renders_inert(
    lab: JupyterLab, notebook: MakeNotebook, page: Page, page_events: PageEvents
) -> None:
    shutil.copy(Path(xss_corpus.__file__), lab.root / "xss_corpus.py")
    nb = notebook(NOTEBOOK)
    nb.run_all()
    lab_url = page.url
    chat = Chat.find(page)
    payloads = [v for _, v in xss_corpus.VECTORS]

    # The user's own messages carry the corpus too (all of it, in one message).
    chat.send("\n\n".join(payloads))
    expect(chat.root.locator(".cw-message.cw-assistant", has_text="received")).to_have_count(1)
    chat.wait_idle()
    chat.send("go")
    expect(chat.root.locator(".cw-message", has_text="CORPUS-DONE")).to_have_count(1, timeout=120_000)
    chat.wait_idle(timeout=60_000)
    load_everything(chat)
    # 2 messages per vector, the streamed one, "received" and "CORPUS-DONE".
    expect(chat.assistant()).to_have_count(2 * len(payloads) + 3)
    expect(chat.root.locator(".cw-step[data-type='tool']")).to_have_count(len(payloads))
    page.wait_for_timeout(1500)  # let anything that fires on load/error/focus/animation fire

    findings = inspect(page, chat)
    assert not findings, f"{len(findings)} findings:\n" + "\n".join(findings[:80])
    assert health(page) == HEALTHY
    assert page_events.dialogs == [], page_events.dialogs
    assert page_events.popups == [], page_events.popups
    assert page.url == lab_url
    assert len(page.frames) == 1, [f.url for f in page.frames]

    # Names are text: the title and authors show the hostile strings literally.
    expect(chat.root.locator(".cw-title")).to_have_text(xss_corpus.AUTHORS[0])
    authors = {t.strip() for t in chat.root.locator(".cw-author").all_text_contents()}
    assert set(xss_corpus.AUTHORS) <= authors, authors
    step_names = [t.strip() for t in chat.root.locator(".cw-step .cw-step-name").all_text_contents()]
    for name in step_names:
        assert any(p.strip().startswith(name.rstrip("…").strip()) for p in payloads), name

    # The fields really were rendered (not left out): the literal text of code vectors shows.
    for part in (".cw-step-input", ".cw-step-output", ".cw-message .cw-content"):
        text = "\n".join(chat.root.locator(part).all_text_contents())
        assert "onerror=window.__xss=1" in text, f"{part} shows none of the corpus"

    # The inspector sees what it must see (a check that never fires proves nothing).
    planted = chat.root.locator(".cw-message .cw-content").first.evaluate(PLANT_JS)
    try:
        found = "\n".join(inspect(page, chat))
        for needle in [
            "forbidden element <iframe>",
            "event handler onclick",
            "href=",
            "attribute style",
            "attribute data-x",
            "page-owned class jp-Dialog",
            "position:fixed",
        ]:
            assert needle in found, f"inspector missed {needle!r}:\n{found}"
    finally:
        chat.root.evaluate("(root, id) => root.querySelector('#' + id).remove()", planted)
    assert inspect(page, chat) == []

    # And the chat still works.
    chat.send("still alive?")
    expect(chat.root.locator(".cw-message.cw-assistant", has_text="received")).to_have_count(2)
    chat.wait_idle()
    findings = inspect(page, chat)
    assert not findings, findings
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page_events.dialogs == []
