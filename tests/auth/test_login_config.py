"""Provider configuration from the reference's environment variables, and ``next`` checks."""

from __future__ import annotations

from typing import Any

import pytest
from chatwidget_server.auth import (
    Auth0OAuth,
    AzureADOAuth,
    ChatIdentityProvider,
    CognitoOAuth,
    GenericOAuth,
    GitHubOAuth,
    GitLabOAuth,
    GoogleOAuth,
    KeycloakOAuth,
    OktaOAuth,
)
from chatwidget_server.auth._urls import redirect_uri, safe_next
from login_helpers import forget_env

BASE = "/a%40b/"


@pytest.mark.parametrize(
    "value",
    [
        "//evil.com",
        "///evil.com",
        "https://evil.com",
        "http:/evil.com",
        "/\\evil.com",
        "\\\\evil.com",
        "/a%40b/\\..\\evil",
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "/\t/evil.com",
        "/\n/evil.com",
        " /a%40b/lab",
        "/a%40b/../..//evil.com",
        "/a%40b/%2E%2E//evil.com",
        "/elsewhere",
        "a%40b/lab",
        "",
        None,
        ["/a%40b/lab"],
        "/a%40b/" + "x" * 3000,
    ],
)
def test_unsafe_next_values_fall_back_to_the_default(value: Any) -> None:
    assert safe_next(value, BASE, "/a%40b/lab") == "/a%40b/lab"


@pytest.mark.parametrize("value", ["/a%40b/", "/a%40b/lab", "/a%40b/lab/tree/x.ipynb?a=1&b=%2F#frag"])
def test_same_origin_paths_under_base_url_are_kept(value: str) -> None:
    assert safe_next(value, BASE, "/a%40b/lab") == value


def test_redirect_uri_is_built_from_the_public_url() -> None:
    assert redirect_uri("https://chat.example.org/a", "github") == (
        "https://chat.example.org/a/login/oauth/github/callback"
    )


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    import os

    for name in list(os.environ):
        if name.startswith("OAUTH_"):
            monkeypatch.delenv(name)
    for name in ("CHATWIDGET_IDENTITY_SECRET", "CHATWIDGET_IDENTITY_REQUIRED", "CHATWIDGET_PUBLIC_URL"):
        forget_env(monkeypatch, name)
    return monkeypatch


def _configure(env: pytest.MonkeyPatch, prefix: str, **extra: str) -> None:
    env.setenv(f"OAUTH_{prefix}_CLIENT_ID", "id")
    env.setenv(f"OAUTH_{prefix}_CLIENT_SECRET", "secret")
    for key, value in extra.items():
        env.setenv(f"OAUTH_{prefix}_{key}", value)


def test_a_provider_without_client_id_and_secret_is_absent(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("OAUTH_GITHUB_CLIENT_ID", "only-the-id")
    provider = ChatIdentityProvider(public_url="https://chat.example.org/")
    assert provider.providers == {}
    assert not provider.password_login_available


def test_providers_read_the_reference_environment(clean_env: pytest.MonkeyPatch) -> None:
    env = clean_env
    _configure(env, "GITHUB")
    _configure(env, "GITLAB", DOMAIN="gitlab.example.org")
    _configure(env, "GOOGLE", PROMPT="select_account")
    _configure(env, "AZURE_AD", TENANT_ID="contoso.onmicrosoft.com")
    _configure(env, "OKTA", DOMAIN="dev-1.okta.com", AUTHORIZATION_SERVER_ID="default")
    _configure(env, "AUTH0", DOMAIN="tenant.eu.auth0.com")
    _configure(env, "KEYCLOAK", BASE_URL="https://kc.example.org", REALM="chat", NAME="corp")
    _configure(env, "COGNITO", DOMAIN="app.auth.eu-west-1.amazoncognito.com")
    _configure(env, "GENERIC", ISSUER="https://sso.example.org", SCOPES="openid,email", USER_IDENTIFIER="oid")
    env.setenv("OAUTH_PROMPT", "login")
    ip = ChatIdentityProvider(public_url="https://chat.example.org/")
    p = ip.providers
    assert list(p) == [
        "github",
        "gitlab",
        "google",
        "azure-ad",
        "okta",
        "auth0",
        "corp",
        "cognito",
        "generic",
    ]

    assert isinstance(p["github"], GitHubOAuth) and not p["github"].uses_oidc
    assert p["github"].user_id_claim == "id" and p["github"].prompt == "login"
    assert isinstance(p["gitlab"], GitLabOAuth) and p["gitlab"].issuer == "https://gitlab.example.org"
    assert isinstance(p["google"], GoogleOAuth) and p["google"].prompt == "select_account"
    assert p["google"].uses_oidc and p["google"].jwks_url.startswith("https://www.googleapis.com/")
    assert isinstance(p["azure-ad"], AzureADOAuth)
    assert p["azure-ad"].issuer == "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0"
    assert p["azure-ad"].token_url.endswith("/contoso.onmicrosoft.com/oauth2/v2.0/token")
    assert isinstance(p["okta"], OktaOAuth) and p["okta"].issuer == "https://dev-1.okta.com/oauth2/default"
    assert isinstance(p["auth0"], Auth0OAuth) and p["auth0"].issuer == "https://tenant.eu.auth0.com/"
    assert isinstance(p["corp"], KeycloakOAuth) and p["corp"].issuer == "https://kc.example.org/realms/chat"
    assert isinstance(p["cognito"], CognitoOAuth) and not p["cognito"].uses_oidc
    assert p["cognito"].userinfo_url == "https://app.auth.eu-west-1.amazoncognito.com/oauth2/userInfo"
    assert isinstance(p["generic"], GenericOAuth) and p["generic"].scopes == "openid email"
    assert p["generic"].user_id_claim == "oid"


def test_azure_multi_tenant_takes_the_issuer_from_the_token(clean_env: pytest.MonkeyPatch) -> None:
    _configure(clean_env, "AZURE_AD")
    azure = ChatIdentityProvider(public_url="https://c.example.org/").providers["azure-ad"]
    tid = "9188040d-6c67-4c5b-b112-36a304b66dad"
    assert azure.expected_issuer({"tid": tid}) == f"https://login.microsoftonline.com/{tid}/v2.0"
    assert azure.expected_issuer({}) == ""


def test_traitlets_override_the_environment(clean_env: pytest.MonkeyPatch) -> None:
    from traitlets.config import Config

    _configure(clean_env, "OKTA", DOMAIN="from-env.okta.com")
    config = Config({"OktaOAuth": {"domain": "https://configured.okta.com", "scopes": "openid"}})
    okta = ChatIdentityProvider(config=config, public_url="https://c.example.org/").providers["okta"]
    assert okta.issuer == "https://configured.okta.com" and okta.scopes == "openid"


def test_an_incomplete_provider_is_an_error(clean_env: pytest.MonkeyPatch) -> None:
    _configure(clean_env, "KEYCLOAK", BASE_URL="https://kc.example.org")  # no realm
    with pytest.raises(ValueError, match="realm"):
        ChatIdentityProvider(public_url="https://c.example.org/")


def test_identity_secret_goes_to_the_environment(clean_env: pytest.MonkeyPatch) -> None:
    import os

    ip = ChatIdentityProvider(public_url="https://chat.example.org/")
    assert len(ip.identity_secret) >= 32
    assert os.environ["CHATWIDGET_IDENTITY_SECRET"] == ip.identity_secret
    assert os.environ["CHATWIDGET_IDENTITY_REQUIRED"] == "1"
    assert ip.secure_cookies  # https public URL
    assert not ChatIdentityProvider(public_url="http://127.0.0.1:8888/").secure_cookies
