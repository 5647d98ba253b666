"""The thread store service: options, start, stop.

Run by JupyterHub as a managed service (``python -m chatwidget_server.store``; see the
README's hub configuration). It reads its address and prefix from the variables the hub
gives a service (``JUPYTERHUB_SERVICE_URL``, ``JUPYTERHUB_SERVICE_PREFIX``), checks callers'
tokens with the hub (``JUPYTERHUB_API_URL``, ``JUPYTERHUB_API_TOKEN``), and is the only
process that knows the database URL. Options are ``c.ThreadStore.<name>`` in a config file
(``--config=store_config.py``) or ``--ThreadStore.<name>=...``.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jupyterhub.services.auth import HubAuth
from tornado import httpserver, web
from traitlets import Int, Unicode, default
from traitlets.config import Application

from chatwidget.data.sql import SQLDataLayer
from chatwidget.data.storage import LocalElementStorage

from . import handlers
from ._owners import Owners

#: The store's own database URL variable, so that nothing else picks it up by accident.
DB_URL_ENV = "CHATWIDGET_STORE_DATABASE_URL"
ELEMENTS_ENV = "CHATWIDGET_STORE_ELEMENTS"


class ThreadStore(Application):
    """chatwidget's thread store: the data layer behind an API that serves each user their own."""

    name = "chatwidget-store"
    description = "chatwidget thread store: a JupyterHub service that alone holds the database"

    config_file = Unicode("", help="A Python config file to load (c.ThreadStore...). Default: none.").tag(
        config=True
    )
    db_url = Unicode(
        help=(
            "The database URL (SQLAlchemy form, e.g. postgresql+asyncpg://store@db/chat). "
            f"Default: ${DB_URL_ENV}, else a SQLite file chatwidget.db in the Jupyter data directory."
        )
    ).tag(config=True)

    @default("db_url")
    def _default_db_url(self) -> str:
        return os.environ.get(DB_URL_ENV, "")

    elements_dir = Unicode(
        help=(
            f"Where element bytes are kept. Default: ${ELEMENTS_ENV}, else next to a SQLite "
            "database, or chatwidget/elements in the Jupyter data directory for other databases."
        ),
    ).tag(config=True)

    @default("elements_dir")
    def _default_elements_dir(self) -> str:
        return os.environ.get(ELEMENTS_ENV, "")

    bind_url = Unicode(
        help="The URL to listen on. Default: $JUPYTERHUB_SERVICE_URL, else http://127.0.0.1:10101."
    ).tag(config=True)

    @default("bind_url")
    def _default_bind_url(self) -> str:
        return os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:10101")

    base_path = Unicode(
        help="The path prefix of every route. Default: $JUPYTERHUB_SERVICE_PREFIX, else /."
    ).tag(config=True)

    @default("base_path")
    def _default_base_path(self) -> str:
        return os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/")

    token_cache_seconds = Int(
        60,
        help=(
            "How long the hub's answer about a token is reused: a token revoked at the hub is "
            "still accepted for up to this long. Default: 60."
        ),
    ).tag(config=True)
    max_body_bytes = Int(
        512 * 1024 * 1024,
        help=(
            "The largest request body accepted (an element's bytes travel in one). "
            "Default: 536870912 (512 MiB)."
        ),
    ).tag(config=True)

    aliases = {"config": "ThreadStore.config_file", "db-url": "ThreadStore.db_url"}

    def initialize(self, argv: Any = None) -> None:
        super().initialize(argv)
        if self.config_file:
            path = Path(self.config_file)
            self.load_config_file(path.name, path=str(path.parent))
            self.update_config(self.cli_config)  # the command line wins over the file

    def make_layer(self) -> SQLDataLayer:
        storage = LocalElementStorage(self.elements_dir) if self.elements_dir else None
        return SQLDataLayer(self.db_url or None, storage=storage)

    def make_app(self, layer: SQLDataLayer, hub_auth: HubAuth) -> web.Application:
        prefix = "/" + self.base_path.strip("/") + "/" if self.base_path.strip("/") else "/"
        routes = [(prefix + "api/v1/" + pattern, handler) for pattern, handler in handlers.ROUTES]
        return web.Application(
            routes,  # type: ignore[arg-type]
            store_layer=layer,
            store_owners=Owners(layer),
            hub_auth=hub_auth,
            default_handler_class=handlers.NotFoundHandler,
        )

    async def serve(self) -> None:
        hub_auth = HubAuth(cache_max_age=self.token_cache_seconds)
        if not hub_auth.access_scopes:
            raise SystemExit(
                "chatwidget-store: run it as a JupyterHub service (JUPYTERHUB_SERVICE_NAME is not set)"
            )
        layer = self.make_layer()
        await layer.migrate()
        address = urlsplit(self.bind_url)
        server = httpserver.HTTPServer(self.make_app(layer, hub_auth), max_body_size=self.max_body_bytes)
        server.listen(address.port or 80, address.hostname or "127.0.0.1")
        self.log.info("chatwidget-store: serving %s on %s (%s)", self.base_path, self.bind_url, layer.dialect)
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stopped.set)
        try:
            await stopped.wait()
        finally:
            server.stop()
            await layer.close()

    def start(self) -> None:
        asyncio.run(self.serve())


main = ThreadStore.launch_instance
