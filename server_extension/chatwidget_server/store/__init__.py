"""chatwidget's thread store: a JupyterHub service that alone holds the database credentials.

Kernels and single-user servers reach it through :class:`chatwidget.data.remote.RemoteDataLayer`
(chosen by ``$CHATWIDGET_STORE_URL``) with their hub token; it answers each caller about
their own threads only. Start it with ``python -m chatwidget_server.store``.
"""

from .app import ThreadStore

__all__ = ["ThreadStore"]
