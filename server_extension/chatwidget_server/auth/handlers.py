"""The login routes of :class:`.provider.ChatIdentityProvider` (under the server's ``base_url``).

* ``login`` (GET): the login page: one button per configured provider, and a password
  form when a ``password_auth_callback`` is configured;
* ``login/password`` (POST, with the ``_xsrf`` token): password login;
* ``login/oauth/<provider>`` (GET): starts a login at the provider;
* ``login/oauth/<provider>/callback`` (GET): the provider's redirect back;
* ``logout``: GET shows a sign-out button; POST (with the ``_xsrf`` token) ends the session,
  so a link or an image on another page cannot sign anyone out;
* ``chatwidget/api/identity`` (GET, logged in): the signed identity for the kernel
  (see :mod:`chatwidget.identity`).

Error pages say what the user can do; the reason goes to the server log.
"""

from __future__ import annotations

import hmac
import json
import math
import secrets
from typing import TYPE_CHECKING, Any

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.escape import url_escape

from chatwidget.identity import sign_identity

from .. import identity
from . import _page
from ._urls import redirect_uri, safe_next
from .oauth import OAuthError
from .roles import DEVELOPER

if TYPE_CHECKING:
    from .provider import ChatIdentityProvider

#: The cookie binding a pending login's ``state`` to the browser that started it.
STATE_COOKIE = "chatwidget-oauth-state"
MAX_ERROR_CHARS = 300
_PROVIDER = r"([a-z0-9][a-z0-9_-]{0,39})"


class _AuthHandler(JupyterHandler):
    @property
    def chat_identity(self) -> ChatIdentityProvider:
        provider: ChatIdentityProvider = self.identity_provider  # type: ignore[assignment]
        return provider

    def next_url(self, value: object) -> str:
        return safe_next(value, self.base_url, self.default_url)

    def show(self, status: int, html: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(html)

    def show_login(self, status: int = 200, error: str | None = None, username: str = "") -> None:
        ip = self.chat_identity
        next_url = self.next_url(self.get_argument("next", None))
        query = f"?next={url_escape(next_url)}"
        providers = [
            (p.title, url_path_join(self.base_url, "login/oauth", pid) + query)
            for pid, p in ip.providers.items()
        ]
        password_url = url_path_join(self.base_url, "login/password") if ip.password_login_available else None
        self.show(
            status,
            _page.login_page(
                providers=providers,
                password_url=password_url,
                xsrf_form_html=self.xsrf_form_html(),
                next_url=next_url,
                error=error,
                username=username,
            ),
        )

    def signed_in(self, role: str, next_url: str) -> None:
        """Send the browser to ``next_url``, or, for an app user who may not open it, say so."""
        ip = self.chat_identity
        path = next_url.split("?", 1)[0].split("#", 1)[0]
        user = self.current_user
        username = getattr(user, "username", "")
        if role == DEVELOPER or ip.app_routes.allows(path, self.base_url, username):
            self.redirect(next_url)
            return
        home = url_path_join(self.base_url, self.default_url.lstrip("/"))
        if ip.app_routes.allows(home, self.base_url, username):  # the server's default_url is an app
            self.redirect(home)
            return
        message = (
            "You are signed in. This account may use only the chat apps published on this "
            "server; open the link you were given."
        )
        self.show(200, _page.message_page("Signed in", message, logout_form(self)))

    def failed(self, status: int, message: str, reason: str) -> None:
        self.log.warning("chatwidget login refused: %s", reason)
        self.show_login(status, message)

    def set_state_cookie(self, state: str) -> None:
        self.set_signed_cookie(
            STATE_COOKIE,
            state,
            expires_days=None,
            path=url_path_join(self.base_url, "login/oauth/"),
            httponly=True,
            samesite="Lax",
            secure=self.chat_identity.secure_cookies,
        )

    def take_state_cookie(self) -> str | None:
        value = self.get_signed_cookie(STATE_COOKIE, max_age_days=1)
        self.clear_cookie(STATE_COOKIE, path=url_path_join(self.base_url, "login/oauth/"))
        return value.decode("ascii", "replace") if value else None


class LoginPageHandler(_AuthHandler):
    @allow_unauthenticated
    def get(self) -> None:
        if self.current_user and self.chat_identity.session_of(self) is not None:
            self.redirect(self.next_url(self.get_argument("next", None)))
            return
        self.show_login()


class PasswordLoginHandler(_AuthHandler):
    @allow_unauthenticated
    async def post(self) -> None:
        ip = self.chat_identity
        if not ip.password_login_available:
            raise web.HTTPError(404)
        username = self.get_body_argument("username", "")[:256]
        password = self.get_body_argument("password", "")[:1024]
        address = self.request.remote_ip or ""
        wait = ip.login_throttle.retry_after(username, address)
        if wait > 0:  # refused before the callback: a right guess is not recognised either
            self.log.warning("chatwidget: password login for %r from %s throttled", username, address)
            self.set_header("Retry-After", str(math.ceil(wait)))
            minutes = math.ceil(wait / 60)
            message = f"Too many failed attempts. Try again in {minutes} minute{'s' if minutes > 1 else ''}."
            self.show_login(429, message, username=username)
            return
        accepted = None
        if username and password:
            try:
                accepted = await ip.check_password(username, password)
            except Exception:
                self.log.exception("chatwidget: password_auth_callback raised; login refused")
        if accepted is None:
            ip.login_throttle.failed(username, address)
            self.log.warning("chatwidget: password login refused for %r", username)
            self.show_login(401, "Invalid username or password.", username=username)
            return
        ip.login_throttle.succeeded(username, address)
        user, role = accepted
        await ip.login(self, user, "password", role)
        self.signed_in(role, self.next_url(self.get_body_argument("next", None)))


class OAuthStartHandler(_AuthHandler):
    @allow_unauthenticated
    async def get(self, provider_id: str) -> None:
        ip = self.chat_identity
        provider = ip.providers.get(provider_id)
        if provider is None:
            raise web.HTTPError(404)
        verifier = secrets.token_urlsafe(64)
        nonce = secrets.token_urlsafe(32)
        next_url = self.next_url(self.get_argument("next", None))
        state = await ip.sessions.start_login(provider_id, verifier, nonce, next_url)
        try:
            url = await provider.authorization_url(
                ip.http_client, redirect_uri(ip.public_url, provider_id), state, verifier, nonce
            )
        except OAuthError as exc:
            await ip.sessions.take_login(state)
            self.failed(502, f"{provider.title} is unavailable; try again later.", str(exc))
            return
        self.set_state_cookie(state)
        self.set_header("Cache-Control", "no-store")
        self.redirect(url)


class OAuthCallbackHandler(_AuthHandler):
    @allow_unauthenticated
    async def get(self, provider_id: str) -> None:
        # The URL carries the code and state: never let it reach another site or a cache.
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("Cache-Control", "no-store")
        ip = self.chat_identity
        provider = ip.providers.get(provider_id)
        if provider is None:
            raise web.HTTPError(404)
        again = "This sign-in link is invalid or has expired. Please sign in again."
        state = self.get_query_argument("state", None)
        cookie_state = self.take_state_cookie()
        if not state or not cookie_state or not hmac.compare_digest(state.encode(), cookie_state.encode()):
            if cookie_state:
                await ip.sessions.take_login(cookie_state)  # a mismatch spends this browser's pending login
            self.failed(400, again, "state missing or not this browser's")
            return
        login = await ip.sessions.take_login(state)
        if login is None or login.provider != provider_id:
            self.failed(400, again, "state unknown, used or expired")
            return
        error = self.get_query_argument("error", None)
        if error is not None:
            description = self.get_query_argument("error_description", "") or ""
            text = f"{provider.title} refused the sign-in: {error}" + (
                f" ({description})" if description else ""
            )
            self.failed(401, text[:MAX_ERROR_CHARS], f"provider error {error!r}")
            return
        code = self.get_query_argument("code", None)
        if not code:
            self.failed(400, again, "no code")
            return
        try:
            endpoints = await provider.endpoints(ip.http_client)
            provider.check_response_issuer(endpoints, self.get_query_argument("iss", None))
            result = await provider.complete(
                ip.http_client,
                code=code,
                redirect_uri=redirect_uri(ip.public_url, provider_id),
                code_verifier=login.code_verifier,
                nonce=login.nonce,
            )
        except OAuthError as exc:
            self.failed(403, f"Sign-in with {provider.title} failed. Please try again.", str(exc))
            return
        try:
            accepted = await ip.accept_oauth_user(provider_id, result)
        except Exception:
            self.log.exception("chatwidget: allow-list or oauth_callback raised; login refused")
            accepted = None
        if accepted is None:
            self.failed(403, "This account is not allowed to sign in here.", f"{provider_id}: not allowed")
            return
        user, role = accepted
        await ip.login(self, user, provider_id, role)
        self.signed_in(role, login.next_url)


def logout_form(handler: JupyterHandler) -> str:
    """A sign-out button: a POST with the ``_xsrf`` token (HTML)."""
    action = url_path_join(handler.base_url, "logout")
    return _page.post_button(action, handler.xsrf_form_html(), "Sign out")


class LogoutHandler(_AuthHandler):
    @allow_unauthenticated
    def get(self) -> None:
        """A page with the sign-out button: a GET never signs out (a link or image could)."""
        if not self.current_user:
            login = url_path_join(self.base_url, "login")
            self.show(200, _page.message_page("Signed out", "You are signed out.", ("Sign in", login)))
            return
        self.show(200, _page.message_page("Sign out", "Sign out of this server?", logout_form(self)))

    @allow_unauthenticated
    async def post(self) -> None:  # the _xsrf token is checked by jupyter_server before this runs
        await self.chat_identity.logout(self)
        login = url_path_join(self.base_url, "login")
        self.show(200, _page.message_page("Signed out", "You are signed out.", ("Sign in again", login)))


class IdentityHandler(APIHandler):
    """``GET chatwidget/api/identity``: ``{"identity", "owner", "expires"}`` for the kernel."""

    @web.authenticated
    def get(self) -> None:
        ip: Any = self.identity_provider
        owner = identity.owner_of(self)
        if owner is None:
            raise web.HTTPError(403)
        token, expires = sign_identity(ip.identity_secret, owner, ip.identity_token_ttl)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps({"identity": token, "owner": owner, "expires": expires}))


def handlers() -> list[tuple[str, object]]:
    return [
        (r"/login", LoginPageHandler),
        (r"/login/password", PasswordLoginHandler),
        (rf"/login/oauth/{_PROVIDER}", OAuthStartHandler),
        (rf"/login/oauth/{_PROVIDER}/callback", OAuthCallbackHandler),
        (r"/logout", LogoutHandler),
        (r"/chatwidget/api/identity", IdentityHandler),
    ]
