"""The README's screenshots, from real runs: JupyterLab, Voila and the share page on loopback,
driven in Debian's Chromium, written as small PNGs to ``docs/``.

    python scripts/screenshots.py                 # docs/screenshot-*.png
    python scripts/screenshots.py --check DIR     # also the chat at 250, 420 and 1280 px,
                                                  # light and dark, in DIR (to look at)

One JupyterLab (its own config and data directories, a SQLite file of its own, a free port)
serves a notebook whose app answers with a step, a streamed markdown answer and a task
panel; Voila renders the same notebook inside the server (so the extension's routes
answer). Each picture is cropped to the widget and stored with a 256-colour palette.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "browser"))

from labdriver import CHROMIUM, CHROMIUM_ARGS, Chat, JupyterLab, Notebook, write_notebook  # noqa: E402
from PIL import Image  # noqa: E402
from playwright.sync_api import Locator, Page, expect, sync_playwright  # noqa: E402

APP = """
import asyncio
import chatwidget as cw

app = cw.ChatApp(title="Research assistant", name="screenshots")

@app.set_starters
async def starters():
    return [cw.Starter(label="Summarise a paper", message="Summarise the attention paper", icon="book-open"),
            cw.Starter(label="Plot a dataset", message="Plot the iris dataset", icon="chart-line")]

@app.on_message
async def answer(message: cw.Message):
    tasks = cw.TaskList(status="Answering")
    tasks.tasks = [cw.Task("Search the papers", "running"), cw.Task("Write the answer")]
    await tasks.send()
    async with cw.Step(name="search papers", type="tool", icon="search") as step:
        step.input = {"query": message.content, "top_k": 3}
        await asyncio.sleep(0.2)
        step.output = "3 papers found"
    tasks.tasks[0].status, tasks.tasks[1].status = "done", "running"
    await tasks.send()
    reply = cw.Message(content="", elements=[
        cw.Text(name="sources", content="1. Vaswani et al., 2017\\n2. Bahdanau et al., 2014", display="side"),
    ])
    text = (
        "**Attention** lets each token look at every other token. The core is one line:\\n\\n"
        "```python\\nweights = softmax(q @ k.T / sqrt(d)) @ v\\n```\\n\\n"
        "- no recurrence, so training runs in parallel\\n"
        "- the cost grows with the square of the length\\n\\n"
        "See the sources for the papers."
    )
    for word in text.split(" "):
        await reply.stream_token(word + " ")
    await reply.send()
    tasks.tasks[1].status, tasks.status = "done", "Done"
    await tasks.send()
"""

QUESTION = "Summarise the attention paper"


def small_png(png: bytes, path: Path) -> int:
    """Store ``png`` with a 256-colour palette (screenshots of a UI lose nothing visible)."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        path, optimize=True
    )
    return path.stat().st_size


def shoot(target: Locator, path: Path) -> None:
    size = small_png(target.screenshot(animations="disabled"), path)
    print(f"{path.relative_to(REPO) if path.is_relative_to(REPO) else path}: {size // 1024} KB")


def set_theme(page: Page, theme: str) -> None:
    page.evaluate(f"() => window.jupyterapp.commands.execute('apputils:change-theme', {{theme: '{theme}'}})")
    page.wait_for_function(f"() => document.body.dataset.jpThemeName === '{theme}'", timeout=30_000)
    page.wait_for_timeout(500)


def converse(chat: Chat) -> None:
    chat.send(QUESTION)
    expect(chat.root.locator(".cw-message", has_text="See the")).to_have_count(1, timeout=60_000)
    chat.wait_idle()
    expect(chat.root.locator(".cw-tasklist-status")).to_have_text("Done")
    chat.root.locator(".cw-messages").evaluate("s => s.scrollTo(0, s.scrollHeight)")
    chat.root.page.wait_for_timeout(300)


def check_widths(page: Page, chat: Chat, out: Path) -> None:
    """The inline chat (and its thread list) at 250 and 420 px and at full width, light and dark."""
    out.mkdir(parents=True, exist_ok=True)
    for theme, tag in (("JupyterLab Light", "light"), ("JupyterLab Dark", "dark")):
        set_theme(page, theme)
        for width in (250, 420, 1280):  # 1280: the notebook's own width in a 1280 px window
            style = "" if width == 1280 else f"{width}px"
            chat.root.evaluate("(r, w) => { r.parentElement.style.width = w; }", style)
            page.wait_for_timeout(400)
            chat.root.locator(".cw-messages").evaluate("s => s.scrollTo(0, s.scrollHeight)")
            shoot(chat.root, out / f"inline-{width}-{tag}.png")
            chat.root.locator("button.cw-threads-button").click()
            shoot(chat.root, out / f"threads-{width}-{tag}.png")
            chat.root.locator(".cw-threads .cw-panel-close").click()
        chat.root.evaluate("r => { r.parentElement.style.width = ''; }")
    set_theme(page, "JupyterLab Light")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs")
    parser.add_argument("--check", type=Path, default=None, help="also write the width checks here")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="chatwidget-screenshots-"))
    os.environ["CHATWIDGET_DATABASE_URL"] = f"sqlite+aiosqlite:///{work / 'threads.db'}"
    os.environ["CHATWIDGET_OWNER"] = "local:screenshots"
    lab = JupyterLab(root=work / "root", home=work / "home", log_path=work / "lab.log").start()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
            page = context.new_page()
            path = write_notebook(lab.root, "assistant", [APP + "\napp.display()"])
            nb = Notebook(page, path).open(lab)
            nb.run_all()
            chat = Chat.find(page)
            page.evaluate("() => window.jupyterapp.commands.execute('application:toggle-left-area')")
            expect(chat.root.locator(".cw-starter")).to_have_count(2)
            converse(chat)
            shoot(chat.root, args.out / "screenshot-inline-light.png")
            set_theme(page, "JupyterLab Dark")
            shoot(chat.root, args.out / "screenshot-inline-dark.png")
            set_theme(page, "JupyterLab Light")
            if args.check:
                check_widths(page, chat, args.check)

            nb.add_and_run("app.sidebar(title='Assistant')")
            side = page.locator("#jp-right-stack .cw-root")
            expect(side).to_be_visible(timeout=30_000)
            page.wait_for_timeout(1000)
            side.locator(".cw-messages").evaluate("s => s.scrollTo(0, s.scrollHeight)")
            shoot(side, args.out / "screenshot-side-panel.png")

            nb.add_and_run("await app.save(); print(app.thread_id)")
            thread_id = nb.cell_text(2).strip()
            status, shared = lab.api("PUT", f"/chatwidget/api/threads/{thread_id}/share")
            assert status == 200, (status, shared)
            page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
            lab.shutdown_sessions()

            public = browser.new_context(viewport={"width": 1000, "height": 900})
            share = public.new_page()
            share.goto(lab.base + shared["shareUrl"], timeout=60_000)
            root = share.locator("#cw-shared")
            expect(root).to_have_attribute("data-rendered", "bundle", timeout=60_000)
            share.wait_for_timeout(500)
            shoot(share.locator("#cw-shared .cw-root"), args.out / "screenshot-share-page.png")
            public.close()

            write_notebook(lab.root, "dashboard", [APP + "\napp.display()"])
            voila = context.new_page()
            voila.set_viewport_size({"width": 1000, "height": 800})
            voila.goto(lab.url("/voila/render/dashboard.ipynb"), timeout=120_000)
            vchat = Chat.find(voila, timeout=120_000)
            converse(vchat)
            shoot(vchat.root, args.out / "screenshot-voila.png")
            browser.close()
    finally:
        lab.stop()


if __name__ == "__main__":
    main()
