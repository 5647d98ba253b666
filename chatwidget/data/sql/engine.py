"""Engine construction: the default URL, SQLite's settings, the network filesystem check.

SQLite is set up for several processes (kernels and the Jupyter server) on one file:

* WAL, so readers never block the writer and the writer never blocks readers;
* ``busy_timeout`` (30 s by default): a busy database makes a writer wait, not fail;
* write transactions start with ``BEGIN IMMEDIATE``: a transaction that reads and then
  writes under a plain ``BEGIN`` can fail at once with "database is locked" when two
  writers try to upgrade their read locks; taking the write lock at the start avoids it.
  Read-only transactions keep a plain (deferred) ``BEGIN``;
* ``foreign_keys=ON`` (cascades) and ``synchronous=NORMAL`` (in WAL: durable across process
  crashes; an operating system crash or power loss may undo the last transactions).

On a network or FUSE filesystem (NFS, SMB, sshfs, GlusterFS, Lustre, virtiofs...; read from
the mount table) WAL's shared memory does not work across machines: the file gets the
rollback journal instead (``journal_mode=DELETE``, ``synchronous=FULL``), with a warning
that says where to put the database instead.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from ._liveness import ping_when_idle

#: Environment variable read (when the data layer is first used) for the database URL.
URL_ENV = "CHATWIDGET_DATABASE_URL"
#: Execution option that marks a connection whose transactions write.
WRITE_OPTION = "chatwidget_write"
BUSY_TIMEOUT_S = 30.0

#: The mount table read for the filesystem type of the database's directory.
MOUNTS = "/proc/mounts"
NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb",
        "smb3",
        "smbfs",
        "ncpfs",
        "afs",
        "9p",
        "ceph",
        "glusterfs",
        "lustre",
        "gpfs",
        "beegfs",
        "virtiofs",
        "davfs",
        "ocfs2",
        "gfs2",
        "orangefs",
        "pvfs2",
        "fuse",
    }
)
#: Type prefixes of the same families (``nfs*``, ``smb*``, and every FUSE filesystem but a
#: local block device's ``fuseblk``: sshfs, s3fs, gcsfuse, glusterfs, moosefs, rclone...).
NETWORK_PREFIXES = ("nfs", "smb", "fuse.")


class NetworkFilesystemWarning(UserWarning):
    """The SQLite file is on a network filesystem, where WAL and file locks are unreliable."""


def default_url() -> str:
    """``$CHATWIDGET_DATABASE_URL``, else ``chatwidget.db`` in the Jupyter data directory."""
    url = os.environ.get(URL_ENV)
    if url:
        return url
    from jupyter_core.paths import jupyter_data_dir

    directory = Path(jupyter_data_dir()) / "chatwidget"
    directory.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{directory / 'chatwidget.db'}"


def normalize_url(url: str | URL) -> URL:
    """Pick the async driver for a plain ``sqlite://`` or ``postgresql://`` URL."""
    parsed = make_url(url)
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed


def sqlite_path(url: URL) -> Path | None:
    """The database file of a SQLite URL (``None`` for an in-memory database)."""
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file::memory:"):
        return None
    return Path(database)


def filesystem_type(path: Path, mounts: str | None = None) -> str | None:
    """The filesystem type of the mount holding ``path`` (Linux), or ``None`` if unknown."""
    try:
        with open(mounts or MOUNTS, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    target = str(path.resolve())
    best, best_type = "", None
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        mount_point = parts[1].replace("\\040", " ")
        inside = target == mount_point or target.startswith(mount_point.rstrip("/") + "/")
        if inside and len(mount_point) >= len(best):
            best, best_type = mount_point, parts[2]
    return best_type


def is_network_filesystem(fstype: str | None) -> bool:
    if fstype is None:
        return False
    return fstype in NETWORK_FILESYSTEMS or fstype.startswith(NETWORK_PREFIXES)


def warn_if_network_filesystem(path: Path) -> bool:
    """Warn (and say so) if ``path`` is on a network or FUSE filesystem."""
    fstype = filesystem_type(path.parent)
    if not is_network_filesystem(fstype):
        return False
    warnings.warn(
        f"the chatwidget database {path} is on a network filesystem ({fstype}): SQLite's WAL mode "
        "does not work there, so the file uses the slower rollback journal, and file locking may "
        "still fail across machines. Put the file on a local disk, or use PostgreSQL (set "
        f"{URL_ENV}=postgresql+asyncpg://...).",
        NetworkFilesystemWarning,
        stacklevel=4,
    )
    return True


def create_engine(url: URL, **kwargs: Any) -> AsyncEngine:
    if url.get_backend_name() != "sqlite":
        server = create_async_engine(url, **kwargs)
        ping_when_idle(server)
        return server
    path = sqlite_path(url)
    journal = None  # in memory: SQLite's own
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        journal = "DELETE" if warn_if_network_filesystem(path) else "WAL"
    engine = create_async_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S}, **kwargs)
    _configure_sqlite(engine, journal=journal)
    return engine


def _configure_sqlite(engine: AsyncEngine, *, journal: str | None) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN, not the driver.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if journal is not None:  # WAL is a property of the file: DELETE also leaves it
                cursor.execute(f"PRAGMA journal_mode = {journal}")
                cursor.execute(f"PRAGMA synchronous = {'NORMAL' if journal == 'WAL' else 'FULL'}")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
