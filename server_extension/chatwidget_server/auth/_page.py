"""The login and logout pages: plain HTML, no script, every value escaped."""

from __future__ import annotations

from html import escape

_STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;background:#f6f7f9;color:#1f2328;margin:0}
main{max-width:22rem;margin:12vh auto;padding:2rem;background:#fff;border:1px solid #d0d7de;border-radius:8px}
h1{font-size:1.25rem;margin:0 0 1.25rem}
a.provider,button{display:block;width:100%;box-sizing:border-box;margin:.5rem 0;padding:.6rem;
border:1px solid #d0d7de;border-radius:6px;background:#f6f8fa;color:inherit;text-align:center;
text-decoration:none;font:inherit;cursor:pointer}
label{display:block;margin:.5rem 0 .2rem}input{width:100%;box-sizing:border-box;padding:.5rem;font:inherit}
.error{background:#ffebe9;border:1px solid #ff8182;border-radius:6px;padding:.6rem;margin-bottom:1rem}
hr{border:0;border-top:1px solid #d0d7de;margin:1.25rem 0}
"""


def page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        # same-origin, not no-referrer: with no-referrer a browser posts the password form
        # with "Origin: null", which the server refuses as a cross-origin request.
        '<meta name="referrer" content="same-origin">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def login_page(
    *,
    providers: list[tuple[str, str]],
    password_url: str | None,
    xsrf_form_html: str,
    next_url: str,
    error: str | None = None,
    username: str = "",
) -> str:
    """``providers``: (title, start URL) pairs; ``password_url``: the form's target, or None."""
    parts = ["<h1>Sign in</h1>"]
    if error:
        parts.append(f'<div class="error" role="alert">{escape(error)}</div>')
    for title, url in providers:
        parts.append(f'<a class="provider" href="{escape(url)}">Continue with {escape(title)}</a>')
    if password_url is not None:
        if providers:
            parts.append("<hr>")
        parts.append(
            f'<form method="post" action="{escape(password_url)}">{xsrf_form_html}'
            f'<input type="hidden" name="next" value="{escape(next_url)}">'
            '<label for="username">Username</label>'
            '<input id="username" name="username" autocomplete="username" '
            f'value="{escape(username)}" required>'
            '<label for="password">Password</label>'
            '<input id="password" name="password" type="password" autocomplete="current-password" required>'
            "<button type=submit>Sign in</button></form>"
        )
    if not providers and password_url is None:
        parts.append("<p>No way to sign in is configured on this server.</p>")
    return page("Sign in", "".join(parts))


def message_page(title: str, message: str, link: tuple[str, str] | str | None = None) -> str:
    """A page with a message and a link ``(text, url)``, or a form from :func:`post_button`."""
    body = f"<h1>{escape(title)}</h1><p>{escape(message)}</p>"
    if isinstance(link, tuple):
        body += f'<p><a href="{escape(link[1])}">{escape(link[0])}</a></p>'
    elif link is not None:
        body += link
    return page(title, body)


def post_button(action: str, xsrf_form_html: str, label: str) -> str:
    """A form that POSTs to ``action`` with the XSRF token (HTML; ``xsrf_form_html`` is trusted)."""
    button = f"<button type=submit>{escape(label)}</button>"
    return f'<form method="post" action="{escape(action)}">{xsrf_form_html}{button}</form>'
