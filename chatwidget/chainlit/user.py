"""``User`` and ``PersistedUser``, accepting the reference's spelling (``createdAt``) too."""

from __future__ import annotations

from typing import Any

from ..data.types import PersistedUser as _PersistedUser
from ..data.types import User

__all__ = ["PersistedUser", "User"]


class PersistedUser(_PersistedUser):
    """A stored user: ``PersistedUser(id=..., createdAt=..., identifier=...)``."""

    def __init__(
        self,
        identifier: str,
        id: str = "",
        createdAt: str | None = None,  # noqa: N803 - the reference's argument name
        display_name: str | None = None,
        metadata: dict[str, Any] | None = None,
        created_at: str = "",
    ) -> None:
        super().__init__(
            identifier=identifier,
            display_name=display_name,
            metadata=dict(metadata or {}),
            id=id,
            created_at=createdAt or created_at,
        )

    @property
    def createdAt(self) -> str:  # noqa: N802 - the reference's attribute name
        return self.created_at
