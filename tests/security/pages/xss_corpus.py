"""Hostile content for the rendering tests, assembled after the XSS fixtures of DOMPurify
(test/fixtures/expect.mjs) and markdown-it (test/fixtures/markdown-it/xss.txt), plus what is
specific to a widget inside the JupyterLab page (DOM clobbering of Lab's globals, Lab's
command-linker attributes, Lab's own CSS classes).

Every vector, if it ever runs, sets ``window.__xss`` (or ``parent.__xss`` from a frame) or
opens a dialog; the tests assert neither happened. None needs a click: handlers that fire
on their own (onerror, onload, autofocus + onfocus, animation events, meta refresh) are the
point; clickable leftovers (``javascript:`` links) are caught by inspecting attributes.
"""

from __future__ import annotations

X = "window.__xss=1"

#: (label, payload) pairs: markdown and raw HTML as a handler might send them.
VECTORS: list[tuple[str, str]] = [
    # --- links and images in every markdown form
    ("md inline link", f"[click](javascript:{X})"),
    ("md inline link upper case", f"[click](JAVASCRIPT:{X})"),
    ("md inline link vbscript", "[click](vbscript:msgbox(1))"),
    ("md link entity-encoded scheme", f"[click](&#106;avascript:{X})"),
    ("md link encoded colon", f"[click](javascript&#x3A;{X})"),
    ("md link angle brackets", f"[click](<javascript:{X}>)"),
    ("md link with tab in scheme", f"[click](java\tscript:{X})"),
    ("md reference link", f"[click][evil]\n\n[evil]: javascript:{X}"),
    ("md reference link with title", f'[click][e2]\n\n[e2]: javascript:{X} "title"'),
    ("md autolink", f"<javascript:{X}>"),
    ("md bare linkify", f"javascript:{X}"),
    ("md image javascript", f"![img](javascript:{X})"),
    ("md image data svg", "![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)"),
    ("md link data html", "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)"),
    ("md image with onerror title", '![x](https://invalid.invalid/x.png "\\" onerror=\\"window.__xss=1")'),
    # --- raw HTML inside markdown
    ("html script", f"<script>{X}</script>"),
    ("html img onerror", f"<img src=x onerror={X}>"),
    ("html img onerror slash", f"<img src=x onerror={X}//>"),
    ("html a javascript", f'<a href="javascript:{X}">click</a>'),
    ("html a unicode whitespace scheme", f"<a href='\u2028javascript:{X}'>click</a>"),
    ("html a control chars in scheme", f'<a href="\x01java\x03script:{X}">click</a>'),
    ("html a data html", '<a href="data:text/html,<script>parent.__xss=1</script>">click</a>'),
    ("html body onload", f"<body onload={X}>"),
    ("html input autofocus", f"<input autofocus onfocus={X}>"),
    ("html details ontoggle", f"<details open ontoggle={X}><summary>s</summary></details>"),
    ("html video poster", f"<video poster=javascript:{X}></video>"),
    ("html form action", f'<form action="javascript:{X}"><button>go</button></form>'),
    ("html button formaction", f'<button formaction="javascript:{X}">go</button>'),
    ("html meta refresh", f'<meta http-equiv="refresh" content="0;url=javascript:{X}">'),
    ("html base href", '<base href="javascript://">'),
    ("html link stylesheet", "<link rel=stylesheet href=data:,*%7bcolor:red%7d>"),
    ("html object data", '<object data="data:text/html,<script>parent.__xss=1</script>"></object>'),
    ("html embed src", f'<embed src="javascript:{X}">'),
    ("html iframe src", '<iframe src="javascript:parent.__xss=1"></iframe>'),
    ("html iframe srcdoc", '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>'),
    ("html iframe srcdoc entity", '<iframe srcdoc="&lt;img src=x onerror=parent.__xss=1&gt;"></iframe>'),
    (
        "html style animation",
        f"<style>@keyframes k{{}}</style><b style=animation-name:k onanimationstart={X}>b</b>",
    ),
    ("html marquee onstart", f"<marquee onstart={X}>m</marquee>"),
    # --- SVG and MathML
    ("svg onload", f"<svg onload={X}>"),
    ("svg g onload", f"<svg><g/onload={X}//<p>"),
    (
        "svg animate href",
        f"<svg><a><animate attributeName=href values=javascript:{X} /><text y=20>t</text></a></svg>",
    ),
    ("svg use data", '<svg><use href="data:image/svg+xml,<svg id=x onload=parent.__xss=1>#x"/></svg>'),
    ("svg foreignObject", f"<svg><foreignObject><img src=x onerror={X}></foreignObject></svg>"),
    ("svg script", f"<svg><script>{X}</script></svg>"),
    ("mathml xlink", f'<math><mi xlink:href="javascript:{X}">m</mi></math>'),
    (
        "mathml maction",
        f'<math><maction actiontype="statusline" xlink:href="javascript:{X}">m</maction></math>',
    ),
    # --- mutation XSS (parser differentials)
    ("mxss noscript comment", f"<b><noscript><!-- </noscript><img src=x onerror={X} --></noscript>"),
    ("mxss noscript attribute", f'<noscript><p title="</noscript><img src=x onerror={X}>">'),
    ("mxss svg style", f'<svg></p><style><a id="</style><img src=1 onerror={X}>">'),
    ("mxss math mglyph style", f"<math><mtext><table><mglyph><style><img src=x onerror={X}>"),
    ("mxss form math", f"<form><math><mtext></form><form><mglyph><style></math><img src onerror={X}>"),
    ("mxss textarea comment", f"<textarea>t</textarea><!--</textarea><img src=x onerror={X}>-->"),
    ("mxss listing", f'<listing>&lt;img onerror="{X}" src=x&gt;</listing>'),
    ("mxss template", f"<template><s><template><s><img src=x onerror={X}></s></template></s></template>"),
    ("mxss cdata", f'<svg><![CDATA[><image xlink:href="]]><img src=x onerror={X}//"></svg>'),
    ("mxss option style", f"<option><style></option></select><b><img src=x onerror={X}></style></option>"),
    # --- DOM clobbering of the page's globals
    ("clobber jupyterapp id", '<a id="jupyterapp" href="#">a</a><img name="jupyterapp" src=x>'),
    (
        "clobber document",
        '<img name="getElementById" src=x><img name="createElement" src=x><form name=cookie>',
    ),
    ("clobber body", "<img name=body src=x><img name=activeElement src=x><img name=querySelector src=x>"),
    ("clobber window", '<iframe name="__xss"></iframe><a id="__xss" href="#">c</a>'),
    # --- JupyterLab-specific: command linker, Lab's CSS classes, overlays
    (
        "lab command linker",
        '<button data-commandlinker-command="help:about" data-commandlinker-args="{}">x</button>',
    ),
    (
        "lab command linker on link",
        '<a href="#" data-commandlinker-command="terminal:create-new">terminal</a>',
    ),
    (
        "lab dialog class",
        '<div class="jp-Dialog"><div class="jp-Dialog-content">Restart the kernel?</div></div>',
    ),
    ("lab fixed overlay", '<div style="position:fixed;inset:0;z-index:99999;background:red">overlay</div>'),
    ("lab lumino class", '<div class="lm-Widget lm-Menu jp-ThemedContainer" id="jp-main-dock-panel">m</div>'),
    ("chat own classes", '<button class="cw-stop">fake stop</button><textarea class="cw-input"></textarea>'),
    # --- fenced code: hostile info strings (language) and content
    ("fence info quote", f'```js" onmouseover="{X}\nx = 1\n```'),
    ("fence info html", f"```<img src=x onerror={X}>\nx = 1\n```"),
    ("fence info entity", "```js&#32;custom-class\ntest1\n```"),
    ("fence content html", f"```html\n<img src=x onerror={X}>\n```"),
    ("inline code html", f"`<img src=x onerror={X}>`"),
]

#: Author names for messages (rendered as plain text, whatever they contain).
AUTHORS: list[str] = [
    f"<img src=x onerror={X}>",
    f'"><svg onload={X}>',
    f"[evil](javascript:{X})",
    f"<script>{X}</script>",
    '<b id="jupyterapp" data-commandlinker-command="help:about">bold</b>',
]

#: Languages for `language=` / `show_input=` (a code block's class and label).
LANGUAGES: list[str] = [
    f'js" onmouseover="{X}',
    f"<img src=x onerror={X}>",
    "python onload=alert(1)",
    "javascript:alert(1)",
    "jp-Dialog",
    "x" * 300,
    "",
]

#: Dangerous schemes, however a browser might spell them in an attribute value.
BAD_SCHEMES = ("javascript:", "vbscript:", "data:text")
