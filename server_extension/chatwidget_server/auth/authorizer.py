"""``ChatAuthorizer``: jupyter_server's authorization layer for the two roles of :mod:`.roles`.

jupyter_server asks ``is_authorized(handler, user, action, resource)`` before every REST
call and websocket of its services (contents, kernels, sessions, terminals, kernelspecs,
config, nbconvert, events, ...). A developer may do everything; an app user only
``execute`` on ``kernels`` through the websocket of a kernel started for them (the one a
Voila page talks to). Routes that never ask the authorizer (pages of JupyterLab, Voila's
own handlers, other extensions) are closed to app users by the identity provider's route
check (:mod:`.app_routes`), which runs first on every request; this is the second line.

``ChatIdentityProvider`` installs this class as ``ServerApp.authorizer_class`` when the
server still has jupyter_server's allow-all default.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth import Authorizer, User
from jupyter_server.base.handlers import JupyterHandler

from .roles import DEVELOPER


class ChatAuthorizer(Authorizer):
    """Developers: everything. App users: only their own Voila kernel's websocket."""

    def is_authorized(self, handler: JupyterHandler, user: User, action: str, resource: str) -> bool:
        provider: Any = self.identity_provider
        role_of = getattr(provider, "role_of", None)
        if role_of is None:  # not chatwidget's identity provider: no app users exist
            return True
        if role_of(handler) == DEVELOPER:
            return True
        kernel_id = getattr(handler, "kernel_id", None)
        allowed = (
            resource == "kernels"
            and action == "execute"
            and isinstance(kernel_id, str)
            and handler.request.path.endswith(f"/api/kernels/{kernel_id}/channels")
            and provider.kernel_owners.owns(kernel_id, user.username)
        )
        if not allowed:
            self.log.warning(
                "chatwidget: app user %s may not %s %s (%s)",
                user.username,
                action,
                resource,
                handler.request.path,
            )
        return bool(allowed)
