"""Who may sign in, and as what: **developers** (full Jupyter) and **app users** (chat apps only).

Every login through :class:`.provider.ChatIdentityProvider` gets one of two roles:

* ``developer``: everything the Jupyter server offers (kernels, files, terminals, JupyterLab).
  The server's token holder is always one; other users are developers when listed in
  ``developers`` (or in a provider's ``developer_groups``, or marked by a hook).
* ``app``: an app user may only use chat apps: the Voila apps listed in ``app_notebooks``,
  the chat extension's routes (their own threads, sharing them) and what a Voila page needs
  to talk to the kernel Voila started for them (:mod:`.app_routes`). Everything else: 403.

Who may sign in with OAuth (as in oauthenticator): ``allow_all`` (off by default), or an
identifier in ``allowed_users`` or ``developers``, or a group of the provider's
``allowed_groups`` / ``developer_groups`` (the ``groups`` claim of OpenID providers, the
organisations of GitHub). With none of these configured, the ``oauth_callback`` decides
alone; with no callback either, every OAuth login is refused and the log says how to allow
it. The ``oauth_callback``, when set, always has the last word: it may refuse anyone.
Password logins are decided by the ``password_auth_callback``.

A hook grants the developer role by returning a user whose metadata has
``{"role": "developer"}``; the metadata built from the provider's answer never has one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from traitlets import Bool, HasTraits, List, Set, Unicode

DEVELOPER = "developer"
APP_USER = "app"
#: The metadata key by which a login hook grants a role.
ROLE_KEY = "role"


@dataclass(frozen=True)
class Decision:
    """The answer of :meth:`LoginRules.decide`: allowed or not, the role, why (for the log)."""

    allowed: bool
    role: str
    reason: str


def role_from_hook(metadata: object, role: str) -> str:
    """``developer`` if a hook's user carries ``{"role": "developer"}``, else ``role``."""
    if isinstance(metadata, dict) and metadata.get(ROLE_KEY) == DEVELOPER:
        return DEVELOPER
    return role


class LoginRules(HasTraits):
    """The allow-lists and role options of :class:`.provider.ChatIdentityProvider` (a mixin)."""

    allow_all = Bool(
        False,
        help=(
            "Let every account of a configured OAuth provider sign in (as an app user unless "
            "it is a developer). Default: False: an OAuth login must be allowed by "
            "allowed_users, developers, a provider's allowed_groups, or an oauth_callback."
        ),
    ).tag(config=True)

    allowed_users = Set(
        Unicode(),
        help=(
            "Owner identifiers ('<provider>:<subject>', e.g. 'github:583231', "
            "'generic:alice-1') that may sign in with OAuth, as app users. The log names "
            "the identifier of each refused login. Default: empty."
        ),
    ).tag(config=True)

    developers = Set(
        Unicode(),
        help=(
            "Owner identifiers that are developers: full Jupyter access (kernels, files, "
            "terminals). They may sign in. Password users are 'password:<name>'. Everyone "
            "else who signs in is an app user. Default: empty (only the token holder is a "
            "developer)."
        ),
    ).tag(config=True)

    app_notebooks = List(
        Unicode(),
        help=(
            "Notebook paths (relative to the server's root_dir, shell-style patterns such as "
            "'apps/*.ipynb') that app users may open as Voila apps at voila/render/<path>. "
            "Default: empty (app users can open no app)."
        ),
    ).tag(config=True)

    app_user_routes = List(
        Unicode(),
        help=(
            "Extra paths under base_url (regular expressions, matched whole against the "
            "decoded path, e.g. 'voila/files/assets/.*') that app users may reach besides "
            "the built-in ones. Default: empty."
        ),
    ).tag(config=True)

    @property
    def has_allow_list(self) -> bool:
        return bool(self.allow_all or self.allowed_users or self.developers)

    def decide(
        self,
        identifier: str,
        groups: Iterable[str],
        allowed_groups: Iterable[str],
        developer_groups: Iterable[str],
    ) -> Decision:
        """Whether an OAuth user may sign in, by the lists alone (the callback comes after)."""
        groups = set(groups)
        developer = identifier in self.developers or bool(groups & set(developer_groups))
        role = DEVELOPER if developer else APP_USER
        if developer:
            return Decision(True, role, "a developer")
        if self.allow_all:
            return Decision(True, role, "allow_all")
        if identifier in self.allowed_users:
            return Decision(True, role, "in allowed_users")
        if groups & set(allowed_groups):
            return Decision(True, role, "in an allowed group")
        return Decision(False, role, "not in allowed_users, developers or an allowed group")
