"""The password hook of the server processes in ``test_shared_sessions`` (imported by name there)."""

from __future__ import annotations

from chatwidget.data import User


def check_password(username: str, password: str) -> User | None:
    """Every user's password is ``pw-<name>`` (the tests are about sessions, not passwords)."""
    if username and password == f"pw-{username}":
        return User(identifier=username, display_name=username.title())
    return None
