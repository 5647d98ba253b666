"""The read-only share page: a small HTML document around the public JSON.

The page carries the thread as a JSON data block (inert: not a script the browser runs)
and a plain-text transcript, escaped, for readers without JavaScript. Its only script is
``chatwidget-share.js`` (from the same origin), which loads the front-end bundle and calls
its ``renderShared(el, thread)`` export if there is one, else shows the transcript as text.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

#: The page's Content-Security-Policy: same-origin scripts only, no inline script, no
#: plugins, frames only from this server (the sandboxed frames' document, static/frame.html,
#: which has a CSP of its own); inline styles are allowed (the bundle sets element styles).
PAGE_CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "media-src 'self'",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'self'",
    ]
)

_TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>{title}</title>
<link rel="stylesheet" href="{static}/chatwidget.css">
<style>body{{margin:0 auto;max-width:52rem;padding:1rem;font-family:system-ui,sans-serif}}
.cw-shared-fallback p{{white-space:pre-wrap;margin:.5rem 0}}</style>
</head>
<body>
<main id="cw-shared" class="cw-shared" data-bundle="{static}/chatwidget.js">
<h1 class="cw-shared-title">{title}</h1>
<div class="cw-shared-fallback">
{transcript}
</div>
</main>
<script type="application/json" id="cw-thread">{data}</script>
<script type="module" src="{static}/chatwidget-share.js"></script>
</body>
</html>
"""


def json_for_html(data: Any) -> str:
    """JSON safe inside a ``<script>`` element: no ``<``, ``>``, ``&`` or line separators."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, code)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def plain_transcript(thread: dict[str, Any]) -> str:
    lines = []
    for step in thread.get("steps", []):
        text = step.get("output") or step.get("input") or ""
        if not text:
            continue
        who = escape(str(step.get("name") or step.get("type") or ""))
        lines.append(f"<p><b>{who}</b>: {escape(str(text))}</p>")
    return "\n".join(lines)


def render_page(thread: dict[str, Any], static_prefix: str) -> str:
    static = escape(static_prefix.rstrip("/"))
    return _TEMPLATE.format(
        title=escape(str(thread.get("name") or "Shared conversation")),
        static=static,
        transcript=plain_transcript(thread),
        data=json_for_html(thread),
    )
