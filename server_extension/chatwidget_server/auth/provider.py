"""``ChatIdentityProvider``: OAuth and password login for jupyter-server 2.x.

Enable with ``--ServerApp.identity_provider_class=chatwidget_server.auth.ChatIdentityProvider``
(or ``c.ServerApp.identity_provider_class`` in ``jupyter_server_config.py``) and configure
the providers by environment variables (:mod:`.providers`) or traitlets.

Users are keyed by (provider, subject): a user's ``username``, and so the owner of their
threads (:class:`..identity.OwnIdentityProvider`), is ``"<provider>:<subject>"``; two
accounts with the same email are two users. Password users are ``"password:<identifier>"``.
A request authenticated by the server's token (the operator) is the server's owner,
:func:`..identity.local_owner`, as for any Jupyter server.

Sessions are server-side (:mod:`._sessions`), in the chat database: the cookie holds a
random session id, ``HttpOnly``, ``SameSite=Lax``, ``Secure`` when ``public_url`` is https; a
login always issues a new one and logout ends it on every server sharing the database.

The kernel learns who the user is from a token signed with a secret that this provider
puts in the server's environment (``CHATWIDGET_IDENTITY_SECRET``, with
``CHATWIDGET_IDENTITY_REQUIRED=1``), inherited by the kernels the server starts; see
:mod:`chatwidget.identity`.

Who may sign in and with which role (developer or app user) is :mod:`.roles`; every request
of an app user is checked against the routes of :mod:`.app_routes` in :meth:`get_user`,
before any handler runs. The provider also installs what enforces the roles inside
jupyter_server, unless the deployment chose its own: :class:`.authorizer.ChatAuthorizer` as
``ServerApp.authorizer_class``, and a kernel websocket connection that lets app users send
widget messages only (:mod:`._kernel_messages`).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from typing import Any

import httpx
from jupyter_server.auth import AllowAllAuthorizer, IdentityProvider, User
from tornado import web
from traitlets import Bool, Float, Int, List, Type, Unicode, Union, default, validate
from traitlets import Callable as CallableTrait

from chatwidget.data import User as ChatUser
from chatwidget.data.sql import URL_ENV
from chatwidget.data.sql.sessions import LoginSessionStore
from chatwidget.identity import REQUIRED_ENV, SECRET_ENV

from ..identity import OwnIdentityProvider, local_owner
from . import _callbacks, handlers
from ._kernel_messages import app_user_filter_class
from ._kernel_owners import KernelOwners
from ._sessions import BrowserSessions, Session
from ._throttle import PER_ADDRESS_FACTOR, LoginThrottle
from .app_routes import AppRoutes
from .authorizer import ChatAuthorizer
from .oauth import LoginResult, OAuthProvider
from .providers import BUILTIN_PROVIDERS
from .roles import APP_USER, DEVELOPER, LoginRules, role_from_hook

#: The environment variable that supplies ``public_url``.
PUBLIC_URL_ENV = "CHATWIDGET_PUBLIC_URL"


class ChatIdentityProvider(OwnIdentityProvider, LoginRules, IdentityProvider):
    """Login with OAuth 2.0 / OpenID Connect providers and an optional password callback."""

    public_url = Unicode(
        help=(
            "The URL of this server's base_url as browsers and providers see it "
            "(e.g. https://chat.example.org/). Redirect URIs are built from it, never from the "
            "request's Host header; https makes the cookies Secure. Default: "
            "$CHATWIDGET_PUBLIC_URL, else the server's own URL (ServerApp.connection_url), "
            "fine only for a local server."
        )
    ).tag(config=True)

    @default("public_url")
    def _default_public_url(self) -> str:
        value = os.environ.get(PUBLIC_URL_ENV, "").strip()
        if value:
            return value
        url = str(getattr(self.parent, "connection_url", "") or "")
        self.log.warning("chatwidget: no public_url ($%s); using %s in redirect URIs", PUBLIC_URL_ENV, url)
        return url

    provider_classes = List(
        Type(klass=OAuthProvider),
        default_value=list(BUILTIN_PROVIDERS),
        help=(
            "The OAuth provider classes to look for; those whose client id and secret are set "
            "are offered. Default: GitHub, GitLab, Google, Azure AD, Okta, Auth0, Keycloak, "
            "Cognito, generic."
        ),
    ).tag(config=True)

    password_auth_callback = Union(
        [CallableTrait(), Unicode()],
        allow_none=True,
        default_value=None,
        help=(
            "A callable (username, password) -> chatwidget.data.User | None (may be async), or "
            "its import string. When set, the login page has a password form. Default: None."
        ),
    ).tag(config=True)

    oauth_callback = Union(
        [CallableTrait(), Unicode()],
        allow_none=True,
        default_value=None,
        help=(
            "A callable (provider_id, access_token, raw_user_data, default_user) -> "
            "chatwidget.data.User | None (may be async), or its import string: return None to "
            "refuse a user, or a user with another display_name or metadata (metadata "
            "{'role': 'developer'} makes them a developer). The owner stays "
            "'<provider>:<subject>'. With no allow-list (allowed_users, developers, allow_all, "
            "a provider's allowed_groups) it alone decides who signs in. Default: None."
        ),
    ).tag(config=True)

    session_lifetime = Float(7 * 24 * 3600.0, help="Seconds a login lasts. Default: 604800 (7 days).").tag(
        config=True
    )

    login_timeout = Float(
        600.0, help="Seconds a started OAuth login may take to come back. Default: 600."
    ).tag(config=True)

    @validate("session_lifetime", "login_timeout")
    def _positive(self, proposal: Any) -> float:
        if proposal["value"] <= 0:
            raise ValueError(f"{proposal['trait'].name} must be positive")
        return float(proposal["value"])

    session_db_url = Unicode(
        help=(
            "Database of login sessions and pending OAuth logins (SQLAlchemy URL). Servers "
            "behind one URL share sessions when they share this database and "
            "ServerApp.cookie_secret. Default: c.ChatWidgetServer.db_url, else "
            "$CHATWIDGET_DATABASE_URL, else the chat data's SQLite file (chatwidget.db in the "
            "Jupyter data directory)."
        )
    ).tag(config=True)

    @default("session_db_url")
    def _default_session_db_url(self) -> str:
        section = self.config.get("ChatWidgetServer", {})
        value = section.get("db_url", "") if hasattr(section, "get") else ""
        return str(value or os.environ.get(URL_ENV, ""))

    session_cache_seconds = Float(
        0.0,
        help=(
            "Seconds a session read from the database is reused by this server. 0: every "
            "request reads its session (about a millisecond), and a logout on any server is "
            "refused by every server at the next request. With N > 0, a session ended on "
            "another server is still accepted here for up to N seconds (the server that ended "
            "it refuses it at once). Default: 0."
        ),
    ).tag(config=True)

    accepted_cookie_secret_files = List(
        Unicode(),
        help=(
            "Cookie secret files (as ServerApp.cookie_secret_file) whose session cookies are "
            "accepted besides those of the current secret; such a cookie is signed again with "
            "the current secret on its next request. For rotating the secret without signing "
            "everyone out: list the old file here for the overlap, then remove it. Default: "
            "empty (only the current secret)."
        ),
    ).tag(config=True)

    identity_secret = Unicode(
        help=(
            "Secret that signs identities for the kernels; set in the server's environment as "
            "$CHATWIDGET_IDENTITY_SECRET. Default: $CHATWIDGET_IDENTITY_SECRET if set, else random."
        )
    ).tag(config=True)

    @default("identity_secret")
    def _default_identity_secret(self) -> str:
        return os.environ.get(SECRET_ENV, "") or secrets.token_urlsafe(32)

    identity_token_ttl = Float(
        120.0, help="Seconds an identity token for a kernel stays valid. Default: 120."
    ).tag(config=True)

    kernel_identity_required = Bool(
        True,
        help=(
            "Tell kernels ($CHATWIDGET_IDENTITY_REQUIRED=1) to write threads only for a "
            "verified identity. Default: True."
        ),
    ).tag(config=True)

    login_attempts = Int(
        5,
        help=(
            "Failed password logins allowed per account and client address within "
            "login_attempt_window; past it, attempts are refused (429) before the password "
            f"callback runs. An address may fail {PER_ADDRESS_FACTOR} times as often over all "
            "accounts. 0: no limit. Default: 5."
        ),
    ).tag(config=True)

    login_attempt_window = Float(
        900.0, help="Seconds over which failed password logins are counted. Default: 900."
    ).tag(config=True)

    http_timeout = Float(10.0, help="Seconds for each request to a provider. Default: 10.").tag(config=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.providers: dict[str, OAuthProvider] = {}
        self.login_throttle = LoginThrottle(self.login_attempts, self.login_attempt_window)
        for cls in self.provider_classes:
            provider = cls(parent=self, log=self.log)
            if not provider.configured:
                continue
            provider.check()
            if provider.provider_id in self.providers:
                raise ValueError(f"two OAuth providers have the id {provider.provider_id!r}")
            self.providers[provider.provider_id] = provider
        self._password_callback = _callbacks.load(self.password_auth_callback, "password_auth_callback")
        self._oauth_callback = _callbacks.load(self.oauth_callback, "oauth_callback")
        self.sessions = BrowserSessions(
            LoginSessionStore(self.session_db_url or None, cache_seconds=self.session_cache_seconds),
            lifetime=self.session_lifetime,
            login_timeout=self.login_timeout,
            cookie_name=self.get_cookie_name,
            cookie_options=self._cookie_options,
            verify_options=self.get_secure_cookie_kwargs,
            accepted_keys=[self._cookie_key(path) for path in self.accepted_cookie_secret_files],
        )
        self._http: httpx.AsyncClient | None = None
        os.environ[SECRET_ENV] = self.identity_secret
        if self.kernel_identity_required:
            os.environ[REQUIRED_ENV] = "1"
        self.kernel_owners = KernelOwners()
        self.app_routes = AppRoutes(self.app_notebooks, self.app_user_routes, self.kernel_owners)
        self._install_enforcement()
        self.log.info(
            "chatwidget: login with %s",
            ", ".join([*self.providers, *(["password"] * self.password_login_available)]),
        )
        if self.providers and not self.oauth_allow_rules_configured:
            self.log.warning(
                "chatwidget: no allow-list, so every OAuth login is refused. Allow users with "
                "c.ChatIdentityProvider.allowed_users = {'<provider>:<subject>'} (the log names "
                "each refused identifier), .developers, .allow_all = True, a provider's "
                "allowed_groups (e.g. c.GitHubOAuth.allowed_groups = {'my-org'}), or an oauth_callback."
            )

    def _install_enforcement(self) -> None:
        """Put the role checks into the server this provider belongs to (before it builds them)."""
        server: Any = self.parent
        if server is None or not hasattr(server, "authorizer_class"):
            return
        if server.authorizer_class is AllowAllAuthorizer:
            server.authorizer_class = ChatAuthorizer
        elif not issubclass(server.authorizer_class, ChatAuthorizer):
            self.log.warning(
                "chatwidget: ServerApp.authorizer_class is %s; app users are still confined to "
                "their routes, but jupyter's API permissions are that class's",
                server.authorizer_class.__name__,
            )
        connection_class = server.kernel_websocket_connection_class
        server.kernel_websocket_connection_class = app_user_filter_class(connection_class)
        kernel_manager = getattr(server, "kernel_manager", None)
        if kernel_manager is not None:
            self.kernel_owners.track(kernel_manager)

    def _cookie_key(self, path: str) -> bytes:
        """The signing key of a cookie secret file, derived as jupyter_server derives its own."""
        try:
            with open(path, "rb") as f:
                secret = f.read()
        except OSError as exc:
            raise ValueError(f"accepted_cookie_secret_files: cannot read {path}: {exc}") from exc
        digest = hmac.new(secret, digestmod=hashlib.sha256)
        digest.update(str(getattr(self.parent, "password", "") or "").encode())
        return bytes(self.cookie_secret_hook(digest).digest())

    @property
    def oauth_allow_rules_configured(self) -> bool:
        groups = any(p.allowed_groups or p.developer_groups for p in self.providers.values())
        return self.has_allow_list or groups or self._oauth_callback is not None

    # -- collaborators ------------------------------------------------------------------

    @property
    def http_client(self) -> httpx.AsyncClient:
        """The one HTTP client of every provider request (built at first use; see :meth:`aclose`)."""
        if self._http is None:
            self._http = httpx.AsyncClient(
                timeout=self.http_timeout, follow_redirects=False, headers={"User-Agent": "chatwidget-server"}
            )
        return self._http

    async def aclose(self) -> None:
        """Close the HTTP client and the session database's connections (the server
        extension calls this when it stops)."""
        if self._http is not None:
            await self._http.aclose()
            self._http = None
        await self.sessions.store.close()

    @property
    def password_login_available(self) -> bool:
        return self._password_callback is not None

    @property
    def secure_cookies(self) -> bool:
        return bool(self.secure_cookie) or self.public_url.startswith("https://")

    # -- the jupyter-server interface ---------------------------------------------------

    @property
    def login_available(self) -> bool:
        return True

    def get_handlers(self) -> list[tuple[str, object]]:
        return handlers.handlers()

    def generate_anonymous_user(self, handler: web.RequestHandler) -> User:
        """The user of a request authenticated by the server's token: the server's owner."""
        owner = local_owner()
        return User(username=owner, name=owner, display_name="Server owner")

    async def get_user(self, handler: web.RequestHandler) -> User | None:  # type: ignore[override]
        """The user, after checking that an app user may reach this path at all (else 403)."""
        user = await self._get_user(handler)
        await self.sessions.finish_starting(handler)  # a token's login (set_login_cookie)
        if user is not None and self.role_of(handler) != DEVELOPER:
            path = handler.request.path or ""
            method = handler.request.method or ""
            if not self.app_routes.allows(path, handler.base_url, user.username, method):  # type: ignore[attr-defined]
                self.log.warning("chatwidget: app user %s may not open %s", user.username, path)
                handler._jupyter_current_user = handler.current_user = user  # type: ignore[attr-defined]
                raise web.HTTPError(403, "This account may only use the chat apps published here.")
        return user

    def role_of(self, handler: web.RequestHandler) -> str:
        """``developer`` or ``app`` for the request's user (the token holder is a developer)."""
        if getattr(handler, "_token_authenticated", False):
            return DEVELOPER
        session = self.session_of(handler)
        return session.role if session is not None else APP_USER

    def session_of(self, handler: web.RequestHandler) -> Session | None:
        """The request's session, as read when it was authenticated (no query)."""
        return self.sessions.current(handler)

    async def get_user_cookie(self, handler: web.RequestHandler) -> User | None:  # type: ignore[override]
        session = await self.sessions.resolve(handler)
        return None if session is None else session.user

    def set_login_cookie(self, handler: web.RequestHandler, user: User) -> None:
        """A new session for ``user`` (only for a token in the URL: a browser opening the server)."""
        if handler.get_query_argument("token", None):
            self.sessions.start_soon(handler, user, "token", DEVELOPER)

    async def logout(self, handler: web.RequestHandler) -> None:
        """End the browser's session on every server, and clear its cookie."""
        await self.sessions.end(handler)
        self.clear_login_cookie(handler)

    def _cookie_options(self, handler: web.RequestHandler) -> dict[str, Any]:
        options: dict[str, Any] = dict(self.cookie_options)
        options.setdefault("httponly", True)
        options.setdefault("samesite", "Lax")
        if self.secure_cookies:
            options.setdefault("secure", True)
        options.setdefault("path", handler.base_url)  # type: ignore[attr-defined]
        return options

    # -- logins -------------------------------------------------------------------------

    async def login(self, handler: web.RequestHandler, user: ChatUser, provider: str, role: str) -> User:
        """Start a session for ``user`` (already ``"<provider>:<subject>"``) on ``handler``'s browser."""
        name = user.display_name or user.identifier
        image = user.metadata.get("image") if isinstance(user.metadata, dict) else None
        jupyter_user = User(
            username=user.identifier,
            name=name,
            display_name=name,
            avatar_url=image if isinstance(image, str) else None,
        )
        await self.sessions.start(handler, jupyter_user, provider, role)
        handler._jupyter_current_user = handler.current_user = jupyter_user  # type: ignore[attr-defined]
        self.log.info("chatwidget: %s signed in as %s", user.identifier, role)
        return jupyter_user

    async def check_password(self, username: str, password: str) -> tuple[ChatUser, str] | None:
        """The user the password hook accepts, and their role."""
        assert self._password_callback is not None
        user = await _callbacks.call(self._password_callback, username, password)
        if user is None or not user.identifier:
            return None
        identifier = f"password:{user.identifier}"
        role = role_from_hook(user.metadata, DEVELOPER if identifier in self.developers else APP_USER)
        chat_user = ChatUser(
            identifier=identifier,
            display_name=user.display_name or user.identifier,
            metadata={**user.metadata, "provider": "password"},
        )
        return chat_user, role

    async def accept_oauth_user(self, provider_id: str, result: LoginResult) -> tuple[ChatUser, str] | None:
        """The user to log in and their role: the allow-lists, then the ``oauth_callback`` (if any)."""
        default = result.default_user
        provider = self.providers[provider_id]
        groups = await provider.user_groups(self.http_client, result)
        decision = self.decide(default.identifier, groups, provider.allowed_groups, provider.developer_groups)
        lists = self.has_allow_list or bool(provider.allowed_groups or provider.developer_groups)
        if lists and not decision.allowed:
            self.log.warning(
                "chatwidget: %s refused: %s (to allow: add it to c.ChatIdentityProvider.allowed_users)",
                default.identifier,
                decision.reason,
            )
            return None
        if self._oauth_callback is None:
            if not lists:
                self.log.warning(
                    "chatwidget: %s refused: no allow-list is configured. Allow it with "
                    "c.ChatIdentityProvider.allowed_users = {%r}, or allow_all, developers, "
                    "c.%s.allowed_groups, or an oauth_callback",
                    default.identifier,
                    default.identifier,
                    type(provider).__name__,
                )
                return None
            return default, decision.role
        access_token = result.token.get("access_token")
        user = await _callbacks.call(
            self._oauth_callback, provider_id, access_token, dict(result.raw_user), default
        )
        if user is None:
            self.log.warning("chatwidget: %s refused by oauth_callback", default.identifier)
            return None
        if user.identifier != default.identifier:
            self.log.warning(
                "chatwidget: oauth_callback changed the identifier %r to %r; the owner stays %r",
                default.identifier,
                user.identifier,
                default.identifier,
            )
        role = role_from_hook(user.metadata, decision.role)
        chat_user = ChatUser(default.identifier, display_name=user.display_name, metadata=user.metadata)
        return chat_user, role
