"""Who is calling: the owner identifier of a request, by one rule shared with the kernel.

A thread's owner is an identifier string. The kernel writes threads as
``chatwidget._persistence.owner_identifier()``; the server answers a request as
:func:`owner_of`. Both follow the same rule, :func:`local_owner`:

1. ``$CHATWIDGET_OWNER`` if set (a deployment names the owner explicitly);
2. else ``$JUPYTERHUB_USER`` (the single-user server of a JupyterHub user);
3. else ``local:<OS user name>`` (a personal ``jupyter lab``).

On the server, a request authenticated by the server's own token or password comes from
the server's owner (the token holder): it gets :func:`local_owner`. When the identity
provider is one of ours (an OAuth login, see :class:`OwnIdentityProvider`), each logged-in
user is their own owner: the provider says which identifier a user has.
"""

from __future__ import annotations

import getpass
import os
from typing import Any

from jupyter_server.auth import User
from jupyter_server.base.handlers import JupyterHandler

#: The environment variables of the rule, in order.
OWNER_ENV = "CHATWIDGET_OWNER"
HUB_USER_ENV = "JUPYTERHUB_USER"


def local_owner() -> str:
    """The owner identifier of this process's user (read from the environment at each call)."""
    return os.environ.get(OWNER_ENV) or os.environ.get(HUB_USER_ENV) or f"local:{getpass.getuser()}"


class OwnIdentityProvider:
    """Mixin for chatwidget's own identity providers (OAuth, later).

    A provider with this mixin tells which owner identifier a logged-in user has; the
    default is the user's ``username`` (the provider's unique id for them).
    """

    def owner_identifier(self, user: User) -> str:
        return str(user.username)


def owner_of(handler: JupyterHandler) -> str | None:
    """The owner identifier of the caller of ``handler``, or ``None`` if anonymous."""
    user: Any = handler.current_user
    if not user:
        return None
    provider = handler.identity_provider
    if isinstance(provider, OwnIdentityProvider) and isinstance(user, User):
        return provider.owner_identifier(user)
    return local_owner()
