"""The OAuth 2.0 / OpenID Connect flow, once, for every provider.

A provider (:mod:`.providers`) is a small subclass of :class:`OAuthProvider` that only
overrides defaults: its endpoints or issuer, its scopes, and how to read the user's id and
name from what the provider returns. Everything that makes a login safe is here:

* authorization code flow with PKCE (``S256``), ``state`` handled by the identity
  provider (random, single-use, bound to the browser by a signed cookie);
* with OpenID Connect (an ``issuer`` and the ``openid`` scope): a ``nonce`` and the full
  ID token validation of :mod:`._jwt` against the provider's JWKS (discovered from
  ``{issuer}/.well-known/openid-configuration`` unless configured); the userinfo ``sub``
  must equal the ID token's;
* the ``iss`` parameter of the authorization response (RFC 9207, mix-up defence) is
  checked when present, and required when the provider's metadata says it sends it;
* the redirect URI is exact and per provider (see :mod:`._urls`).

Options are traitlets of each provider class (``c.GitHubOAuth.client_id``...), each
defaulting to the reference's environment variable (``OAUTH_GITHUB_CLIENT_ID``...), read
when the provider is built. A provider without a client id and secret is absent.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from traitlets import Dict, Float, Set, Unicode, default
from traitlets.config import LoggingConfigurable

from chatwidget.data import User as ChatUser

from . import _jwt

_PROVIDER_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
#: Ids that name other kinds of users in owner identifiers.
RESERVED_IDS = frozenset({"local", "token", "password", "hub"})
#: A JWKS is fetched again for an unknown key id at most this often (seconds).
JWKS_REFRESH_INTERVAL = 60.0


class OAuthError(Exception):
    """The login cannot complete; the message is for the server log, not the browser."""


@dataclass
class Endpoints:
    authorize: str
    token: str
    userinfo: str
    jwks: str
    issuer: str
    iss_parameter_required: bool
    algorithms: tuple[str, ...]


@dataclass
class LoginResult:
    subject: str
    token: dict[str, Any]
    raw_user: dict[str, Any]
    default_user: ChatUser


def origin(domain: str) -> str:
    """``https://<domain>`` for a bare host name; a value with a scheme is kept (no trailing /)."""
    domain = domain.strip().rstrip("/")
    return domain if domain.startswith(("https://", "http://")) else f"https://{domain}"


class OAuthProvider(LoggingConfigurable):
    """One OAuth 2.0 / OpenID Connect provider. Subclasses override defaults only."""

    #: Id in URLs (``login/oauth/<id>``) and owner identifiers (``<id>:<subject>``).
    id: ClassVar[str] = ""
    #: ``OAUTH_<env_prefix>_CLIENT_ID`` and the other environment variables.
    env_prefix: ClassVar[str] = ""
    #: The name on the login page.
    title: ClassVar[str] = ""
    default_scopes: ClassVar[str] = "openid profile email"
    default_prompt: ClassVar[str] = ""
    #: ``client_secret_post`` or ``client_secret_basic``.
    token_auth_method: ClassVar[str] = "client_secret_post"  # noqa: S105 - a method name

    def env(self, name: str) -> str:
        """``$OAUTH_<env_prefix>_<name>``, or empty."""
        return os.environ.get(f"OAUTH_{self.env_prefix}_{name}", "").strip()

    provider_id = Unicode(
        help="Id of the provider in URLs and owner identifiers. Default: $OAUTH_<P>_NAME, else the class id."
    ).tag(config=True)

    @default("provider_id")
    def _default_provider_id(self) -> str:
        return self.env("NAME") or self.id

    client_id = Unicode(help="OAuth client id. Default: $OAUTH_<P>_CLIENT_ID.").tag(config=True)

    @default("client_id")
    def _default_client_id(self) -> str:
        return self.env("CLIENT_ID")

    client_secret = Unicode(help="OAuth client secret. Default: $OAUTH_<P>_CLIENT_SECRET.").tag(config=True)

    @default("client_secret")
    def _default_client_secret(self) -> str:
        return self.env("CLIENT_SECRET")

    scopes = Unicode(
        help="Space-separated scopes. Default: $OAUTH_<P>_SCOPES or $OAUTH_<P>_SCOPE, else the provider's."
    ).tag(config=True)

    @default("scopes")
    def _default_scopes(self) -> str:
        value = self.env("SCOPES") or self.env("SCOPE") or self.default_scopes
        return " ".join(value.replace(",", " ").split())

    prompt = Unicode(
        help=(
            "OAuth 'prompt' parameter (login, consent, select_account, none). Default: "
            "$OAUTH_<P>_PROMPT, else $OAUTH_PROMPT, else the provider's default (usually none)."
        )
    ).tag(config=True)

    @default("prompt")
    def _default_prompt(self) -> str:
        return self.env("PROMPT") or os.environ.get("OAUTH_PROMPT", "").strip() or self.default_prompt

    issuer = Unicode(
        help=(
            "OpenID Connect issuer. With it (and the 'openid' scope), ID tokens are required "
            "and validated, and missing endpoints are discovered. Default: the provider's."
        )
    ).tag(config=True)

    authorize_url = Unicode(help="Authorization endpoint. Default: the provider's, or discovered.").tag(
        config=True
    )
    token_url = Unicode(help="Token endpoint. Default: the provider's, or discovered.").tag(config=True)
    userinfo_url = Unicode(
        help="Userinfo endpoint; empty: the ID token's claims only. Default: the provider's, or discovered."
    ).tag(config=True)
    jwks_url = Unicode(help="JWKS of the ID token signing keys. Default: the provider's, or discovered.").tag(
        config=True
    )

    user_id_claim = Unicode(
        "sub",
        help=(
            "Field of the ID token / userinfo that identifies the user at this provider "
            "(stable and never reassigned; an email is neither). Default: 'sub'."
        ),
    ).tag(config=True)

    extra_authorize_params = Dict(
        help="Extra parameters for the authorization request (e.g. {'hd': 'example.org'}). Default: {}."
    ).tag(config=True)

    clock_leeway = Float(60.0, help="Clock skew tolerated on ID token times, in seconds. Default: 60.").tag(
        config=True
    )

    allowed_groups = Set(
        Unicode(),
        help=(
            "Groups whose members may sign in (as app users), read from the groups_claim of "
            "the ID token or userinfo (GitHub: organisation logins, asked with the read:org "
            "scope). Default: empty."
        ),
    ).tag(config=True)

    developer_groups = Set(
        Unicode(),
        help=(
            "Groups whose members are developers (full Jupyter access), read like "
            "allowed_groups. Default: empty."
        ),
    ).tag(config=True)

    groups_claim = Unicode(
        "groups",
        help="The claim of the ID token / userinfo that lists the user's groups. Default: 'groups'.",
    ).tag(config=True)

    # -- configuration ------------------------------------------------------------------

    def missing_settings(self) -> list[str]:
        """Settings that this provider needs besides the client id and secret and are unset."""
        return [] if self.authorize_url and self.token_url else ["authorize_url/token_url or issuer"]

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret)

    def check(self) -> None:
        """Raise ``ValueError`` if this configured provider cannot work."""
        if not _PROVIDER_ID.fullmatch(self.provider_id) or self.provider_id in RESERVED_IDS:
            raise ValueError(f"invalid OAuth provider id {self.provider_id!r}")
        if self.issuer:
            return  # endpoints can be discovered
        missing = self.missing_settings()
        if missing:
            raise ValueError(f"OAuth provider {self.provider_id!r} is missing: {', '.join(missing)}")

    @property
    def uses_oidc(self) -> bool:
        return bool(self.issuer) and "openid" in self.scopes.split()

    def expected_issuer(self, claims: dict[str, Any]) -> str:
        """The ``iss`` an ID token must carry (a multi-tenant provider derives it from the claims)."""
        return self.issuer

    # -- what the provider returns ------------------------------------------------------

    async def user_groups(self, client: httpx.AsyncClient, result: LoginResult) -> set[str]:
        """The user's groups, for ``allowed_groups`` and ``developer_groups`` (strings only)."""
        value = result.raw_user.get(self.groups_claim)
        if isinstance(value, str):
            value = [value]
        return {g for g in value if isinstance(g, str) and g} if isinstance(value, list) else set()

    def subject(self, info: dict[str, Any]) -> str:
        value = info.get(self.user_id_claim)
        if isinstance(value, bool) or not isinstance(value, (str, int)) or str(value) == "":
            raise OAuthError(f"the provider's answer has no {self.user_id_claim!r}")
        return str(value)

    def display_name(self, info: dict[str, Any]) -> str | None:
        for key in ("name", "preferred_username", "login", "username", "email"):
            value = info.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
        return None

    def avatar_url(self, info: dict[str, Any]) -> str | None:
        for key in ("picture", "avatar_url"):
            value = info.get(key)
            if isinstance(value, str) and value.startswith("https://"):
                return value
        return None

    def default_user(self, subject: str, info: dict[str, Any]) -> ChatUser:
        metadata: dict[str, Any] = {"provider": self.provider_id, "subject": subject}
        email = info.get("email")
        if isinstance(email, str):
            metadata["email"] = email
            metadata["email_verified"] = info.get("email_verified") is True
        avatar = self.avatar_url(info)
        if avatar:
            metadata["image"] = avatar
        return ChatUser(
            identifier=f"{self.provider_id}:{subject}",
            display_name=self.display_name(info),
            metadata=metadata,
        )

    # -- the flow -----------------------------------------------------------------------

    _endpoints: Endpoints | None = None
    _keys: KeySet | None = None
    _keys_fetched: float = 0.0
    _lock: asyncio.Lock | None = None

    async def endpoints(self, client: httpx.AsyncClient) -> Endpoints:
        """The provider's endpoints: configured ones, the rest from discovery (once)."""
        if self._endpoints is not None:
            return self._endpoints
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._endpoints is None:
                self._endpoints = await self._resolve(client)
        return self._endpoints

    async def _resolve(self, client: httpx.AsyncClient) -> Endpoints:
        meta: dict[str, Any] = {}
        needs = not (self.authorize_url and self.token_url and (self.jwks_url or not self.uses_oidc))
        if self.issuer and needs:
            url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
            meta = await self._get_json(client, url)
            if meta.get("issuer") != self.issuer:
                raise OAuthError(f"discovery at {url} names issuer {meta.get('issuer')!r}")
        algs = meta.get("id_token_signing_alg_values_supported") or ["RS256"]
        endpoints = Endpoints(
            authorize=self.authorize_url or str(meta.get("authorization_endpoint") or ""),
            token=self.token_url or str(meta.get("token_endpoint") or ""),
            userinfo=self.userinfo_url or str(meta.get("userinfo_endpoint") or ""),
            jwks=self.jwks_url or str(meta.get("jwks_uri") or ""),
            issuer=self.issuer,
            iss_parameter_required=meta.get("authorization_response_iss_parameter_supported") is True,
            algorithms=tuple(a for a in algs if a in _jwt.ASYMMETRIC_ALGORITHMS),
        )
        if not endpoints.authorize or not endpoints.token or (self.uses_oidc and not endpoints.jwks):
            raise OAuthError(f"provider {self.provider_id!r}: endpoints unknown")
        return endpoints

    async def authorization_url(
        self, client: httpx.AsyncClient, redirect_uri: str, state: str, code_verifier: str, nonce: str
    ) -> str:
        ep = await self.endpoints(client)
        params: dict[str, str] = {str(k): str(v) for k, v in self.extra_authorize_params.items()}
        params.update(code_challenge=create_s256_code_challenge(code_verifier), code_challenge_method="S256")
        if self.uses_oidc:
            params["nonce"] = nonce
        if self.prompt:
            params["prompt"] = self.prompt
        url: str = prepare_grant_uri(
            ep.authorize, self.client_id, "code", redirect_uri, self.scopes, state, **params
        )
        return url

    def check_response_issuer(self, endpoints: Endpoints, iss: str | None) -> None:
        """RFC 9207: an ``iss`` in the authorization response must be this provider's issuer."""
        if iss is None:
            if endpoints.iss_parameter_required:
                raise OAuthError("the authorization response lacks the 'iss' parameter")
            return
        if not endpoints.issuer:
            return  # a plain OAuth 2.0 provider: the per-provider redirect URI is the defence
        if iss != endpoints.issuer:
            raise OAuthError(f"authorization response from issuer {iss!r}, not {endpoints.issuer!r}")

    async def complete(
        self, client: httpx.AsyncClient, *, code: str, redirect_uri: str, code_verifier: str, nonce: str
    ) -> LoginResult:
        ep = await self.endpoints(client)
        token = await self.exchange_code(client, ep, code, redirect_uri, code_verifier)
        info: dict[str, Any] = {}
        if self.uses_oidc:
            id_token = token.get("id_token")
            if not isinstance(id_token, str):
                raise OAuthError("the token response has no ID token")
            info = await self.validate_id_token(client, ep, id_token, nonce)
        access_token = token.get("access_token")
        if ep.userinfo:
            if not isinstance(access_token, str) or not access_token:
                raise OAuthError("the token response has no access token")
            userinfo = await self.fetch_userinfo(client, ep, access_token)
            if self.uses_oidc and userinfo.get("sub") != info["sub"]:
                raise OAuthError("userinfo 'sub' differs from the ID token's")
            info = {**userinfo, **info} if self.uses_oidc else userinfo
        elif not self.uses_oidc:
            raise OAuthError("no ID token and no userinfo endpoint: the user is unknown")
        subject = self.subject(info)
        return LoginResult(subject, token, info, self.default_user(subject, info))

    async def exchange_code(
        self, client: httpx.AsyncClient, ep: Endpoints, code: str, redirect_uri: str, code_verifier: str
    ) -> dict[str, Any]:
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
            "client_id": self.client_id,
        }
        auth: httpx.Auth | httpx._client.UseClientDefault = httpx.USE_CLIENT_DEFAULT
        if self.token_auth_method == "client_secret_basic":  # noqa: S105
            from urllib.parse import quote

            auth = httpx.BasicAuth(quote(self.client_id, safe=""), quote(self.client_secret, safe=""))
        else:
            data["client_secret"] = self.client_secret
        try:
            response = await client.post(
                ep.token, data=data, auth=auth, headers={"Accept": "application/json"}
            )
        except httpx.HTTPError as exc:
            raise OAuthError(f"token endpoint unreachable: {exc!r}") from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200 or not isinstance(body, dict) or "error" in body:
            error = body.get("error") if isinstance(body, dict) else None
            raise OAuthError(f"token endpoint answered {response.status_code} ({error!r})")
        token_type = body.get("token_type")
        if token_type is not None and str(token_type).lower() != "bearer":
            raise OAuthError(f"unsupported token type {token_type!r}")
        return body

    async def fetch_userinfo(
        self, client: httpx.AsyncClient, ep: Endpoints, access_token: str
    ) -> dict[str, Any]:
        return await self._get_json(client, ep.userinfo, access_token)

    async def validate_id_token(
        self, client: httpx.AsyncClient, ep: Endpoints, id_token: str, nonce: str
    ) -> dict[str, Any]:
        try:
            header = _jwt.unverified_header(id_token)
            alg = _jwt.check_algorithm(header, ep.algorithms)
            kid = header.get("kid")
            kid = kid if isinstance(kid, str) else None
            keys = await self._signing_keys(client, ep, kid)
            claims = _jwt.verify_signature(id_token, keys, alg, kid)
            _jwt.check_claims(
                claims,
                issuer=self.expected_issuer(claims),
                client_id=self.client_id,
                nonce=nonce,
                leeway=self.clock_leeway,
            )
        except _jwt.IDTokenError as exc:
            raise OAuthError(f"ID token refused: {exc}") from exc
        return claims

    async def _signing_keys(self, client: httpx.AsyncClient, ep: Endpoints, kid: str | None) -> KeySet:
        known = self._keys is not None and any(kid is None or k.kid == kid for k in self._keys)
        stale = time.monotonic() - self._keys_fetched > JWKS_REFRESH_INTERVAL
        if self._keys is None or (not known and stale):
            data = await self._get_json(client, ep.jwks)
            try:
                self._keys = KeySet.import_key_set(data)  # type: ignore[arg-type]
            except (JoseError, KeyError, TypeError, ValueError) as exc:
                raise OAuthError(f"unreadable JWKS at {ep.jwks}") from exc
            self._keys_fetched = time.monotonic()
        return self._keys

    async def _get_json(
        self, client: httpx.AsyncClient, url: str, bearer: str | None = None
    ) -> dict[str, Any]:
        headers = {"Accept": "application/json"}
        if bearer is not None:
            headers["Authorization"] = f"Bearer {bearer}"
        try:
            response = await client.get(url, headers=headers)
        except httpx.HTTPError as exc:
            raise OAuthError(f"{url} unreachable: {exc!r}") from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200 or not isinstance(body, dict):
            raise OAuthError(f"{url} answered {response.status_code}")
        return body
