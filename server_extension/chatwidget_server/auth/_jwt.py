"""ID token validation (OpenID Connect Core 1.0, section 3.1.3.7), with joserfc.

Checked, in order: the header's ``alg`` is an asymmetric algorithm the provider may use
(``none`` and the HMAC family are refused: a public key must never serve as an HMAC
secret); the key is the provider's, chosen by ``kid`` from its JWKS and of the family the
algorithm needs; the signature; then the claims: ``iss`` equals the provider's issuer,
``aud`` contains the client id (and ``azp`` is the client id when there are other
audiences), ``exp`` is in the future, ``iat`` is present and not in the future, ``sub`` is
a non-empty string, and ``nonce`` equals the one sent in this login.
"""

from __future__ import annotations

import base64
import hmac
import json
import time
from collections.abc import Collection
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

#: The algorithms an ID token may be signed with (RFC 7518 / RFC 8037): asymmetric only.
ASYMMETRIC_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
_KEY_TYPE = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}
MAX_TOKEN_CHARS = 16_384


class IDTokenError(Exception):
    """The ID token is not acceptable (the message says why; it goes to the log)."""


def unverified_header(token: str) -> dict[str, Any]:
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
        raise IDTokenError("not a compact JWS")
    segment = token.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except ValueError as exc:
        raise IDTokenError("unreadable header") from exc
    if not isinstance(header, dict):
        raise IDTokenError("unreadable header")
    return header


def check_algorithm(header: dict[str, Any], allowed: Collection[str]) -> str:
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ASYMMETRIC_ALGORITHMS or alg not in allowed:
        raise IDTokenError(f"algorithm {alg!r} is not accepted")
    if header.get("crit") is not None:
        raise IDTokenError("critical header parameters are not supported")
    return alg


def verify_signature(token: str, keys: KeySet, alg: str, kid: str | None) -> dict[str, Any]:
    """The claims of ``token`` once its signature verifies with the key ``kid`` of ``keys``."""
    candidates = [k for k in keys if kid is None or k.kid == kid]
    candidates = [k for k in candidates if k.key_type == _KEY_TYPE[alg[:2]]]
    candidates = [k for k in candidates if k.get("use") in (None, "sig") and k.get("alg") in (None, alg)]
    if not candidates:
        raise IDTokenError(f"no signing key {kid!r} of the provider fits {alg}")
    for key in candidates:
        try:
            decoded = jwt.decode(token, key, algorithms=[alg])
        except JoseError:
            continue
        return dict(decoded.claims)
    raise IDTokenError("bad signature")


def check_claims(
    claims: dict[str, Any],
    *,
    issuer: str,
    client_id: str,
    nonce: str,
    leeway: float = 60,
    now: float | None = None,
) -> None:
    current = time.time() if now is None else now
    if claims.get("iss") != issuer:
        raise IDTokenError(f"issuer {claims.get('iss')!r} is not {issuer!r}")
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud
    if not isinstance(audiences, list) or client_id not in audiences:
        raise IDTokenError(f"audience {aud!r} does not include the client id")
    if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != client_id:
        raise IDTokenError("authorized party is not the client id")
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool) or exp + leeway < current:
        raise IDTokenError("expired")
    iat = claims.get("iat")
    if not isinstance(iat, (int, float)) or isinstance(iat, bool) or iat - leeway > current:
        raise IDTokenError("issued-at time missing or in the future")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub or len(sub) > 255:
        raise IDTokenError("subject missing")
    got = claims.get("nonce")
    if not isinstance(got, str) or not hmac.compare_digest(got.encode(), nonce.encode()):
        raise IDTokenError("nonce does not match this login")
