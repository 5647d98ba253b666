"""Signing out takes a POST with the XSRF token; the OAuth callback leaks nothing onwards."""

from __future__ import annotations

import re
from typing import Any

from login_helpers import Browser
from server_helpers import app_user


async def test_a_get_of_logout_does_not_sign_out(browsers: Any) -> None:
    alice = await app_user(browsers)
    page = await alice.get("logout")  # what an <img src=".../logout"> on another site would do
    assert page.status_code == 200 and 'method="post"' in page.text
    assert (await alice.get("chatwidget/api/threads")).status_code == 200


async def test_a_logout_post_without_the_xsrf_token_is_refused(browsers: Any) -> None:
    alice = await app_user(browsers)
    forged = await alice.client.post(alice.url("logout"), data={})  # a form on another site
    assert forged.status_code == 403
    assert (await alice.get("chatwidget/api/threads")).status_code == 200


async def test_a_logout_post_with_the_token_signs_out(browsers: Any) -> None:
    alice: Browser = await app_user(browsers)
    page = await alice.get("logout")
    token = re.search(r'name="_xsrf" value="([^"]+)"', page.text)
    assert token
    out = await alice.client.post(alice.url("logout"), data={"_xsrf": token.group(1)})
    assert out.status_code == 200 and "signed out" in out.text
    assert (await alice.get("chatwidget/api/threads")).status_code == 403


async def test_the_oauth_callback_is_neither_cached_nor_referred(browsers: Any) -> None:
    browser: Browser = browsers()
    at_op = await browser.start_login()
    done = await browser.client.get(at_op.headers["location"])
    assert done.headers["referrer-policy"] == "no-referrer"
    assert done.headers["cache-control"] == "no-store"
    # A refused callback (replayed state) too.
    again = await browser.client.get(at_op.headers["location"])
    assert again.status_code == 400
    assert again.headers["referrer-policy"] == "no-referrer"
    assert again.headers["cache-control"] == "no-store"
