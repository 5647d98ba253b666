"""The whole OAuth / OIDC login over HTTP: a real provider, a real jupyter server."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import pytest
from login_helpers import OWNER, PASSWORD_CHECKS, Browser, OAuthPolicy, Seed
from oidc_op import OP
from traitlets.config import Config

from chatwidget.data import User
from chatwidget.identity import verify_identity

THREADS = "chatwidget/api/threads"
ALICE = "generic:alice-1"
BOB = "generic:bob-2"
BrowserFactory = Any


async def test_login_with_code_pkce_and_a_validated_id_token(
    browsers: BrowserFactory, op: OP, seed: Seed
) -> None:
    mine = await seed.thread(ALICE, name="mine")
    await seed.thread(BOB, name="not mine")
    browser: Browser = browsers()
    before = await browser.get(THREADS)
    assert before.status_code == 403

    done = await browser.login(next_url=f"{browser.base_url}lab/tree/x.ipynb?a=1")
    assert done.status_code == 302, done.text
    assert done.headers["location"] == f"{browser.base_url}lab/tree/x.ipynb?a=1"
    cookie = next(h for h in done.headers.get_list("set-cookie") if h.startswith("username-"))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie  # http public URL
    assert op.token_requests == 1

    listed = await browser.get(THREADS)
    assert listed.status_code == 200
    assert [t["id"] for t in listed.json()["data"]] == [mine]
    me = await browser.get("api/me")
    assert me.json()["identity"]["username"] == ALICE
    assert me.json()["identity"]["name"] == "Alice"


async def test_the_identity_endpoint_signs_the_owner_for_the_kernel(browsers: BrowserFactory, op: OP) -> None:
    browser: Browser = browsers()
    assert (await browser.get("chatwidget/api/identity")).status_code == 403
    await browser.login()
    reply = await browser.get("chatwidget/api/identity")
    assert reply.status_code == 200 and reply.headers["cache-control"] == "no-store"
    body = reply.json()
    assert body["owner"] == ALICE and body["expires"] > time.time()
    # The server put its secret in its environment for the kernels it starts.
    assert os.environ["CHATWIDGET_IDENTITY_REQUIRED"] == "1"
    assert verify_identity(body["identity"]) == ALICE
    assert verify_identity(body["identity"], secret="another server") is None


async def test_the_servers_token_is_the_servers_owner(
    browsers: BrowserFactory, jp_auth_header: dict[str, str]
) -> None:
    browser: Browser = browsers()
    reply = await browser.get("chatwidget/api/identity", headers=jp_auth_header)
    assert reply.status_code == 200 and reply.json()["owner"] == OWNER


async def test_only_configured_providers_are_offered(browsers: BrowserFactory) -> None:
    browser: Browser = browsers()
    page = await browser.get("login")
    assert "Continue with Single sign-on" in page.text and 'name="password"' in page.text
    assert "GitHub" not in page.text
    assert (await browser.get("login/oauth/github")).status_code == 404


# -- state ------------------------------------------------------------------------------


async def test_a_callback_without_state_is_refused(browsers: BrowserFactory, op: OP) -> None:
    browser: Browser = browsers()
    at_op = await browser.start_login()
    callback = at_op.headers["location"]
    no_state = callback.replace("state=", "nostate=")
    reply = await browser.client.get(no_state)
    assert reply.status_code == 400
    assert browser.session_cookie() is None
    assert op.token_requests == 0


async def test_a_callback_from_another_browsers_login_is_refused(browsers: BrowserFactory, op: OP) -> None:
    victim: Browser = browsers()
    attacker: Browser = browsers()
    await victim.start_login()  # the victim has a login under way
    forged = (await attacker.start_login()).headers["location"]  # the attacker's code and state
    reply = await victim.client.get(forged)  # login CSRF: the attacker's callback in the victim's browser
    assert reply.status_code == 400
    assert victim.session_cookie() is None
    assert (await victim.get(THREADS)).status_code == 403
    assert op.token_requests == 0
    # No state cookie at all (a fresh browser) is refused the same way.
    fresh: Browser = browsers()
    assert (await fresh.client.get(forged)).status_code == 400


async def test_a_state_is_single_use(browsers: BrowserFactory, op: OP) -> None:
    browser: Browser = browsers()
    at_op = await browser.start_login()
    state_cookie = {c.name: c for c in browser.client.cookies.jar}["chatwidget-oauth-state"]
    done = await browser.client.get(at_op.headers["location"])
    assert done.status_code == 302
    # Replay the same callback with the same (signed) state cookie: refused, no second exchange.
    replayer: Browser = browsers()
    replayer.client.cookies.jar.set_cookie(state_cookie)
    again = await replayer.client.get(at_op.headers["location"])
    assert again.status_code == 400
    assert op.token_requests == 1


# -- mix-up defence and ID token validation ----------------------------------------------


@pytest.mark.parametrize(("iss", "send"), [("http://127.0.0.1:1/evil", True), (None, False)])
async def test_the_iss_parameter_must_be_the_providers(
    browsers: BrowserFactory, op: OP, caplog: pytest.LogCaptureFixture, iss: str | None, send: bool
) -> None:
    op.iss_param, op.send_iss = iss, send
    browser: Browser = browsers()
    reply = await browser.login()
    assert reply.status_code == 403
    assert any("authorization response" in r.getMessage() for r in caplog.records)
    assert browser.session_cookie() is None
    assert op.token_requests == 0  # refused before the code is spent


@pytest.mark.parametrize(
    ("signing", "claims", "reason"),
    [
        ("rsa", {"aud": "another-client"}, "audience"),
        ("rsa", {"aud": ["chat-client", "another-client"]}, "authorized party"),  # no azp
        ("rsa", {"nonce": "not-this-logins-nonce"}, "nonce"),
        ("rsa", {"nonce": None}, "nonce"),
        ("rsa", {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, "expired"),
        ("rsa", {"iss": "http://127.0.0.1:1/evil"}, "issuer"),
        ("rsa", {"iat": int(time.time()) + 3600}, "issued-at"),
        ("none", {}, "algorithm 'none'"),
        ("other-key", {}, "bad signature"),
        ("hs256-public", {}, "algorithm 'HS256'"),
    ],
    ids=[
        "aud",
        "aud-list",
        "nonce",
        "no-nonce",
        "expired",
        "iss",
        "future-iat",
        "alg-none",
        "other-key",
        "hs256",
    ],
)
async def test_a_bad_id_token_is_refused(
    browsers: BrowserFactory,
    op: OP,
    seed: Seed,
    caplog: pytest.LogCaptureFixture,
    signing: str,
    claims: dict[str, Any],
    reason: str,
) -> None:
    await seed.thread(ALICE)
    op.signing = signing
    op.claims = claims
    browser: Browser = browsers()
    reply = await browser.login()
    assert reply.status_code == 403
    assert "Sign-in with Single sign-on failed" in reply.text
    assert reason not in reply.text  # the reason goes to the log only
    assert any("ID token refused" in r.getMessage() and reason in r.getMessage() for r in caplog.records)
    assert browser.session_cookie() is None
    assert (await browser.get(THREADS)).status_code == 403


# -- what the pages reflect and where they send the browser ------------------------------


@pytest.mark.parametrize(
    "next_url",
    [
        "//evil.com",
        "https://evil.com",
        "/\\evil.com",
        "\\\\evil.com",
        "javascript:alert(1)",
        "/\t/evil.com",
        "http:/evil.com",
        "{base}..//evil.com",
        "{base}%2e%2e//evil.com",
        "/elsewhere",
    ],
)
async def test_next_never_leaves_the_server(
    browsers: BrowserFactory, next_url: str, jp_serverapp: Any
) -> None:
    browser: Browser = browsers()
    target = next_url.format(base=browser.base_url)
    done = await browser.login(next_url=target)
    assert done.status_code == 302
    assert done.headers["location"] == jp_serverapp.web_app.settings["default_url"]
    other: Browser = browsers()
    by_password = await other.password_login("bob", "correct horse", next_url=target)
    assert by_password.status_code == 302
    assert by_password.headers["location"] == jp_serverapp.web_app.settings["default_url"]


async def test_a_provider_error_is_shown_escaped(browsers: BrowserFactory, op: OP) -> None:
    op.error = ("access_denied<script>alert(1)</script>", '<img src=x onerror="alert(2)">')
    browser: Browser = browsers()
    reply = await browser.login()
    assert reply.status_code == 401
    assert "<script>" not in reply.text and "<img" not in reply.text
    assert "access_denied&lt;script&gt;alert(1)&lt;/script&gt;" in reply.text
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in reply.text
    assert browser.session_cookie() is None


# -- password login and the deployment's hook -------------------------------------------


async def test_password_login(browsers: BrowserFactory, seed: Seed) -> None:
    mine = await seed.thread("password:bob")
    browser: Browser = browsers()
    refused = await browser.password_login("bob", "wrong")
    assert refused.status_code == 401 and "Invalid username or password" in refused.text
    assert browser.session_cookie() is None
    accepted = await browser.password_login("bob", "correct horse")
    assert accepted.status_code == 302
    listed = await browser.get(THREADS)
    assert [t["id"] for t in listed.json()["data"]] == [mine]


async def test_password_guessing_is_refused_before_the_hook_runs(browsers: BrowserFactory) -> None:
    guesser: Browser = browsers()
    for attempt in range(5):  # login_attempts defaults to 5
        refused = await guesser.password_login("bob", f"guess {attempt}")
        assert refused.status_code == 401
    checked = len(PASSWORD_CHECKS)
    for account in ("bob", " BOB "):  # the same account, however it is typed
        throttled = await guesser.password_login(account, "correct horse")  # even the right password
        assert throttled.status_code == 429 and "Too many failed attempts" in throttled.text
        assert 0 < int(throttled.headers["retry-after"]) <= 900
    assert len(PASSWORD_CHECKS) == checked  # the hook never saw those guesses
    assert guesser.session_cookie() is None
    other = await guesser.password_login("alice", "wrong")  # another account from this address
    assert other.status_code == 401


class TestLoginAttemptWindow:
    @pytest.fixture
    def jp_server_config(self, jp_server_config: Config) -> Config:
        jp_server_config.ChatIdentityProvider.login_attempts = 2
        jp_server_config.ChatIdentityProvider.login_attempt_window = 1.0
        return jp_server_config

    async def test_attempts_are_allowed_again_after_the_window(self, browsers: BrowserFactory) -> None:
        browser: Browser = browsers()
        for _ in range(2):
            assert (await browser.password_login("bob", "wrong")).status_code == 401
        assert (await browser.password_login("bob", "correct horse")).status_code == 429
        await asyncio.sleep(1.2)
        assert (await browser.password_login("bob", "correct horse")).status_code == 302


async def test_password_login_needs_the_xsrf_token(browsers: BrowserFactory) -> None:
    browser: Browser = browsers()
    await browser.get("login")
    reply = await browser.client.post(
        browser.url("login/password"), data={"username": "bob", "password": "correct horse"}
    )
    assert reply.status_code == 403
    assert browser.session_cookie() is None


async def test_the_oauth_callback_can_refuse_and_enrich(
    browsers: BrowserFactory, oauth_policy: OAuthPolicy, op: OP
) -> None:
    oauth_policy.decide = lambda pid, token, raw, user: (
        None if raw.get("email", "").endswith("@x.org") else user
    )
    refused: Browser = browsers()
    reply = await refused.login()
    assert reply.status_code == 403 and "not allowed" in reply.text
    assert refused.session_cookie() is None
    provider_id, token, raw, default = oauth_policy.calls[-1]
    assert provider_id == "generic" and isinstance(token, str) and raw["sub"] == "alice-1"
    assert default.identifier == ALICE

    # Enriching keeps the owner: an identifier change is ignored.
    oauth_policy.decide = lambda pid, token, raw, user: User(identifier="admin", display_name="Dr Alice")
    enriched: Browser = browsers()
    assert (await enriched.login()).status_code == 302
    me = (await enriched.get("api/me")).json()["identity"]
    assert me["username"] == ALICE and me["name"] == "Dr Alice"


# -- sessions ---------------------------------------------------------------------------


async def test_logout_ends_the_session(browsers: BrowserFactory) -> None:
    browser: Browser = browsers()
    await browser.login()
    old = browser.session_cookie()
    assert old and (await browser.get(THREADS)).status_code == 200
    out = await browser.logout()
    assert out.status_code == 200
    assert (await browser.get(THREADS)).status_code == 403
    # The old cookie, replayed as it was, is refused: the session is gone on the server.
    thief: Browser = browsers()
    cookie_name = "username-127-0-0-1-" + str(browser.server.rsplit(":", 1)[1])
    reply = await thief.get(THREADS, headers={"Cookie": f"{cookie_name}={old}"})
    assert reply.status_code == 403


async def test_a_cookie_from_before_login_is_not_the_logged_in_session(
    browsers: BrowserFactory, seed: Seed
) -> None:
    await seed.thread(ALICE, name="alice's")
    attacker: Browser = browsers()
    await attacker.password_login("bob", "correct horse")
    planted = attacker.session_cookie()
    assert planted
    cookie_name = next(c.name for c in attacker.client.cookies.jar if c.name.startswith("username-"))

    victim: Browser = browsers()
    victim.client.cookies.set(cookie_name, planted, domain="127.0.0.1", path=victim.base_url)
    done = await victim.login()
    assert done.status_code == 302
    assert victim.session_cookie() not in (None, planted)  # re-issued at login
    # The planted value does not carry the victim's login.
    reply = await attacker.get(THREADS)
    assert reply.status_code == 403 or ALICE not in reply.text


# -- two users --------------------------------------------------------------------------


async def test_a_second_user_sees_nothing_of_the_first(browsers: BrowserFactory, op: OP, seed: Seed) -> None:
    alice_thread = await seed.thread(ALICE, name="alice secret", text="my secret plan")
    element = await seed.element(alice_thread, b"alice's file")
    bob_thread = await seed.thread(BOB, name="bob's")

    alice: Browser = browsers()
    await alice.login()
    op.user = {"sub": "bob-2", "name": "Bob", "email": "b@y.org"}
    bob: Browser = browsers()
    await bob.login()

    listed = await bob.get(THREADS)
    assert [t["id"] for t in listed.json()["data"]] == [bob_thread]
    searched = await bob.get(THREADS, params={"search": "secret"})
    assert searched.json()["data"] == []
    for path in [
        f"{THREADS}/{alice_thread}",
        f"{THREADS}/{alice_thread}/elements/{element}/file",
        f"chatwidget/share/{alice_thread}",
        f"chatwidget/share/{alice_thread}/page",
    ]:
        reply = await bob.get(path)
        assert reply.status_code == 404, path
        assert "secret" not in reply.text and "alice's file" not in reply.text
    # ...while Alice reads her own.
    assert (await alice.get(f"{THREADS}/{alice_thread}")).status_code == 200
    file = await alice.get(f"{THREADS}/{alice_thread}/elements/{element}/file")
    assert file.status_code == 200 and file.content == b"alice's file"
    identity = (await bob.get("chatwidget/api/identity")).json()
    assert verify_identity(identity["identity"]) == BOB


async def test_the_extension_closes_the_providers_http_client(
    browsers: BrowserFactory, jp_serverapp: Any
) -> None:
    browser: Browser = browsers()
    await browser.login()
    provider = jp_serverapp.identity_provider
    assert provider._http is not None and not provider._http.is_closed
    await jp_serverapp.web_app.settings["chatwidget"].stop_extension()
    assert provider._http is None
