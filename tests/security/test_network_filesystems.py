"""A SQLite file on a network or FUSE filesystem does not use WAL (a fake mount table says where)."""

from __future__ import annotations

import sqlite3
import warnings
from pathlib import Path

import pytest
from sqlalchemy import text

from chatwidget.data.sql import engine
from chatwidget.data.sql.engine import (
    NetworkFilesystemWarning,
    create_engine,
    is_network_filesystem,
    normalize_url,
)

NETWORK = [
    "nfs",
    "nfs4",
    "cifs",
    "smb3",
    "fuse.sshfs",
    "fuse.s3fs",
    "fuse.glusterfs",
    "fuse.rclone",
    "fuse.mfs",
    "glusterfs",
    "beegfs",
    "virtiofs",
    "davfs",
    "lustre",
    "gpfs",
    "ceph",
    "9p",
    "fuse",
]
LOCAL = ["ext4", "xfs", "btrfs", "zfs", "tmpfs", "overlay", "fuseblk", "vfat"]


def test_network_and_fuse_filesystems_are_recognised() -> None:
    assert [t for t in NETWORK if not is_network_filesystem(t)] == []
    assert [t for t in LOCAL if is_network_filesystem(t)] == []


async def journal_mode_on(fstype: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    shared = tmp_path / f"mnt-{fstype.replace('.', '-')}"
    shared.mkdir()
    mounts = tmp_path / "mounts"
    mounts.write_text(f"/dev/sda1 / ext4 rw 0 0\nserver:/export {shared} {fstype} rw 0 0\n")
    monkeypatch.setattr(engine, "MOUNTS", str(mounts))
    path = shared / "chat.db"
    # A file that was in WAL mode before (WAL is stored in the file): it must leave it.
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
    db = create_engine(normalize_url(f"sqlite:///{path}"))
    try:
        async with db.connect() as conn:
            mode = (await conn.execute(text("PRAGMA journal_mode"))).scalar_one()
    finally:
        await db.dispose()
    return str(mode)


@pytest.mark.parametrize("fstype", ["nfs4", "fuse.sshfs", "fuse.glusterfs", "virtiofs", "cifs"])
async def test_wal_is_off_on_a_network_filesystem(
    fstype: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.warns(NetworkFilesystemWarning, match="rollback journal.*PostgreSQL"):
        mode = await journal_mode_on(fstype, tmp_path, monkeypatch)
    assert mode == "delete"


async def test_wal_stays_on_a_local_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", NetworkFilesystemWarning)
        assert await journal_mode_on("ext4", tmp_path, monkeypatch) == "wal"
