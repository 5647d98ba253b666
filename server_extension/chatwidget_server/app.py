"""The extension application: options, collaborators, routes.

Enabled by ``jupyter-config/jupyter_server_config.d/chatwidget_server.json``; configured as
``c.ChatWidgetServer.<option>`` (``jupyter_server_config.py``) or
``--ChatWidgetServer.<option>=...`` on the command line.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from jupyter_server.utils import url_path_join
from traitlets import Bool, Instance, Type, Unicode, Union, default
from traitlets import Callable as CallableTrait
from traitlets.utils.importstring import import_item

from chatwidget.data import STORE_URL_ENV, BaseDataLayer, ThreadDict, User
from chatwidget.data.remote import RemoteDataLayer
from chatwidget.data.sql import URL_ENV, SQLDataLayer
from chatwidget.data.storage_url import ELEMENTS_URL_ENV, storage_from_url

from . import elements, saved_copy, share, static, threads
from .nodelay import nodelay_connection_class

SharedViewCheck = Callable[[ThreadDict, User | None], Any]


class ChatWidgetServer(ExtensionApp):
    """chatwidget's thread API and publishing, in any Jupyter server (Lab, Voila inside it)."""

    name = "chatwidget"
    description = "chatwidget: thread history API and shared conversations"
    load_other_extensions = True

    db_url = Unicode(
        help=(
            "Database URL of the data layer (SQLAlchemy form, e.g. "
            "postgresql+asyncpg://user@host/db). Default: $CHATWIDGET_DATABASE_URL if set, else "
            "empty, which lets the data layer use its own default (a SQLite file chatwidget.db "
            "in the Jupyter data directory), the same database the kernels write."
        ),
    ).tag(config=True)

    @default("db_url")
    def _default_db_url(self) -> str:
        return os.environ.get(URL_ENV, "")

    elements_url = Unicode(
        help=(
            "Where the data layer keeps element bytes: file:///path (or a path) for a local "
            "directory, s3://bucket[/prefix][?endpoint=...&region=...] for an S3-compatible "
            "bucket (credentials from $APP_AWS_ACCESS_KEY/$APP_AWS_SECRET_KEY or the AWS chain, "
            "never in the URL). Kernels read $CHATWIDGET_ELEMENTS_URL: give both the same value. "
            "Default: $CHATWIDGET_ELEMENTS_URL if set, else empty: the data layer's own choice "
            "(an S3 bucket when $BUCKET_NAME is set, else a directory beside the database)."
        ),
    ).tag(config=True)

    @default("elements_url")
    def _default_elements_url(self) -> str:
        return os.environ.get(ELEMENTS_URL_ENV, "")

    store_url = Unicode(
        help=(
            "URL of chatwidget's thread store service (python -m chatwidget_server.store, a "
            "JupyterHub service). When set, threads are read and written through it with this "
            "server's hub token ($JUPYTERHUB_API_TOKEN), as the hub user; db_url, elements_url "
            "and data_layer_class are not used. Default: $CHATWIDGET_STORE_URL, else empty."
        ),
    ).tag(config=True)

    @default("store_url")
    def _default_store_url(self) -> str:
        return os.environ.get(STORE_URL_ENV, "")

    data_layer_class = Type(
        default_value=SQLDataLayer,
        klass=BaseDataLayer,
        help=(
            "The data layer class, called with the database URL (db_url, or None when empty) "
            "once, when the extension starts, and with storage= when elements_url is set. "
            "Default: chatwidget.data.sql.SQLDataLayer."
        ),
    ).tag(config=True)

    data_layer = Instance(
        "chatwidget.data.BaseDataLayer",
        allow_none=True,
        help="The data layer in use; built from data_layer_class at start unless set. Default: None.",
    )

    share_enabled = Bool(
        True,
        help=(
            "Whether threads can be shared (PUT threads/{id}/share) and shared threads read "
            "without login (share/{id}, share/{id}/page). Default: True."
        ),
    ).tag(config=True)

    share_tool_inputs = Bool(
        False,
        help=(
            "Show the inputs of tool, LLM and other non-message steps (a tool's arguments, a "
            "prompt) on shared pages. Their outputs are always shown; feedback comments never "
            "are. Default: False."
        ),
    ).tag(config=True)

    on_shared_thread_view = Union(
        [CallableTrait(), Unicode()],
        allow_none=True,
        default_value=None,
        help=(
            "A callable (thread, viewer) -> bool, or the import string of one (may be async), "
            "that lets a viewer read a thread that is not shared. viewer is a "
            "chatwidget.data.User, or None for an anonymous viewer. A shared thread is always "
            "readable. Default: None (only shared threads are readable)."
        ),
    ).tag(config=True)

    tcp_nodelay = Bool(
        True,
        help=(
            "Set TCP_NODELAY on kernel websockets, through the server's "
            "kernel_websocket_connection_class: cuts the browser-kernel round trip (Nagle's "
            "algorithm delays small frames; measured median 48 ms without, 15 ms with, see "
            "benchmarks/latency.py). Default: True."
        ),
    ).tag(config=True)

    public_base_url = Unicode(
        "",
        help=(
            "The URL under which this server is reached from outside (e.g. "
            "https://hub.example.org/user/ana/), used in share links. Default: empty, links "
            "are relative to the server's base_url."
        ),
    ).tag(config=True)

    _shared_view_check: SharedViewCheck | None = None
    #: Whether notebooks saved through this server get the chat copy's HTML (see saved_copy).
    copy_html_at_save = False

    # -- start and stop -----------------------------------------------------------------

    def initialize_settings(self) -> None:
        if self.data_layer is None and self.store_url:
            self.data_layer = RemoteDataLayer(self.store_url)
        if self.data_layer is None:
            factory: Callable[..., BaseDataLayer] = self.data_layer_class
            self.data_layer = factory(self.db_url or None, **self._storage_options(factory))
        check = self.on_shared_thread_view
        if isinstance(check, str):
            check = import_item(check) if check else None
        if check is not None and not callable(check):
            raise TypeError(f"ChatWidgetServer.on_shared_thread_view is not callable: {check!r}")
        self._shared_view_check = check
        self.copy_html_at_save = saved_copy.install_save_hook(self.serverapp.contents_manager)
        if self.tcp_nodelay:
            base = self.settings.get("kernel_websocket_connection_class")
            if base is not None:
                self.settings["kernel_websocket_connection_class"] = nodelay_connection_class(base)
                self.log.info("chatwidget: TCP_NODELAY on kernel websockets")
            else:
                self.log.warning("chatwidget: tcp_nodelay is on, but no kernel websocket class is set")

    def _storage_options(self, factory: Callable[..., BaseDataLayer]) -> dict[str, Any]:
        """``storage=`` for the data layer class when elements_url names one; a bad URL fails
        the start with the setting's name, not the first download."""
        if not self.elements_url:
            return {}
        from_env = self.elements_url == os.environ.get(ELEMENTS_URL_ENV)
        setting = f"${ELEMENTS_URL_ENV}" if from_env else "ChatWidgetServer.elements_url"
        storage = storage_from_url(self.elements_url, setting=setting)
        parameters = inspect.signature(factory).parameters.values()
        if not any(p.name == "storage" or p.kind is p.VAR_KEYWORD for p in parameters):
            raise TypeError(
                f"ChatWidgetServer.elements_url is set, but {factory.__name__} takes no storage= argument"
            )
        return {"storage": storage}

    def initialize_handlers(self) -> None:
        for module in (threads, elements, share, static, saved_copy):
            for route in module.ROUTES:
                pattern, *rest = route
                self.handlers.append((url_path_join("/chatwidget", pattern), *rest))

    async def stop_extension(self) -> None:
        if self.data_layer is not None:
            await self.data_layer.close()
        # chatwidget_server.auth.ChatIdentityProvider's HTTP client (the server has no stop hook for it).
        close_identity = getattr(getattr(self.serverapp, "identity_provider", None), "aclose", None)
        if close_identity is not None:
            await close_identity()

    # -- what handlers read -------------------------------------------------------------

    def chat_path(self, *parts: str) -> str:
        """``{base_url}chatwidget/<parts>``, a path on this server."""
        assert self.serverapp is not None
        return str(url_path_join(self.serverapp.base_url, "chatwidget", *parts))

    def chat_url(self, *parts: str) -> str:
        """Like :meth:`chat_path`, but under ``public_base_url`` when it is set."""
        if not self.public_base_url:
            return self.chat_path(*parts)
        return str(url_path_join(self.public_base_url, "chatwidget", *parts))

    async def may_view_shared(self, thread: ThreadDict, viewer: User | None) -> bool:
        """Whether ``viewer`` may read ``thread`` through the share endpoints.

        A callback that raises denies (fail closed); its traceback goes to the log.
        """
        metadata = thread.get("metadata") or {}
        if metadata.get("is_shared"):
            return True
        if self._shared_view_check is None:
            return False
        try:
            result = self._shared_view_check(thread, viewer)
            if inspect.isawaitable(result):
                result = await result
        except Exception:
            self.log.exception("chatwidget: on_shared_thread_view raised; access denied")
            return False
        return result is True
