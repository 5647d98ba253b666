"""The data layers a kernel's chats write to, when the app names a database by URL."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .data import BaseDataLayer


class DataLayers:
    """The data layers built from a database URL, one per database, shared by the chats of a
    kernel (one engine, one connection pool) and closed when the last of them closes.

    Chosen by :func:`chatwidget.data.default_data_layer`: ``url``, else the thread store
    (``$CHATWIDGET_STORE_URL``), else ``$CHATWIDGET_DATABASE_URL``, else SQLite in the
    Jupyter data directory.
    """

    def __init__(self) -> None:
        self._layers: dict[str, BaseDataLayer] = {}
        self._users: dict[str, set[int]] = {}

    def get(self, url: str, user: object) -> BaseDataLayer:
        if url not in self._layers:
            from .data import default_data_layer

            self._layers[url] = default_data_layer(url)  # SQLAlchemy is imported then, not before
        self._users.setdefault(url, set()).add(id(user))
        return self._layers[url]

    def _drop(self, user: object) -> list[BaseDataLayer]:
        unused = []
        for url, users in list(self._users.items()):
            users.discard(id(user))
            if not users:
                del self._users[url]
                unused.append(self._layers.pop(url))
        return unused

    async def release(self, user: object) -> None:
        """``user`` no longer needs its layers; those nobody else uses are closed."""
        for layer in self._drop(user):
            with contextlib.suppress(Exception):  # closing: nothing left to report it to
                await layer.close()

    def forget(self, user: object) -> None:
        """Like :meth:`release`, without a loop to close on (the engine is dropped)."""
        self._drop(user)


data_layers = DataLayers()
