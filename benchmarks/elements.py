"""Element storage benchmark: a 50 MB element up and down, local disk vs S3 (moto on loopback).

    .venv/bin/python benchmarks/elements.py            # --mb 50 --runs 3

* upload and download MB/s through the storage interface (``put``; ``get`` and, for S3,
  ``stream`` consumed chunk by chunk), min/median/max of ``--runs`` runs;
* the resident memory this process gains during a download (VmRSS sampled every 5 ms, peak
  minus the value before): ``get`` holds the whole object, ``stream`` only its chunks. RSS
  is coarse: memory freed by an earlier run stays mapped and can be reused unseen, so the
  first run's figure is the telling one.

The S3 server is moto's (``moto[server]``), started on a free loopback port: its own
process, on the same two cores, so S3 figures include the server's work too.
Prints a table and one JSON line (also benchmarks/results/elements.json).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import boto3
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_result

from chatwidget.data.s3 import S3ElementStorage
from chatwidget.data.storage import ElementStorage, LocalElementStorage, new_object_key


def rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


async def peak_rss_during(work: Callable[[], Awaitable[Any]]) -> tuple[Any, int]:
    """``work()``'s result and the most resident memory it added meanwhile, in bytes."""
    before, peak, done = rss(), [0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss())
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        result = await work()
    finally:
        done.set()
        sampler.join()
    return result, max(0, max(peak[0], rss()) - before)


def start_moto(log: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
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
            size, grown = await peak_rss_during(consume)
            figures["stream"].append(mb / (time.perf_counter() - t0))
            figures["stream_rss"].append(grown / 1e6)
            assert size == len(content)
        # After the stream: memory a get frees is kept by the allocator and would hide the stream's.
        t0 = time.perf_counter()
        data, grown = await peak_rss_during(lambda key=key: storage.get(key))
        figures["down"].append(mb / (time.perf_counter() - t0))
        figures["get_rss"].append(grown / 1e6)
        assert data == content
        del data
        await storage.delete(key)
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    content = os.urandom(args.mb * 1_000_000)
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        local = await measure(LocalElementStorage(Path(tmp) / "elements"), content, args.runs)
        proc, endpoint = start_moto(Path(tmp) / "moto.log")
        try:
            boto3.client(
                "s3", endpoint_url=endpoint, aws_access_key_id=MOTO_KEY, aws_secret_access_key=MOTO_SECRET,
                region_name="us-east-1",
            ).create_bucket(Bucket="bench")  # fmt: skip
            s3 = S3ElementStorage(
                "bench", access_key=MOTO_KEY, secret_key=MOTO_SECRET, endpoint=endpoint, timeout=120
            )
            remote = await measure(s3, content, args.runs)
        finally:
            proc.terminate()
            proc.wait(10)
    rows = [
        ("local upload MB/s", spread(local["up"])),
        ("local download (get) MB/s", spread(local["down"])),
        ("local get: RSS gained MB", spread(local["get_rss"])),
        ("S3 upload MB/s (multipart)", spread(remote["up"])),
        ("S3 download (get) MB/s", spread(remote["down"])),
        ("S3 get: RSS gained MB", spread(remote["get_rss"])),
        ("S3 download (stream) MB/s", spread(remote["stream"])),
        ("S3 stream: RSS gained MB", spread(remote["stream_rss"])),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{args.mb} MB element, {args.runs} runs (min / median / max); load average before: {load}")
    for name, value in rows:
        print(f"  {name.ljust(width)}  {value}")
    after = os.getloadavg()
    print(f"load average after: {after}")
    print(write_result("elements", {"mb": args.mb, "runs": args.runs, "local": local, "s3": remote,
                                    "load_before": load, "load_after": after}))  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
