"""The password hook of the browser login test's server (imported by that server by name)."""

from __future__ import annotations

from chatwidget.data import User

ACCOUNTS = {"bob": "correct horse", "alice": "battery staple"}


def check_password(username: str, password: str) -> User | None:
    return User(identifier=username) if ACCOUNTS.get(username) == password else None
