"""``ChatAuthorizer``: jupyter_server's authorization layer for the two roles of :mod:`.roles`.

jupyter_server asks ``is_authorized(handler, user, action, resource)`` before every REST
call and websocket of its services (contents, kernels, sessions, terminals, kernelspecs,
config, nbconvert, events, ...). A developer may do everything; an app user only ``read``
the model of a kernel started for them and ``execute`` on it through its websocket (what a
Voila page does). Routes that never ask the authorizer (pages of JupyterLab, Voila's
own handlers, other extensions) are closed to app users by the identity provider's route
check (:mod:`.app_routes`), which runs first on every request; this is the second line.

``ChatIdentityProvider`` installs this class as ``ServerApp.authorizer_class`` when the
server still has jupyter_server's allow-all default.
"""

from __future__ import annotations

import re
from typing import Any

from jupyter_server.auth import Authorizer, User
from jupyter_server.base.handlers import JupyterHandler

from .roles import DEVELOPER

#: The kernel model (read) and the kernel websocket (execute): what a Voila page asks for.
_OWN_KERNEL = re.compile(r"/api/kernels/([^/]+)(/channels)?$")


class ChatAuthorizer(Authorizer):
    """Developers: everything. App users: only the kernel Voila started for them."""

    def is_authorized(self, handler: JupyterHandler, user: User, action: str, resource: str) -> bool:
        provider: Any = self.identity_provider
        role_of = getattr(provider, "role_of", None)
        if role_of is None:  # not chatwidget's identity provider: no app users exist
            return True
        if role_of(handler) == DEVELOPER:
            return True
        kernel = _OWN_KERNEL.search(handler.request.path)
        wanted = ("execute" if kernel and kernel.group(2) else "read", "kernels")
        allowed = (
            kernel is not None
            and (action, resource) == wanted
            and provider.kernel_owners.owns(kernel.group(1), user.username)
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
