# The thread store part of the hub configuration, as the README shows it. Prepended by the
# test: STORE_PORT, STORE_DB_URL, STORE_ELEMENTS, ADMIN_TOKEN.
# ruff: noqa: F821 - `c` and the settings above are defined by the file this is appended to

store_url = f"http://127.0.0.1:{c.JupyterHub.port}/services/chatwidget-store/"
c.JupyterHub.services = [
    {
        "name": "chatwidget-store",
        "url": f"http://127.0.0.1:{STORE_PORT}",
        "command": [sys.executable, "-m", "chatwidget_server.store"],
        # Only the store's process gets the database URL; the user servers never see it.
        "environment": {
            "CHATWIDGET_STORE_DATABASE_URL": STORE_DB_URL,
            "PATH": f"{sys.prefix}/bin",
            "CHATWIDGET_STORE_ELEMENTS": STORE_ELEMENTS,
        },
    },
    {"name": "test-admin", "api_token": ADMIN_TOKEN},
]
c.JupyterHub.load_roles = [
    # Every user may call the store (it answers each about their own threads only) ...
    {"name": "user", "scopes": ["self", "access:services!service=chatwidget-store"]},
    {"name": "test-admin", "scopes": ["admin:users", "admin:servers", "tokens"], "services": ["test-admin"]},
]
# ... and so may each user's server and its kernels, with the server's own token.
c.Spawner.server_token_scopes = [
    "users:activity!user",
    "access:servers!server",
    "access:services!service=chatwidget-store",
]
c.Spawner.environment = {"CHATWIDGET_STORE_URL": store_url}
