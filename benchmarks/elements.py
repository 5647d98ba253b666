"""Element storage benchmark: a 50 MB element up and down, local disk vs S3 (moto on loopback),
through the storage interface and through a real Jupyter server's download route.

    .venv/bin/python benchmarks/elements.py            # --mb 50 --runs 3

Through the storage interface, in this process:

* upload and download MB/s (``put``; ``get`` and, for S3, ``stream`` consumed chunk by
  chunk), min/median/max of ``--runs`` runs;
* the resident memory this process gains during a download (VmRSS sampled every 5 ms, peak
  minus the value before): ``get`` holds the whole object, ``stream`` only its chunks. RSS
  is coarse: memory freed by an earlier run stays mapped and can be reused unseen, so the
  first run's figure is the telling one.

Through the serving path: a ``jupyter server`` subprocess (``chatwidget_server`` enabled, a
token, a free loopback port, a temporary root and Jupyter home, ``CHATWIDGET_OWNER`` set)
whose data layer is a temporary SQLite file with element storage in a temporary directory
(``file://``) or in the moto bucket (``s3://``). This process writes a thread owned by that
owner with one element of ``--mb`` MB (and a 1 KB one) through ``SQLDataLayer`` on the same
database and storage URL, downloads the small element once (the route's code and the
storage client are loaded then, not during the measure), then the large one ``--runs``
times with ``httpx`` streaming from ``GET chatwidget/api/threads/{id}/elements/{id}/file``:

* download MB/s, from sending the request to the last byte received;
* the resident memory the *server* process gains during the download (its VmRSS from
  ``/proc/<pid>/status`` every 5 ms, peak minus the value just before), next to the element
  size: a server that held the file would gain about the element's size;
* every download is checked: its length and SHA-256 against the element's.

The S3 server is moto's (``moto[server]``), started on a free loopback port: its own
process, on the same two cores, so S3 figures include the server's work too.
Prints a table and one JSON line (also benchmarks/results/elements.json); the Jupyter
servers' logs go to benchmarks/results/elements-server-{disk,s3}.log.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, write_result

from chatwidget.data import User
from chatwidget.data.s3 import ACCESS_KEY_ENV, SECRET_KEY_ENV, S3ElementStorage
from chatwidget.data.sql import SQLDataLayer
from chatwidget.data.storage import ElementStorage, LocalElementStorage, new_object_key
from chatwidget.data.storage_url import storage_from_url
from chatwidget.identity import OWNER_ENV


def rss(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


async def peak_rss_during(
    work: Callable[[], Awaitable[Any]], pid: int | str = "self"
) -> tuple[Any, int, int]:
    """``work()``'s result, the most resident memory process ``pid`` added meanwhile, and its
    resident memory just before, in bytes."""
    before, peak, done = rss(pid), [0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss(pid))
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        result = await work()
    finally:
        done.set()
        sampler.join()
    return result, max(0, max(peak[0], rss(pid)) - before), before


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_moto(log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(endpoint + "/moto-api/", timeout=2)
            return proc, endpoint
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("moto_server did not start")


#: moto accepts any credentials; these only fill the signature.
MOTO_KEY, MOTO_SECRET = "bench-key", "bench-secret"
#: The owner the Jupyter server answers its token holder as (``$CHATWIDGET_OWNER``).
SERVER_OWNER = "bench-owner"


def spread(values: list[float]) -> str:
    return f"{min(values):.1f} / {statistics.median(values):.1f} / {max(values):.1f}"


async def measure(storage: ElementStorage, content: bytes, runs: int) -> dict[str, list[float]]:
    mb = len(content) / 1e6
    figures: dict[str, list[float]] = {"up": [], "down": [], "get_rss": [], "stream": [], "stream_rss": []}
    for _ in range(runs):
        key = new_object_key()
        t0 = time.perf_counter()
        await storage.put(key, content)
        figures["up"].append(mb / (time.perf_counter() - t0))
        if isinstance(storage, S3ElementStorage):

            async def consume(key: str = key) -> int:
                chunks = await storage.stream(key)
                assert chunks is not None
                return sum([len(c) async for c in chunks])

            t0 = time.perf_counter()
            size, grown, _ = await peak_rss_during(consume)
            figures["stream"].append(mb / (time.perf_counter() - t0))
            figures["stream_rss"].append(grown / 1e6)
            assert size == len(content)
        # After the stream: memory a get frees is kept by the allocator and would hide the stream's.
        t0 = time.perf_counter()
        data, grown, _ = await peak_rss_during(lambda key=key: storage.get(key))
        figures["down"].append(mb / (time.perf_counter() - t0))
        figures["get_rss"].append(grown / 1e6)
        assert data == content
        del data
        await storage.delete(key)
    return figures


# ---------------------------------------------------------------------- the serving path
@dataclass
class Server:
    """A ``jupyter server`` subprocess with chatwidget_server, answering ``token`` holders as
    :data:`SERVER_OWNER`."""

    proc: subprocess.Popen[bytes]
    base: str
    token: str
    log: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def start_server(
    home: Path, log: Path, db_url: str, elements_url: str, extra_env: dict[str, str], timeout: float = 120
) -> Server:
    """A Jupyter server on a free loopback port, its Jupyter home and root under ``home``;
    nothing of the caller's Jupyter or chatwidget configuration reaches it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "CHATWIDGET_", "BUCKET_NAME"))}
    for var, sub in [
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_DATA_DIR", "data"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("IPYTHONDIR", "ipython"),
        ("JUPYTERLAB_SETTINGS_DIR", "lab-settings"),
        ("JUPYTERLAB_WORKSPACES_DIR", "lab-workspaces"),
    ]:
        (home / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(home / sub)
    env.update(JUPYTER_PLATFORM_DIRS="1", PYTHONUNBUFFERED="1", **{OWNER_ENV: SERVER_OWNER}, **extra_env)
    root = home / "root"
    root.mkdir(parents=True, exist_ok=True)
    port, token = free_port(), secrets.token_hex(16)
    argv = [
        sys.executable, "-m", "jupyter_server", "--no-browser",
        "--allow-root", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--ServerApp.jpserver_extensions={'chatwidget_server': True}",
        f"--ChatWidgetServer.db_url={db_url}", f"--ChatWidgetServer.elements_url={elements_url}",
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
        )
    server = Server(proc, f"http://127.0.0.1:{port}/", token, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter server exited with {proc.returncode}; see {log}")
        try:
            if httpx.get(server.base + "api/status", headers=auth(server), timeout=5).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    server.stop()
    raise TimeoutError(f"jupyter server not ready after {timeout}s; see {log}")


def auth(server: Server) -> dict[str, str]:
    return {"Authorization": f"token {server.token}"}


async def seed(db_url: str, elements_url: str, content: bytes, small: bytes) -> tuple[str, str, str]:
    """A thread of :data:`SERVER_OWNER` with an element of ``content`` and one of ``small``,
    written as a kernel would (same database, same storage URL): (thread, element, small element)."""
    layer = SQLDataLayer(db_url, storage=storage_from_url(elements_url))
    try:
        user = await layer.create_user(User(identifier=SERVER_OWNER))
        thread_id = str(uuid.uuid4())
        await layer.update_thread(thread_id, name="elements benchmark", user_id=user.id, create=True)
        ids = []
        for name, data in [("large.bin", content), ("small.bin", small)]:
            element_id = str(uuid.uuid4())
            element: Any = {"id": element_id, "threadId": thread_id, "type": "file", "name": name,
                            "mime": "application/octet-stream"}  # fmt: skip
            await layer.create_element(element, data)
            ids.append(element_id)
    finally:
        await layer.close()
    return thread_id, ids[0], ids[1]


async def fetch(client: httpx.AsyncClient, url: str) -> list[bytes]:
    """The response body of ``GET url``, as the chunks it arrived in (streamed)."""
    async with client.stream("GET", url) as response:
        response.raise_for_status()
        return [chunk async for chunk in response.aiter_raw()]


def check_body(chunks: list[bytes], content: bytes) -> None:
    size = sum(len(c) for c in chunks)
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    if size != len(content) or digest.hexdigest() != hashlib.sha256(content).hexdigest():
        raise AssertionError(f"downloaded {size} bytes, sha256 {digest.hexdigest()[:16]}…: not the element")


async def measure_server(
    tmp: Path, name: str, elements_url: str, content: bytes, runs: int, extra_env: dict[str, str]
) -> dict[str, Any]:
    """Download MB/s and the server's RSS gain for ``content`` stored at ``elements_url``."""
    db_url = f"sqlite:///{tmp / f'server-{name}.db'}"
    small = os.urandom(1000)
    thread_id, element_id, small_id = await seed(db_url, elements_url, content, small)
    server = start_server(tmp / f"jupyter-{name}", RESULTS / f"elements-server-{name}.log", db_url,
                          elements_url, extra_env)  # fmt: skip
    files = f"{server.base}chatwidget/api/threads/{thread_id}/elements"
    mb = len(content) / 1e6
    figures: dict[str, Any] = {"down": [], "rss": [], "rss_before": [], "verified": 0}
    try:
        async with httpx.AsyncClient(headers=auth(server), timeout=120) as client:
            check_body(await fetch(client, f"{files}/{small_id}/file"), small)
            for _ in range(runs):
                t0 = time.perf_counter()
                chunks, grown, before = await peak_rss_during(
                    lambda: fetch(client, f"{files}/{element_id}/file"), server.proc.pid
                )
                figures["down"].append(mb / (time.perf_counter() - t0))
                figures["rss"].append(grown / 1e6)
                figures["rss_before"].append(before / 1e6)
                check_body(chunks, content)
                figures["verified"] += 1
                del chunks
    finally:
        server.stop()
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    content = os.urandom(args.mb * 1_000_000)
    load = os.getloadavg()
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        local = await measure(LocalElementStorage(tmp / "elements"), content, args.runs)
        served_disk = await measure_server(
            tmp, "disk", (tmp / "server-elements").as_uri(), content, args.runs, {}
        )
        proc, endpoint = start_moto(tmp / "moto.log")
        try:
            boto3.client(
                "s3", endpoint_url=endpoint, aws_access_key_id=MOTO_KEY, aws_secret_access_key=MOTO_SECRET,
                region_name="us-east-1",
            ).create_bucket(Bucket="bench")  # fmt: skip
            s3 = S3ElementStorage(
                "bench", access_key=MOTO_KEY, secret_key=MOTO_SECRET, endpoint=endpoint, timeout=120
            )
            remote = await measure(s3, content, args.runs)
            # The server and this process's seeding read the same credentials from the environment.
            keys = {ACCESS_KEY_ENV: MOTO_KEY, SECRET_KEY_ENV: MOTO_SECRET}
            os.environ.update(keys)
            s3_url = f"s3://bench/served?endpoint={endpoint}&region=us-east-1"
            served_s3 = await measure_server(tmp, "s3", s3_url, content, args.runs, keys)
        finally:
            proc.terminate()
            proc.wait(10)
    size = f"(element {args.mb} MB)"
    rows = [
        ("local upload MB/s", spread(local["up"])),
        ("local download (get) MB/s", spread(local["down"])),
        ("local get: RSS gained MB", spread(local["get_rss"])),
        ("S3 upload MB/s (multipart)", spread(remote["up"])),
        ("S3 download (get) MB/s", spread(remote["down"])),
        ("S3 get: RSS gained MB", spread(remote["get_rss"])),
        ("S3 download (stream) MB/s", spread(remote["stream"])),
        ("S3 stream: RSS gained MB", spread(remote["stream_rss"])),
        ("server download, disk MB/s", spread(served_disk["down"])),
        ("server download, disk: server RSS gained MB", f"{spread(served_disk['rss'])} {size}"),
        ("server download, S3 MB/s", spread(served_s3["down"])),
        ("server download, S3: server RSS gained MB", f"{spread(served_s3['rss'])} {size}"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{args.mb} MB element, {args.runs} runs (min / median / max); load average before: {load}")
    for name, value in rows:
        print(f"  {name.ljust(width)}  {value}")
    print(
        f"  server RSS before each download MB: disk {spread(served_disk['rss_before'])}, "
        f"S3 {spread(served_s3['rss_before'])}; downloads verified (length, sha256): "
        f"{served_disk['verified'] + served_s3['verified']} of {2 * args.runs}"
    )
    after = os.getloadavg()
    print(f"load average after: {after}")
    print(write_result("elements", {"mb": args.mb, "runs": args.runs, "local": local, "s3": remote,
                                    "server": {"disk": served_disk, "s3": served_s3},
                                    "load_before": load, "load_after": after}))  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
