"""Drive the dev page in headless Chromium: screenshots and checks of the built bundle.

    python js/dev/browser.py [--base http://127.0.0.1:8765] [--out /tmp/cw-shots] [check ...]

Needs the `playwright` Python package and a Chromium (CHROMIUM, default /usr/bin/chromium);
serve the repository root first: python -m http.server --bind 127.0.0.1 8765
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from contextlib import contextmanager

from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@contextmanager
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=ARGS)
        try:
            yield b
        finally:
            b.close()


def page(b, url, scheme="light", width=900, height=900):
    ctx = b.new_context(color_scheme=scheme, viewport={"width": width, "height": height})
    pg = ctx.new_page()
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    pg.goto(url)
    pg.wait_for_function("window.dev && window.dev.ready")
    return pg


def shoot_demo(b, base, out):
    for scheme in ("light", "dark"):
        pg = page(b, f"{base}/js/dev/index.html?run=demo", scheme)
        pg.wait_for_selector(".cw-message")
        pg.evaluate("""async () => {
            const k = window.dev.kernel; const id = [...k.steps.values()].find(s => s.streaming).id;
            await k.stream(id, ["Streaming a **partial** answer", " with a list:\\n\\n- one\\n- two", "\\n\\n```python\\nx = 1\\ny = "], {finish: false, flushMs: 0});
        }""")
        pg.wait_for_timeout(300)
        pg.evaluate("document.querySelector('.cw-root').style.setProperty('--cw-height', '1500px')")
        pg.wait_for_timeout(200)
        path = f"{out}/demo-{scheme}.png"
        pg.locator(".cw-root").screenshot(path=path)
        print("screenshot", path, "errors:", pg.errors)
        pg.context.close()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="http://127.0.0.1:8765")
    ap.add_argument("--out", default="/tmp/cw-shots")
    ap.add_argument("checks", nargs="*", default=["demo"])
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    with browser() as b:
        for name in a.checks:
            globals()[f"shoot_{name}" if f"shoot_{name}" in globals() else f"check_{name}"](b, a.base, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
