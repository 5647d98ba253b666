"""The built-in providers: each only says where its endpoints are and how to read its user.

Environment variables (the reference's), read when the identity provider starts; each is
also a traitlet of the class (``c.KeycloakOAuth.realm``...). Every provider reads
``OAUTH_<P>_CLIENT_ID``, ``OAUTH_<P>_CLIENT_SECRET``, ``OAUTH_<P>_SCOPES`` (or ``_SCOPE``),
``OAUTH_<P>_PROMPT`` (else ``OAUTH_PROMPT``) and ``OAUTH_<P>_NAME`` (its id).

=============  =========  ==================================================================
provider       ``<P>``    also
=============  =========  ==================================================================
GitHub         GITHUB     (OAuth 2.0; the user is ``/user``'s numeric ``id``; groups are
                          organisations, from ``/user/orgs``)
GitLab         GITLAB     ``_DOMAIN`` (default gitlab.com)
Google         GOOGLE
Azure AD       AZURE_AD   ``OAUTH_AZURE_AD_TENANT_ID`` (default ``common``: any tenant)
Okta           OKTA       ``_DOMAIN``, ``_AUTHORIZATION_SERVER_ID`` (optional)
Auth0          AUTH0      ``_DOMAIN``
Keycloak       KEYCLOAK   ``_BASE_URL``, ``_REALM``
AWS Cognito    COGNITO    ``_DOMAIN`` (hosted UI), ``_ISSUER`` (optional: validates ID tokens)
generic        GENERIC    ``_ISSUER`` (OIDC discovery) or ``_AUTH_URL``, ``_TOKEN_URL``,
                          ``_USER_INFO_URL``; ``_JWKS_URL``, ``_USER_IDENTIFIER`` (default ``sub``)
=============  =========  ==================================================================

A domain may be a bare host name (``https://`` is added) or a URL.
"""

from __future__ import annotations

from typing import Any

import httpx
from traitlets import Unicode, default

from .oauth import Endpoints, LoginResult, OAuthProvider, origin


class GitHubOAuth(OAuthProvider):
    id = "github"
    env_prefix = "GITHUB"
    title = "GitHub"
    default_scopes = "read:user user:email"

    @default("authorize_url")
    def _default_authorize_url(self) -> str:
        return "https://github.com/login/oauth/authorize"

    @default("token_url")
    def _default_token_url(self) -> str:
        return "https://github.com/login/oauth/access_token"

    @default("userinfo_url")
    def _default_userinfo_url(self) -> str:
        return "https://api.github.com/user"

    @default("user_id_claim")
    def _default_user_id_claim(self) -> str:
        return "id"  # the login can be renamed and reused; the id cannot

    @default("scopes")
    def _default_scopes(self) -> str:
        value = self.env("SCOPES") or self.env("SCOPE") or self.default_scopes
        scopes = value.replace(",", " ").split()
        if (self.allowed_groups or self.developer_groups) and "read:org" not in scopes:
            scopes.append("read:org")  # organisation membership is only listed with this scope
        return " ".join(scopes)

    async def user_groups(self, client: httpx.AsyncClient, result: LoginResult) -> set[str]:
        """The logins of the user's organisations (asked only when a group list is configured)."""
        token = result.token.get("access_token")
        if not (self.allowed_groups or self.developer_groups) or not isinstance(token, str):
            return set()
        ep = await self.endpoints(client)
        orgs = await self._get_list(client, ep.userinfo.rstrip("/") + "/orgs", token)
        return {o["login"] for o in orgs if isinstance(o, dict) and isinstance(o.get("login"), str)}

    async def fetch_userinfo(
        self, client: httpx.AsyncClient, ep: Endpoints, access_token: str
    ) -> dict[str, Any]:
        info = await self._get_json(client, ep.userinfo, access_token)
        info.pop("email", None)  # the public profile email is not verified; ask for the primary one
        if "user:email" in self.scopes.split():
            emails: Any = await self._get_list(client, ep.userinfo.rstrip("/") + "/emails", access_token)
            for entry in emails:
                if isinstance(entry, dict) and entry.get("primary"):
                    info["email"] = entry.get("email")
                    info["email_verified"] = entry.get("verified") is True
        return info

    async def _get_list(self, client: httpx.AsyncClient, url: str, bearer: str) -> list[Any]:
        headers = {"Accept": "application/json", "Authorization": f"Bearer {bearer}"}
        try:
            response = await client.get(url, headers=headers)
            body = response.json()
        except (httpx.HTTPError, ValueError):
            return []  # no verified email: the login still works, the email is just unknown
        return body if response.status_code == 200 and isinstance(body, list) else []


class GitLabOAuth(OAuthProvider):
    id = "gitlab"
    env_prefix = "GITLAB"
    title = "GitLab"

    domain = Unicode(help="GitLab host. Default: $OAUTH_GITLAB_DOMAIN, else gitlab.com.").tag(config=True)

    @default("domain")
    def _default_domain(self) -> str:
        return self.env("DOMAIN") or "gitlab.com"

    @default("issuer")
    def _default_issuer(self) -> str:
        return origin(self.domain)


class GoogleOAuth(OAuthProvider):
    id = "google"
    env_prefix = "GOOGLE"
    title = "Google"

    @default("issuer")
    def _default_issuer(self) -> str:
        return "https://accounts.google.com"

    @default("authorize_url")
    def _default_authorize_url(self) -> str:
        return "https://accounts.google.com/o/oauth2/v2/auth"

    @default("token_url")
    def _default_token_url(self) -> str:
        return "https://oauth2.googleapis.com/token"

    @default("userinfo_url")
    def _default_userinfo_url(self) -> str:
        return "https://openidconnect.googleapis.com/v1/userinfo"

    @default("jwks_url")
    def _default_jwks_url(self) -> str:
        return "https://www.googleapis.com/oauth2/v3/certs"


class AzureADOAuth(OAuthProvider):
    id = "azure-ad"
    env_prefix = "AZURE_AD"
    title = "Microsoft"
    _multi_tenant = ("common", "organizations", "consumers")

    tenant_id = Unicode(
        help="Azure AD tenant (id or domain). Default: $OAUTH_AZURE_AD_TENANT_ID, else 'common'."
    ).tag(config=True)

    @default("tenant_id")
    def _default_tenant_id(self) -> str:
        return self.env("TENANT_ID") or "common"

    def _base(self) -> str:
        return f"https://login.microsoftonline.com/{self.tenant_id}"

    @default("issuer")
    def _default_issuer(self) -> str:
        return f"{self._base()}/v2.0"

    @default("authorize_url")
    def _default_authorize_url(self) -> str:
        return f"{self._base()}/oauth2/v2.0/authorize"

    @default("token_url")
    def _default_token_url(self) -> str:
        return f"{self._base()}/oauth2/v2.0/token"

    @default("jwks_url")
    def _default_jwks_url(self) -> str:
        return f"{self._base()}/discovery/v2.0/keys"

    def expected_issuer(self, claims: dict[str, Any]) -> str:
        if self.tenant_id in self._multi_tenant:
            tid = claims.get("tid")
            if isinstance(tid, str) and tid.replace("-", "").isalnum():
                return f"https://login.microsoftonline.com/{tid}/v2.0"
            return ""  # no tenant: no issuer can match
        return self.issuer

    def check_response_issuer(self, endpoints: Endpoints, iss: str | None) -> None:
        if self.tenant_id not in self._multi_tenant:
            super().check_response_issuer(endpoints, iss)


class OktaOAuth(OAuthProvider):
    id = "okta"
    env_prefix = "OKTA"
    title = "Okta"

    domain = Unicode(help="Okta domain. Default: $OAUTH_OKTA_DOMAIN.").tag(config=True)
    authorization_server_id = Unicode(
        help="Okta authorization server id (e.g. 'default'); empty: the org server. "
        "Default: $OAUTH_OKTA_AUTHORIZATION_SERVER_ID."
    ).tag(config=True)

    @default("domain")
    def _default_domain(self) -> str:
        return self.env("DOMAIN")

    @default("authorization_server_id")
    def _default_server(self) -> str:
        return self.env("AUTHORIZATION_SERVER_ID")

    @default("issuer")
    def _default_issuer(self) -> str:
        if not self.domain:
            return ""
        server = self.authorization_server_id
        return origin(self.domain) + (f"/oauth2/{server}" if server else "")

    def missing_settings(self) -> list[str]:
        return ["domain ($OAUTH_OKTA_DOMAIN)"]


class Auth0OAuth(OAuthProvider):
    id = "auth0"
    env_prefix = "AUTH0"
    title = "Auth0"

    domain = Unicode(help="Auth0 tenant domain. Default: $OAUTH_AUTH0_DOMAIN.").tag(config=True)

    @default("domain")
    def _default_domain(self) -> str:
        return self.env("DOMAIN")

    @default("issuer")
    def _default_issuer(self) -> str:
        return origin(self.domain) + "/" if self.domain else ""

    def missing_settings(self) -> list[str]:
        return ["domain ($OAUTH_AUTH0_DOMAIN)"]


class KeycloakOAuth(OAuthProvider):
    id = "keycloak"
    env_prefix = "KEYCLOAK"
    title = "Keycloak"

    base_url = Unicode(help="Keycloak base URL. Default: $OAUTH_KEYCLOAK_BASE_URL.").tag(config=True)
    realm = Unicode(help="Keycloak realm. Default: $OAUTH_KEYCLOAK_REALM.").tag(config=True)

    @default("base_url")
    def _default_base_url(self) -> str:
        return self.env("BASE_URL")

    @default("realm")
    def _default_realm(self) -> str:
        return self.env("REALM")

    @default("issuer")
    def _default_issuer(self) -> str:
        if not (self.base_url and self.realm):
            return ""
        return f"{origin(self.base_url)}/realms/{self.realm}"

    def missing_settings(self) -> list[str]:
        return ["base_url and realm ($OAUTH_KEYCLOAK_BASE_URL, $OAUTH_KEYCLOAK_REALM)"]


class CognitoOAuth(OAuthProvider):
    id = "cognito"
    env_prefix = "COGNITO"
    title = "AWS Cognito"
    token_auth_method = "client_secret_basic"  # noqa: S105 - a method name

    domain = Unicode(
        help="Cognito hosted UI domain (e.g. myapp.auth.us-east-1.amazoncognito.com). "
        "Default: $OAUTH_COGNITO_DOMAIN."
    ).tag(config=True)

    @default("domain")
    def _default_domain(self) -> str:
        return self.env("DOMAIN")

    @default("issuer")
    def _default_issuer(self) -> str:
        # https://cognito-idp.<region>.amazonaws.com/<user pool id>: not derivable from the domain.
        return self.env("ISSUER")

    def _url(self, path: str) -> str:
        return f"{origin(self.domain)}{path}" if self.domain else ""

    @default("authorize_url")
    def _default_authorize_url(self) -> str:
        return self._url("/oauth2/authorize")

    @default("token_url")
    def _default_token_url(self) -> str:
        return self._url("/oauth2/token")

    @default("userinfo_url")
    def _default_userinfo_url(self) -> str:
        return self._url("/oauth2/userInfo")

    def missing_settings(self) -> list[str]:
        return [] if self.domain else ["domain ($OAUTH_COGNITO_DOMAIN)"]


class GenericOAuth(OAuthProvider):
    id = "generic"
    env_prefix = "GENERIC"
    title = "Single sign-on"

    @default("issuer")
    def _default_issuer(self) -> str:
        return self.env("ISSUER")

    @default("authorize_url")
    def _default_authorize_url(self) -> str:
        return self.env("AUTH_URL")

    @default("token_url")
    def _default_token_url(self) -> str:
        return self.env("TOKEN_URL")

    @default("userinfo_url")
    def _default_userinfo_url(self) -> str:
        return self.env("USER_INFO_URL")

    @default("jwks_url")
    def _default_jwks_url(self) -> str:
        return self.env("JWKS_URL")

    @default("user_id_claim")
    def _default_user_id_claim(self) -> str:
        return self.env("USER_IDENTIFIER") or "sub"


#: The providers the identity provider looks for, in login-page order.
BUILTIN_PROVIDERS: list[type[OAuthProvider]] = [
    GitHubOAuth,
    GitLabOAuth,
    GoogleOAuth,
    AzureADOAuth,
    OktaOAuth,
    Auth0OAuth,
    KeycloakOAuth,
    CognitoOAuth,
    GenericOAuth,
]
