"""Which data layer a process uses when none is given: the thread store, or an embedded database."""

from __future__ import annotations

import os

from .base import STORE_URL_ENV, BaseDataLayer


def default_data_layer(url: str = "") -> BaseDataLayer:
    """A new data layer for this configuration; the caller shares it and closes it.

    ``url`` given: the SQL data layer on that database. Else, with ``$CHATWIDGET_STORE_URL``
    set (a multi-user deployment): the thread store service, reached with this process's hub
    token, no database credentials involved. Else the SQL data layer on
    ``$CHATWIDGET_DATABASE_URL``, or the SQLite file in the Jupyter data directory (a
    personal server). Nothing heavy is imported before this is called.
    """
    store = "" if url else os.environ.get(STORE_URL_ENV, "")
    if store:
        from .remote import RemoteDataLayer

        return RemoteDataLayer(store)
    from .sql import SQLDataLayer

    return SQLDataLayer(url or None)
