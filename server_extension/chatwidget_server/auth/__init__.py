"""Login for the Jupyter server: OAuth 2.0 / OpenID Connect providers and a password hook.

``ChatIdentityProvider`` (:mod:`.provider`) is a jupyter-server 2.x identity provider::

    jupyter lab --ServerApp.identity_provider_class=chatwidget_server.auth.ChatIdentityProvider

It offers every provider whose ``OAUTH_<PROVIDER>_CLIENT_ID`` and ``_CLIENT_SECRET`` are set
(:mod:`.providers`), and a password form when ``password_auth_callback`` is configured.
The flow (PKCE, state, nonce, ID token validation, mix-up defence) lives once in
:mod:`.oauth`; redirects in :mod:`._urls`; sessions (in the chat database) in :mod:`._sessions`; routes in
:mod:`.handlers`. A logged-in user owns threads as ``"<provider>:<subject>"``, and the kernel
learns that identity through a server-signed token (:mod:`chatwidget.identity`).
"""

from __future__ import annotations

from .oauth import OAuthError, OAuthProvider
from .provider import ChatIdentityProvider
from .providers import (
    Auth0OAuth,
    AzureADOAuth,
    CognitoOAuth,
    GenericOAuth,
    GitHubOAuth,
    GitLabOAuth,
    GoogleOAuth,
    KeycloakOAuth,
    OktaOAuth,
)

__all__ = [
    "Auth0OAuth",
    "AzureADOAuth",
    "ChatIdentityProvider",
    "CognitoOAuth",
    "GenericOAuth",
    "GitHubOAuth",
    "GitLabOAuth",
    "GoogleOAuth",
    "KeycloakOAuth",
    "OAuthError",
    "OAuthProvider",
    "OktaOAuth",
]
