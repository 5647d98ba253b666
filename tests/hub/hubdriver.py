"""A real JupyterHub for tests: proxy, hub, the thread store service, user servers, kernels.

:class:`Hub` writes a ``jupyterhub_config.py`` (free loopback ports, DummyAuthenticator with
two users, SimpleLocalProcessSpawner, the store as a managed service on PostgreSQL), starts
``jupyterhub`` with ``configurable-http-proxy`` from ``tests/hub/node_modules``, and drives it
through the hub's REST API with a test admin service's token. :class:`Kernel` runs code in a
user's kernel over the user's server websocket, as a notebook would.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

HERE = Path(__file__).resolve().parent
CHP = HERE / "node_modules" / ".bin" / "configurable-http-proxy"
STORE = "chatwidget-store"
USERS = ("alice", "bob")
PASSWORD = "correct horse battery"  # DummyAuthenticator's shared password
START_TIMEOUT = 90.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


CONFIG = """
import sys
c = get_config()  # noqa: F821
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {public_port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.command = [{chp!r}]
c.JupyterHub.db_url = "sqlite:///{root}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{root}/cookie_secret"
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {password!r}
c.Authenticator.allowed_users = {users!r}
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "{root}/home/{{username}}"
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]
c.Spawner.args = ["--ServerApp.log_level=INFO", "--allow-root", "--LabApp.expose_app_in_browser=True"]
c.Spawner.start_timeout = 60
c.Spawner.http_timeout = 60
"""
STORE_CONFIG = HERE / "hub_store_config.py"


class Hub:
    def __init__(self, root: Path, store_db_url: str) -> None:
        self.root = root
        self.store_db_url = store_db_url
        self.public_port = free_port()
        self.hub_port = free_port()
        self.proxy_api_port = free_port()
        self.store_port = free_port()
        self.admin_token = secrets.token_hex(24)
        self.url = f"http://127.0.0.1:{self.public_port}"
        self.store_url = f"{self.url}/services/{STORE}/"
        self.log_path = root / "jupyterhub.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.admin = httpx.Client(
            base_url=f"{self.url}/hub/api/",
            headers={"Authorization": f"token {self.admin_token}"},
            timeout=30,
        )

    def config_text(self) -> str:
        text = CONFIG.format(
            public_port=self.public_port,
            hub_port=self.hub_port,
            proxy_api_port=self.proxy_api_port,
            chp=str(CHP),
            root=self.root,
            password=PASSWORD,
            users=set(USERS),
        )
        settings = {
            "STORE_PORT": self.store_port,
            "STORE_DB_URL": self.store_db_url,
            "STORE_ELEMENTS": str(self.root / "store-elements"),
            "ADMIN_TOKEN": self.admin_token,
        }
        header = "".join(f"{k} = {v!r}\n" for k, v in settings.items())
        return header + text + STORE_CONFIG.read_text()

    def start(self) -> None:
        if not CHP.exists():
            raise RuntimeError(f"{CHP} is missing: run scripts/setup.sh (npm --prefix tests/hub install)")
        (self.root / "home").mkdir(parents=True, exist_ok=True)
        for user in USERS:
            # No "official Jupyter news?" toast over the browser tests' screenshots.
            settings = self.root / "home" / user / ".jupyter/lab/user-settings/@jupyterlab/apputils-extension"
            settings.mkdir(parents=True, exist_ok=True)
            (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
        config = self.root / "jupyterhub_config.py"
        config.write_text(self.config_text())
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CHATWIDGET_", "JUPYTERHUB_"))}
        env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "jupyterhub", "-f", str(config)],
                cwd=self.root,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyterhub exited ({self.process.returncode}):\n{self.log()}")
            try:
                if self.admin.get("").status_code == 200 and self.store_ready():
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"jupyterhub did not start in {START_TIMEOUT} s:\n{self.log()}")

    def store_ready(self) -> bool:
        return httpx.get(self.store_url + "api/v1/whoami", timeout=5).status_code == 401

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.admin.close()

    # -- through the hub's API ------------------------------------------------------------

    def user_token(self, user: str) -> str:
        reply = self.admin.post(f"users/{user}/tokens", json={"note": "tests", "expires_in": 3600})
        reply.raise_for_status()
        return str(reply.json()["token"])

    def start_server(self, user: str) -> None:
        reply = self.admin.post(f"users/{user}/server")
        if reply.status_code not in (201, 202, 400):  # 400: already running
            raise RuntimeError(f"spawning {user}: {reply.status_code} {reply.text}\n{self.log()}")
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            model = self.admin.get(f"users/{user}").json()
            server = (model.get("servers") or {}).get("", {})
            if server.get("ready"):
                return
            time.sleep(0.3)
        raise RuntimeError(f"{user}'s server did not start:\n{self.log()}")

    def server_env(self, user: str) -> dict[str, str]:
        """The environment of the user's running server process (what its kernels inherit)."""
        pid = self.admin.get(f"users/{user}").json()["servers"][""]["state"]["pid"]
        raw = Path(f"/proc/{pid}/environ").read_bytes()
        return dict(item.split("=", 1) for item in raw.decode(errors="replace").split("\0") if "=" in item)


class Kernel:
    """A kernel of ``user``'s server, started through the hub's proxy with the user's token."""

    def __init__(self, hub: Hub, user: str, token: str) -> None:
        self.hub, self.user, self.token = hub, user, token
        self.base = f"{hub.url}/user/{user}/"
        self.http = httpx.Client(headers={"Authorization": f"token {token}"}, timeout=60)
        reply = self.http.post(self.base + "api/kernels", json={"name": "python3"})
        reply.raise_for_status()
        self.id = reply.json()["id"]
        self.session = uuid.uuid4().hex

    def run(self, code: str, timeout: float = 60.0) -> str:
        """Run ``code`` (top-level ``await`` allowed); its printed output, or the kernel's error."""
        # A loop of its own: asyncio.run() would unset the thread's current loop for later tests.
        loop = asyncio.new_event_loop()
        try:
            return loop.run_until_complete(self._run(code, timeout))
        finally:
            loop.close()

    async def _run(self, code: str, timeout: float) -> str:
        ws_url = self.base.replace("http://", "ws://") + f"api/kernels/{self.id}/channels"
        request = HTTPRequest(ws_url, headers={"Authorization": f"token {self.token}"})
        conn = await asyncio.wait_for(websocket_connect(request), timeout)
        msg_id = uuid.uuid4().hex
        conn.write_message(
            json.dumps(
                {
                    "header": {
                        "msg_id": msg_id,
                        "msg_type": "execute_request",
                        "session": self.session,
                        "username": self.user,
                        "version": "5.3",
                    },
                    "parent_header": {},
                    "metadata": {},
                    "content": {
                        "code": code,
                        "silent": False,
                        "store_history": False,
                        "user_expressions": {},
                        "allow_stdin": False,
                        "stop_on_error": True,
                    },
                    "channel": "shell",
                    "buffers": [],
                }
            )
        )
        out: list[str] = []
        error: str | None = None
        try:
            deadline = time.monotonic() + timeout
            while True:
                raw = await asyncio.wait_for(conn.read_message(), max(0.1, deadline - time.monotonic()))
                if raw is None:
                    raise RuntimeError("the kernel websocket closed")
                msg = json.loads(raw)
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind = msg["header"]["msg_type"]
                if kind == "stream":
                    out.append(msg["content"]["text"])
                elif kind == "error":
                    error = "\n".join(msg["content"]["traceback"])
                elif kind == "status" and msg["content"]["execution_state"] == "idle":
                    break
        finally:
            conn.close()
        if error is not None:
            raise RuntimeError(f"{self.user}'s kernel raised:\n{error}\noutput:\n{''.join(out)}")
        return "".join(out)

    def close(self) -> None:
        self.http.delete(self.base + f"api/kernels/{self.id}")
        self.http.close()
