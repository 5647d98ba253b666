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
        pg.evaluate("document.querySelector('.cw-root').style.setProperty('--cw-height', '2100px')")
        pg.wait_for_timeout(200)
        path = f"{out}/demo-{scheme}.png"
        pg.locator(".cw-root").screenshot(path=path)
        print("screenshot", path, "errors:", pg.errors)
        pg.context.close()


def check_hostile(b, base, out):
    pg = page(b, f"{base}/js/dev/index.html?run=hostile")
    pg.wait_for_selector(".cw-message")
    pg.wait_for_timeout(800)
    report = pg.evaluate("""() => {
        const root = document.querySelector('.cw-root');
        const bodies = [...root.querySelectorAll('.cw-content, .cw-step-output-body, .cw-step-input-body')];
        const bad = [];
        const FORBIDDEN = ['script','style','iframe','object','embed','form','input','button','textarea','select','base','meta','link','svg','noscript','template'];
        for (const c of bodies) for (const t of FORBIDDEN) if (c.querySelector(t + ':not(.cw-code-header *)')) bad.push('tag ' + t);
        const SAFE_CLASS = /^(?:hljs(?:-[\\w-]+)?|[a-z]+_{1,3}|language-[A-Za-z0-9_+-]{1,32}|katex(?:-[\\w-]+)?|cw-[\\w-]+)$/;
        for (const el of bodies.flatMap(c => [...c.querySelectorAll('*')])) {
            if (el.closest('.cw-code-header')) continue;  // our own decoration (copy button)
            for (const a of el.attributes) {
                const n = a.name.toLowerCase(), v = a.value.trim();
                if (n.startsWith('on') || n.startsWith('data-') || ['style','id','name','srcset','action','formaction','xlink:href','is','slot','contenteditable','popover'].includes(n)) bad.push(el.localName + ' @' + n);
                if (n === 'class' && !v.split(/\\s+/).every(c => SAFE_CLASS.test(c))) bad.push('class ' + v);
                if ((n === 'href' || n === 'src') && !/^(https?:|mailto:|#|\\/|data:image\\/(png|jpeg|gif|webp)[;,])/i.test(v) && /^[a-z+.-]+:/i.test(v)) bad.push(el.localName + ' ' + n + '=' + v);
            }
            if (el.localName === 'a' && el.hasAttribute('href') && (el.getAttribute('target') !== '_blank' || el.getAttribute('rel') !== 'noopener noreferrer')) bad.push('link without target/rel');
        }
        // click every link and toggle every details: nothing may run
        const links = bodies.flatMap(c => [...c.querySelectorAll('a')]);
        for (const a of links) a.addEventListener('click', e => e.preventDefault());
        for (const a of links) a.click();
        for (const d of bodies.flatMap(c => [...c.querySelectorAll('details')])) d.open = !d.open;
        return {bad, author: root.querySelector('.cw-author').textContent, messages: root.querySelectorAll('.cw-message').length,
                pwned: window.__pwned ?? null, clobbered: typeof document.getElementById !== 'function' || !!window.__chatwidget_clobber || typeof document.cookie !== 'string',
                links: links.filter(a => a.hasAttribute('href')).map(a => a.getAttribute('href')), imgs: bodies.flatMap(c => [...c.querySelectorAll('img')]).map(i => i.getAttribute('src')),
                stepName: root.querySelector('.cw-step-name')?.textContent,
                codeLangs: [...root.querySelectorAll('.cw-code-lang')].map(e => e.textContent)};
    }""")
    pg.wait_for_timeout(300)
    report["pwned_after"] = pg.evaluate("window.__pwned ?? null")
    pg.evaluate("document.querySelector('.cw-root').style.setProperty('--cw-height', '6000px')")
    pg.wait_for_timeout(300)
    pg.locator(".cw-root").screenshot(path=f"{out}/hostile.png")
    print("hostile:", json.dumps(report, indent=1))
    ok = not report["bad"] and report["pwned"] is None and report["pwned_after"] is None and not report["clobbered"]
    print("HOSTILE", "OK" if ok else "FAIL", "errors:", [e for e in pg.errors if "404" not in e and "ERR_" not in e])
    pg.context.close()


def check_stream(b, base, out, n=100_000, rate=50_000):
    """Stream n tokens into one message as the kernel would (a flush every 30 ms) at `rate` tokens/s."""
    pg = page(b, f"{base}/js/dev/index.html")
    res = pg.evaluate("""async ([n, rate]) => {
        const {kernel, scenarios} = window.dev;
        const toks = scenarios.tokens(n - 1); toks.push(' ENDOFSTREAM');
        const id = kernel.add({type: 'assistant_message', name: 'Assistant', streaming: true});
        await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
        const root = document.querySelector('.cw-root');
        const store = root.__chatwidget.store;
        const node = root.querySelector(`[data-step-id="${id}"]`);
        let frames = 0, busy = 0, worst = 0; const origRaf = window.requestAnimationFrame;
        window.requestAnimationFrame = (cb) => origRaf((t) => { const a = performance.now(); cb(t); const d = performance.now() - a; busy += d; worst = Math.max(worst, d); frames++; });
        const per = Math.max(1, Math.round(rate * 0.03));
        const t0 = performance.now();
        let text = '', seq = 0;
        for (let i = 0; i < toks.length; i += per) {
            const chunk = toks.slice(i, i + per).join('');
            kernel.model.custom({kind: 'stream', seq: seq++, deltas: [{step: id, offset: text.length, text: chunk}]});
            text += chunk;
            const due = t0 + (seq * 30);
            await new Promise(r => setTimeout(r, Math.max(0, due - performance.now())));
        }
        const tSent = performance.now();
        // rendered: the last characters are in the DOM
        const tailWord = 'ENDOFSTREAM'; const deadline = performance.now() + 30000;
        while (!node.querySelector('.cw-content').textContent.includes(tailWord) && performance.now() < deadline) await new Promise(r => setTimeout(r, 2));
        const tShown = performance.now();
        window.requestAnimationFrame = origRaf;
        const t1 = performance.now();
        kernel.patch(id, {streaming: false, output: text});
        await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
        const tFinal = performance.now() - t1;
        return {tokens: n, chars: text.length, sendMs: Math.round(tSent - t0), shownMs: Math.round(tShown - t0),
                lagMs: Math.round(tShown - tSent), tokensPerSec: Math.round(n / ((tShown - t0) / 1000)),
                frames, renderMs: Math.round(busy), worstFrameMs: Math.round(worst), finalRenderMs: Math.round(tFinal),
                streamMessages: store.streamMessages, lastSeq: store.lastSeq, textOk: store.textOf(id) === text,
                busyAfter: node.getAttribute('aria-busy')};
    }""", [n, rate])
    print("stream:", json.dumps(res))
    pg.context.close()


def check_history(b, base, out, n=10_000):
    pg = page(b, f"{base}/js/dev/index.html?nomount=1")
    res = pg.evaluate("""async (n) => {
        const {kernel, scenarios, mount} = window.dev;
        kernel.addMany(scenarios.history(n));
        const t0 = performance.now();
        const el = await mount();
        await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
        const t = performance.now() - t0;
        const rendered = el.querySelectorAll('.cw-message').length;
        const s = el.querySelector('.cw-messages');
        const atBottom = s.scrollHeight - s.scrollTop - s.clientHeight < 50;
        el.querySelector('.cw-load-earlier').click();
        await new Promise(r => requestAnimationFrame(r));
        const t1 = performance.now();
        kernel.add({type: 'user_message', name: 'User', output: 'one more'});
        await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
        return {messages: n, mountMs: Math.round(t), rendered, atBottom, afterLoadEarlier: el.querySelectorAll('.cw-message').length - 1 + 1,
                appendMs: Math.round(performance.now() - t1), last: el.querySelector('.cw-flow').lastElementChild.textContent};
    }""", n)
    print("history:", json.dumps(res))
    pg.locator(".cw-root").screenshot(path=f"{out}/history.png")
    pg.context.close()


def check_behaviour(b, base, out):
    results = {}
    pg = page(b, f"{base}/js/dev/index.html?run=demo,two")
    pg.wait_for_selector(".cw-message")
    # Two views of one model: one store, both live and identical.
    pg.evaluate("""async () => { const k = window.dev.kernel; const id = [...k.steps.values()].find(s => s.streaming).id;
        await k.stream(id, ['Both ', 'views ', 'see ', 'this.'], {flushMs: 5}); }""")
    pg.wait_for_timeout(200)
    results["two_views"] = pg.evaluate("""() => {
        const roots = [...document.querySelectorAll('.cw-root')];
        const strip = (r) => r.querySelector('.cw-flow').innerHTML;
        return {views: roots.length, sameStore: roots[0].__chatwidget.store === roots[1].__chatwidget.store,
                identical: strip(roots[0]) === strip(roots[1]), modelListeners: window.dev.model.listenerCount('msg:custom')};
    }""")
    # Composer: Enter sends and clears once accepted; Shift+Enter is a newline.
    inp = pg.locator(".cw-root").first.locator("textarea.cw-input")
    inp.click()
    inp.type("first line")
    pg.keyboard.press("Shift+Enter")
    inp.type("second line")
    value_before = inp.input_value()
    pg.keyboard.press("Enter")
    pg.wait_for_timeout(150)
    results["composer_send"] = {"typed": value_before, "after": inp.input_value(),
        "sent": pg.evaluate("window.dev.model.sent.filter(m => m.kind === 'send').map(m => m.content)"),
        "running": pg.evaluate("document.querySelector('.cw-root').dataset.running"),
        "stopVisible": pg.locator(".cw-root").first.locator("button.cw-stop").is_visible(),
        "sendDisabled": pg.locator(".cw-root").first.locator("button.cw-send").is_disabled()}
    pg.wait_for_timeout(1500)
    results["after_run"] = {"running": pg.evaluate("document.querySelector('.cw-root').dataset.running"),
        "stopVisible": pg.locator(".cw-root").first.locator("button.cw-stop").is_visible(),
        "lastMessage": pg.evaluate("[...document.querySelectorAll('.cw-root')][0].querySelector('.cw-flow').lastElementChild.querySelector('.cw-content').textContent.slice(0, 60)")}
    # Refused: the text comes back with the error.
    pg.evaluate("window.dev.kernel.refuseSend = true")
    inp.fill("please keep me")
    pg.keyboard.press("Enter")
    pg.wait_for_timeout(150)
    results["composer_refused"] = {"value": inp.input_value(), "error": pg.locator(".cw-root").first.locator(".cw-composer-error").text_content()}
    pg.evaluate("window.dev.kernel.refuseSend = false")
    # Gap in the stream: a resync request restores the text.
    results["resync"] = pg.evaluate("""async () => {
        const k = window.dev.kernel; const store = document.querySelector('.cw-root').__chatwidget.store;
        const id = k.add({type: 'assistant_message', name: 'Assistant', streaming: true});
        const before = store.resyncs;
        const text = await k.stream(id, Array.from({length: 50}, (_, i) => `tok${i} `), {perFlush: 5, flushMs: 10, dropEvery: 3, finish: false});
        await new Promise(r => setTimeout(r, 100));
        return {resyncs: store.resyncs - before, equal: store.textOf(id) === text};
    }""")
    pg.screenshot(path=f"{out}/two-views.png", full_page=True)
    pg.context.close()
    # Protocol mismatch banner; French labels; cot=tool_call.
    pg = page(b, f"{base}/js/dev/index.html?protocol=0&lang=fr-FR&cot=tool_call&run=demo")
    pg.wait_for_timeout(300)
    results["mismatch"] = pg.evaluate("""() => { const b = document.querySelector('.cw-banner'); return {shown: !b.hidden, text: b.textContent,
        placeholder: document.querySelector('.cw-input').placeholder, send: document.querySelector('.cw-send').getAttribute('aria-label'),
        steps: [...document.querySelectorAll('.cw-step')].map(s => s.dataset.type + ':' + s.querySelector('.cw-step-name').textContent)}; }""")
    pg.locator(".cw-root").screenshot(path=f"{out}/mismatch-fr-toolcall.png")
    pg.context.close()
    print(json.dumps(results, indent=1, ensure_ascii=False))


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
