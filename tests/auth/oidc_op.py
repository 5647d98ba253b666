"""A real OpenID Connect provider for the login tests, on a loopback port.

Authorization code flow with PKCE (S256 only), client_secret_post / client_secret_basic,
discovery, a JWKS with an RSA key, userinfo, RFC 9207's ``iss`` in the authorization
response. Signing and PKCE use joserfc and authlib. It approves every authorization
request for ``op.user`` (no login page: the tests play the browser).

Knobs make it misbehave the way a hostile or broken provider would: ``claims`` overrides
ID token claims, ``signing`` picks how the token is signed (``rsa``, ``other-key``,
``none``, ``hs256-public``), ``iss_param`` replaces the ``iss`` it sends back, ``error``
answers the authorization request with an error.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import socket
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import tornado.httpserver
import tornado.netutil
import tornado.web
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "chat-client"
CLIENT_SECRET = "chat-client-secret"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str | None
    user: dict[str, Any]
    scope: str
    expires: float


@dataclass
class OP:
    issuer: str = ""
    redirect_uris: set[str] = field(default_factory=set)
    user: dict[str, Any] = field(
        default_factory=lambda: {"sub": "alice-1", "name": "Alice", "email": "a@x.org"}
    )
    claims: dict[str, Any] = field(default_factory=dict)
    signing: str = "rsa"
    iss_param: str | None = None
    send_iss: bool = True
    error: tuple[str, str] | None = None
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, {"kid": "k1", "use": "sig"}))
    other_key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, {"kid": "k1", "use": "sig"}))
    grants: dict[str, Grant] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_requests: int = 0
    #: What ``userinfo/<name>`` answers (a GitHub-style API: ``orgs``, ``emails``).
    user_lists: dict[str, list[Any]] = field(default_factory=dict)

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "authorization_response_iss_parameter_supported": True,
        }

    def id_token(self, grant: Grant) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": grant.user["sub"],
            "aud": grant.client_id,
            "iat": now,
            "exp": now + 300,
            "name": grant.user.get("name"),
        }
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        claims.update(self.claims)
        claims = {k: v for k, v in claims.items() if v is not None}
        if self.signing == "rsa":
            return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.key)
        if self.signing == "other-key":
            return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.other_key)
        head = _b64(json.dumps({"alg": "none" if self.signing == "none" else "HS256", "kid": "k1"}).encode())
        body = _b64(json.dumps(claims).encode())
        if self.signing == "none":
            return f"{head}.{body}."
        # HS256 keyed with the provider's *public* key: the classic algorithm-confusion forgery.
        public_pem = self.key.as_pem(private=False)
        mac = hmac.new(public_pem, f"{head}.{body}".encode(), hashlib.sha256).digest()
        return f"{head}.{body}.{_b64(mac)}"


class _Base(tornado.web.RequestHandler):
    def initialize(self, op: OP) -> None:
        self.op = op

    def json(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(data))

    def check_xsrf_cookie(self) -> None:  # a token endpoint is called by servers, not browsers
        return


class Discovery(_Base):
    def get(self) -> None:
        self.json(self.op.discovery())


class Jwks(_Base):
    def get(self) -> None:
        self.json({"keys": [self.op.key.as_dict(private=False)]})


class Authorize(_Base):
    def get(self) -> None:
        op = self.op
        arg = self.get_query_argument
        redirect_uri = arg("redirect_uri", "")
        if arg("client_id", "") != CLIENT_ID or redirect_uri not in op.redirect_uris:
            self.json({"error": "invalid_request", "error_description": "unknown client or redirect"}, 400)
            return
        params: dict[str, str] = {"state": arg("state", "")}
        if op.error is not None:
            params.update(error=op.error[0], error_description=op.error[1])
        elif (
            arg("response_type", "") != "code"
            or arg("code_challenge_method", "") != "S256"
            or len(arg("code_challenge", "")) != 43
        ):
            params.update(
                error="invalid_request", error_description="PKCE S256 and response_type=code required"
            )
        else:
            code = secrets.token_urlsafe(24)
            op.grants[code] = Grant(
                client_id=CLIENT_ID,
                redirect_uri=redirect_uri,
                code_challenge=arg("code_challenge"),
                nonce=arg("nonce", None),
                user=dict(op.user),
                scope=arg("scope", ""),
                expires=time.time() + 60,
            )
            params["code"] = code
        if op.send_iss:
            params["iss"] = op.iss_param if op.iss_param is not None else op.issuer
        self.redirect(f"{redirect_uri}?{urlencode(params)}")


class Token(_Base):
    def post(self) -> None:
        op = self.op
        op.token_requests += 1
        arg = self.get_body_argument
        client_id, client_secret = arg("client_id", ""), arg("client_secret", "")
        auth = self.request.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
        if client_id != CLIENT_ID or client_secret != CLIENT_SECRET:
            self.json({"error": "invalid_client"}, 401)
            return
        grant = op.grants.pop(arg("code", ""), None)  # single use
        if (
            arg("grant_type", "") != "authorization_code"
            or grant is None
            or grant.expires < time.time()
            or grant.redirect_uri != arg("redirect_uri", "")
        ):
            self.json({"error": "invalid_grant"}, 400)
            return
        if create_s256_code_challenge(arg("code_verifier", "")) != grant.code_challenge:
            self.json({"error": "invalid_grant", "error_description": "PKCE verification failed"}, 400)
            return
        access_token = secrets.token_urlsafe(24)
        op.tokens[access_token] = grant.user
        body = {"access_token": access_token, "token_type": "Bearer", "expires_in": 300, "scope": grant.scope}
        if "openid" in grant.scope.split():
            body["id_token"] = op.id_token(grant)
        self.json(body)


class UserInfo(_Base):
    def get(self) -> None:
        auth = self.request.headers.get("Authorization", "")
        user = self.op.tokens.get(auth[7:]) if auth.startswith("Bearer ") else None
        if user is None:
            self.set_header("WWW-Authenticate", 'Bearer error="invalid_token"')
            self.json({"error": "invalid_token"}, 401)
            return
        self.json(user)


class UserList(_Base):
    def get(self, name: str) -> None:
        auth = self.request.headers.get("Authorization", "")
        if not (auth.startswith("Bearer ") and auth[7:] in self.op.tokens):
            self.json({"error": "invalid_token"}, 401)
            return
        if name not in self.op.user_lists:
            self.json({"message": "Not Found"}, 404)
            return
        self.json(self.op.user_lists[name])


def start_op() -> tuple[OP, tornado.httpserver.HTTPServer]:
    """An OP listening on 127.0.0.1 (a free port), in the running event loop."""
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1", family=socket.AF_INET)
    port = sockets[0].getsockname()[1]
    op = OP(issuer=f"http://127.0.0.1:{port}/op")
    kw = {"op": op}
    app = tornado.web.Application(
        [
            (r"/op/\.well-known/openid-configuration", Discovery, kw),
            (r"/op/jwks", Jwks, kw),
            (r"/op/authorize", Authorize, kw),
            (r"/op/token", Token, kw),
            (r"/op/userinfo", UserInfo, kw),
            (r"/op/userinfo/([a-z]+)", UserList, kw),
        ]
    )
    server = tornado.httpserver.HTTPServer(app)
    server.add_sockets(sockets)
    return op, server
