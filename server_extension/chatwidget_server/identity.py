"""Who is calling: the owner identifier of a request, by one rule shared with the kernel.

A thread's owner is an identifier string. The kernel and the server follow one rule,
:func:`chatwidget.identity.local_owner` (``$CHATWIDGET_OWNER``, else ``$JUPYTERHUB_USER``,
else ``local:<OS user name>``); the server answers a request as :func:`owner_of`.

On the server, a request authenticated by the server's own token or password comes from
the server's owner (the token holder): it gets :func:`local_owner`. When the identity
provider is one of ours (an OAuth login, see :class:`OwnIdentityProvider`), each logged-in
user is their own owner: the provider says which identifier a user has.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth import User
from jupyter_server.base.handlers import JupyterHandler

from chatwidget.identity import local_owner

__all__ = ["OwnIdentityProvider", "local_owner", "owner_of"]


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
