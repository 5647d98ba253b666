"""What a login session stored in the database costs a request, against a session in memory.

    .venv/bin/python benchmarks/sessions.py                 # SQLite and PostgreSQL, baseline: main
    .venv/bin/python benchmarks/sessions.py --backends sqlite --requests 500
    .venv/bin/python benchmarks/sessions.py --baseline ""   # no in-memory baseline

One ``jupyter server`` process per configuration (free loopback port, throw-away config),
with chatwidget's identity provider and a password login; a client signs in once, then:

* sequential: ``--requests`` GETs of ``api/status`` one after the other with the session
  cookie (each one reads the session), and the same with the server's token in the
  ``Authorization`` header (no session read) as the peer of the same server;
* burst: 50 concurrent GETs with the cookie, as a JupyterLab page load fires them (requests
  that overlap share one session read);
* login: a password login (a session row written, the browser's old one ended).

Configurations: the session store on SQLite (also with ``session_cache_seconds=5``) and on
PostgreSQL, and the baseline: the same
server from a ``git archive`` of ``--baseline`` (default ``main``, where sessions are held
in the server's memory), when that commit still has them. Every figure is measured
``--runs`` times (3): min / median / max; the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
sys.path.insert(0, str(REPO / "tests" / "auth"))

from server_processes import (  # noqa: E402
    COOKIE_NAME,
    ServerProcess,
    Visitor,
    create_pg_database,
    deployment_config,
    drop_pg_database,
)

BURST = 50


def spread(values: list[float]) -> tuple[float, float, float]:
    return min(values), statistics.median(values), max(values)


def baseline_tree(commit: str, dest: Path) -> Path | None:
    """``commit``'s files in ``dest`` (``None`` if git cannot export it)."""
    try:
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", commit], check=True, capture_output=True
        ).stdout
    except subprocess.CalledProcessError:
        return None
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def sequential(client: httpx.Client, url: str, n: int, headers: dict[str, str] | None = None) -> float:
    """Milliseconds per request, median of ``n`` requests one after the other."""
    times = []
    for _ in range(n):
        start = time.perf_counter()
        reply = client.get(url, headers=headers)
        times.append((time.perf_counter() - start) * 1000)
        assert reply.status_code == 200, reply.status_code
    return statistics.median(times)


def burst(url: str, cookie: str) -> float:
    """Milliseconds until ``BURST`` concurrent requests have all been answered."""

    async def run() -> float:
        async with httpx.AsyncClient(timeout=60, headers={"Cookie": f"{COOKIE_NAME}={cookie}"}) as client:
            await client.get(url)  # connections warm
            start = time.perf_counter()
            replies = await asyncio.gather(*[client.get(url) for _ in range(BURST)])
            elapsed = (time.perf_counter() - start) * 1000
        assert all(r.status_code == 200 for r in replies)
        return elapsed

    return asyncio.run(run())


def measure(server: ServerProcess, runs: int, requests: int) -> dict[str, tuple[float, float, float]]:
    visitor = Visitor()
    figures: dict[str, list[float]] = {"cookie": [], "token": [], "burst": [], "login": []}
    try:
        assert visitor.password_login(server).status_code == 302  # the first use migrates the database
        for _ in range(runs):
            start = time.perf_counter()
            reply = visitor.password_login(server)
            figures["login"].append((time.perf_counter() - start) * 1000)
            assert reply.status_code == 302, reply.text
            cookie = visitor.session_cookie()
            assert cookie
            url = server.url + "api/status"
            figures["cookie"].append(sequential(visitor.client, url, requests))
            with httpx.Client(timeout=30) as bare:
                token = {"Authorization": f"token {server.token}"}
                figures["token"].append(sequential(bare, url, requests, headers=token))
            figures["burst"].append(burst(url, cookie))
    finally:
        visitor.close()
    return {name: spread(values) for name, values in figures.items()}


def server_for(home: Path, db_url: str, env: dict[str, str] | None = None, **identity: Any) -> ServerProcess:
    secret = home / "cookie_secret"
    home.mkdir(parents=True, exist_ok=True)
    secret.write_text("benchmark-cookie-secret")
    server = ServerProcess(home, config={}, env_extra=env or {})
    server.config = deployment_config(db_url=db_url, public_url=server.url, secret_file=secret, **identity)
    return server


def run_configuration(name: str, server: ServerProcess, args: argparse.Namespace) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    try:
        server.start().wait_ready()
        figures = measure(server, args.runs, args.requests)
    finally:
        server.stop()
    return {"configuration": name, "load": [load_before, os.getloadavg()[0]], **figures}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--baseline", default="main", help="commit with in-memory sessions ('' for none)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="cw-sessions-bench-") as tmp:
        root = Path(tmp)
        if args.baseline:
            tree = baseline_tree(args.baseline, root / "baseline-tree")
            if tree is not None:
                parts = [tree, tree / "server_extension", REPO / "tests" / "auth"]
                path = os.pathsep.join(str(p) for p in parts)
                url = f"sqlite+aiosqlite:///{root / 'baseline.db'}"
                results.append(
                    run_configuration(
                        f"{args.baseline} (memory)",
                        server_for(root / "baseline", url, {"PYTHONPATH": path}),
                        args,
                    )
                )
        for backend in args.backends:
            if backend == "sqlite":
                sqlite_url = f"sqlite+aiosqlite:///{root / 'sessions.db'}"
                results.append(run_configuration("sqlite", server_for(root / "sqlite", sqlite_url), args))
                cached = server_for(root / "sqlite-cached", sqlite_url, session_cache_seconds=5.0)
                results.append(run_configuration("sqlite, cache 5 s", cached, args))
                continue
            name, pg_url = create_pg_database()
            try:
                results.append(run_configuration("postgresql", server_for(root / "postgresql", pg_url), args))
            finally:
                drop_pg_database(name)
    print(f"{'configuration':<22} {'ms/request cookie':>22} {'ms/request token':>22} "
          f"{'cookie/token':>12} {f'{BURST} at once ms':>22} {'login ms':>22} load")  # fmt: skip
    for r in results:
        ratio = r["cookie"][1] / r["token"][1]
        cells = [" / ".join(f"{v:.2f}" for v in r[k]) for k in ("cookie", "token", "burst", "login")]
        print(f"{r['configuration']:<22} {cells[0]:>22} {cells[1]:>22} {ratio:>12.2f} {cells[2]:>22} "
              f"{cells[3]:>22} {r['load'][0]:.1f}->{r['load'][1]:.1f}")  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    summary = {"benchmark": "sessions", "runs": args.runs, "requests": args.requests, "results": results}
    line = json.dumps(summary)
    (RESULTS / "sessions.json").write_text(line + "\n")
    print(line)


if __name__ == "__main__":
    main()
