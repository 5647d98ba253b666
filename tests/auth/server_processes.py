"""Real ``jupyter server`` processes with chatwidget's identity provider, for the shared-session tests.

`ServerProcess` runs one server in its own process group, with its own config and runtime
directories, on a free loopback port; several of them on one database and one cookie
secret are the servers of one deployment behind one URL. `OPThread` runs the test OpenID
provider (:mod:`oidc_op`) on an event loop of its own, so servers in other processes can
call it while a test waits on them. `Visitor` is a user agent with one cookie jar, sent to
whichever server a test names (cookies do not depend on the port: one jar serves them all,
as one host name behind a load balancer would).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from oidc_op import CLIENT_ID, CLIENT_SECRET, OP, start_op

HERE = Path(__file__).resolve().parent
COOKIE_NAME = "chatwidget-session"
#: Variables of the test process that must not reach the servers.
_FORGET = (
    "CHATWIDGET_IDENTITY_SECRET",
    "CHATWIDGET_IDENTITY_REQUIRED",
    "CHATWIDGET_PUBLIC_URL",
    "CHATWIDGET_DATABASE_URL",
    "CHATWIDGET_STORE_URL",
    "JUPYTERHUB_USER",
    "JUPYTER_TOKEN",
    "OAUTH_PROMPT",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class OPThread:
    """The test OpenID provider, served from a thread with its own event loop."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        started = threading.Event()
        box: dict[str, Any] = {}

        def run() -> None:
            asyncio.set_event_loop(self.loop)

            async def begin() -> None:
                box["op"], box["server"] = start_op()

            self.loop.run_until_complete(begin())
            started.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, name="oidc-op", daemon=True)
        self.thread.start()
        started.wait(30)
        self.op: OP = box["op"]
        self._server = box["server"]

    def stop(self) -> None:
        async def end() -> None:
            self._server.stop()

        asyncio.run_coroutine_threadsafe(end(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@dataclass
class ServerProcess:
    """One ``jupyter server``; ``config`` is its ``jupyter_server_config.json``."""

    home: Path
    config: dict[str, Any]
    env_extra: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def log_path(self) -> Path:
        return self.home / "server.log"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _FORGET and not k.startswith("OAUTH_")}
        for var, sub in [
            ("JUPYTER_CONFIG_DIR", "config"),
            ("JUPYTER_RUNTIME_DIR", "runtime"),
            ("JUPYTER_DATA_DIR", "data"),
            ("IPYTHONDIR", "ipython"),
        ]:
            (self.home / sub).mkdir(parents=True, exist_ok=True)
            env[var] = str(self.home / sub)
        env["JUPYTER_PLATFORM_DIRS"] = "1"
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        env["PYTHONPATH"] = os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        env["PYTHONUNBUFFERED"] = "1"
        env.update(self.env_extra)
        return env

    def start(self) -> ServerProcess:
        """Start the process (returns at once; :meth:`wait_ready` waits for it)."""
        root = self.home / "root"
        root.mkdir(parents=True, exist_ok=True)
        env = self.env()
        config = json.loads(json.dumps(self.config))
        config.setdefault("ServerApp", {}).update(
            ip="127.0.0.1", port=self.port, port_retries=0, open_browser=False, token=self.token,
            root_dir=str(root),
        )  # fmt: skip
        Path(env["JUPYTER_CONFIG_DIR"], "jupyter_server_config.json").write_text(json.dumps(config, indent=1))
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "jupyter", "server", "--allow-root"],
                cwd=root,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def wait_ready(self, timeout: float = 120) -> ServerProcess:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                code = self.proc.returncode
                raise RuntimeError(f"jupyter server exited with {code}:\n{self.log()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "login", timeout=5).status_code == 200:
                    return self
            time.sleep(0.25)
        self.stop()
        raise TimeoutError(f"jupyter server not ready after {timeout}s:\n{self.log()[-3000:]}")

    def stop(self, timeout: float = 20) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)

    def restart(self, **sections: dict[str, Any]) -> ServerProcess:
        """Stop, merge ``sections`` into the config, start on the same port."""
        self.stop()
        for name, options in sections.items():
            self.config.setdefault(name, {}).update(options)
        return self.start().wait_ready()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def start_all(*servers: ServerProcess) -> None:
    """Start servers side by side (their start-up overlaps), then wait for each."""
    for server in servers:
        server.start()
    for server in servers:
        server.wait_ready()


def deployment_config(*, db_url: str, public_url: str, secret_file: Path, **identity: Any) -> dict[str, Any]:
    """The config of one server of a deployment: shared database, cookie secret and public URL."""
    return {
        "ServerApp": {
            "jpserver_extensions": {"chatwidget_server": True},
            "identity_provider_class": "chatwidget_server.auth.ChatIdentityProvider",
            "cookie_secret_file": str(secret_file),
        },
        "ChatIdentityProvider": {
            "public_url": public_url,
            "cookie_name": COOKIE_NAME,
            "password_auth_callback": "session_accounts.check_password",
            "developers": ["password:bob", "generic:alice-1"],
            **identity,
        },
        "ChatWidgetServer": {"db_url": db_url},
    }


def oauth_env(op: OP) -> dict[str, str]:
    return {
        "CHATWIDGET_OWNER": "local-operator",
        "OAUTH_GENERIC_CLIENT_ID": CLIENT_ID,
        "OAUTH_GENERIC_CLIENT_SECRET": CLIENT_SECRET,
        "OAUTH_GENERIC_ISSUER": op.issuer,
        "OAUTH_GENERIC_SCOPES": "openid profile email",
    }


class Visitor:
    """A browser: one cookie jar, redirects followed by hand."""

    def __init__(self) -> None:
        self.client = httpx.Client(timeout=30, follow_redirects=False)

    def close(self) -> None:
        self.client.close()

    def session_cookie(self) -> str | None:
        """The session cookie's value (unquoted: tornado quotes a value with ``=`` in it)."""
        value = next((c.value for c in self.client.cookies.jar if c.name == COOKIE_NAME), None)
        return None if value is None else value.strip('"')

    def set_session_cookie(self, value: str) -> None:
        self.client.cookies.set(COOKIE_NAME, value, domain="127.0.0.1", path="/")

    def forget_session_cookie(self) -> None:
        self.client.cookies.delete(COOKIE_NAME)

    def _xsrf(self, server: ServerProcess, page: str) -> str:
        """The form's ``_xsrf`` token (a signed-in browser is sent on from the login page: its cookie)."""
        text = self.client.get(server.url + page).text
        match = re.search(r'name="_xsrf" value="([^"]+)"', text)
        if match:
            return match.group(1)
        cookie = next((c.value for c in self.client.cookies.jar if c.name == "_xsrf"), None)
        assert cookie, text
        return cookie

    def password_login(self, server: ServerProcess, username: str = "bob") -> httpx.Response:
        token = self._xsrf(server, "login")
        return self.client.post(
            server.url + "login/password",
            data={"_xsrf": token, "username": username, "password": f"pw-{username}", "next": ""},
        )

    def logout(self, server: ServerProcess) -> httpx.Response:
        token = self._xsrf(server, "logout")
        return self.client.post(server.url + "logout", data={"_xsrf": token})

    def owner(self, server: ServerProcess, cookie: str | None = None) -> str | int:
        """Who ``server`` says this browser is signed in as, or the HTTP status it refused with."""
        headers = {"Cookie": f"{COOKIE_NAME}={cookie}"} if cookie is not None else None
        client = httpx.Client(timeout=30) if cookie is not None else self.client
        try:
            reply = client.get(server.url + "chatwidget/api/identity", headers=headers)
        finally:
            if cookie is not None:
                client.close()
        return str(reply.json()["owner"]) if reply.status_code == 200 else reply.status_code
