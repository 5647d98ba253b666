"""Who is calling the store: the JupyterHub user of the request's token, as the hub says.

A kernel or single-user server sends its server's ``$JUPYTERHUB_API_TOKEN`` as
``Authorization: token <token>`` (or ``Bearer``). The store asks the hub who holds the token
(:class:`jupyterhub.services.auth.HubAuth`, answers cached for ``cache_max_age`` seconds) and
accepts it only if the hub says it is a *user*'s token carrying the scope to access this
service (``access:services!service=<name>``). The caller's owner identifier is that user's
name; nothing else in the request (a header, a body field, an environment variable of the
caller) can change it. Tokens in the URL are not read, so they never land in access logs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jupyterhub.services.auth import HubAuth
from tornado import web

_AUTHORIZATION = re.compile(r"(?:token|bearer)\s+(\S+)", re.IGNORECASE)
MAX_TOKEN_CHARS = 4096


@dataclass(frozen=True)
class Caller:
    identifier: str


def token_of(request_headers: Any) -> str | None:
    header = request_headers.get("Authorization", "")
    match = _AUTHORIZATION.fullmatch(header.strip()) if len(header) <= MAX_TOKEN_CHARS else None
    return match.group(1) if match else None


async def authenticate(hub_auth: HubAuth, request_headers: Any) -> Caller:
    """The caller, or 401 (no or unknown token) / 403 (not a user, or no access to the store)."""
    token = token_of(request_headers)
    if token is None:
        raise web.HTTPError(401, "a hub token is required (Authorization: token ...)")
    model = await hub_auth.user_for_token(token, sync=False)
    if not model:
        raise web.HTTPError(401, "the hub does not know this token")
    if model.get("kind", "user") != "user" or not model.get("name"):
        raise web.HTTPError(403, "only users' tokens may use the thread store")
    if not hub_auth.access_scopes or not hub_auth.check_scopes(hub_auth.access_scopes, model):
        raise web.HTTPError(403, "this token may not access the thread store")
    return Caller(identifier=str(model["name"]))
