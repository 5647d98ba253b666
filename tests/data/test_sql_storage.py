"""Element byte storage, the default database location, SQLite settings, network filesystems."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest
from moto_s3 import stored_names
from sqlalchemy import text

from chatwidget.data.sql import NetworkFilesystemWarning, SQLDataLayer
from chatwidget.data.sql.engine import filesystem_type, is_network_filesystem, warn_if_network_filesystem
from chatwidget.data.storage import ElementStorage, LocalElementStorage, check_key, new_object_key


def _object_name(storage: ElementStorage, key: str) -> str:
    """Where ``key``'s bytes are: ``ab/abcd...`` under the directory, ``elements/abcd...`` in a bucket."""
    return f"{key[:2]}/{key}" if isinstance(storage, LocalElementStorage) else f"elements/{key}"


async def test_storage_round_trip(element_storage: ElementStorage) -> None:
    key = new_object_key()
    assert await element_storage.get(key) is None
    await element_storage.put(key, b"abc")
    assert await element_storage.get(key) == b"abc"
    assert stored_names(element_storage) == [_object_name(element_storage, key)]
    await element_storage.put(key, b"replaced")
    assert await element_storage.get(key) == b"replaced"
    assert stored_names(element_storage) == [_object_name(element_storage, key)]  # replaced in place
    await element_storage.delete(key)
    await element_storage.delete(key)  # deleting what is gone is fine
    assert await element_storage.get(key) is None
    assert stored_names(element_storage) == []  # no temporary files or parts left


BAD_KEYS = ["../../etc/passwd", "/etc/passwd", "", "..", "ab/" + "a" * 29]
BAD_KEYS += ["a" * 31, "A" * 32, "g" * 32, "a" * 33]


@pytest.mark.parametrize("key", BAD_KEYS)
async def test_keys_cannot_name_other_paths(element_storage: ElementStorage, key: str) -> None:
    with pytest.raises(ValueError, match="invalid storage key"):
        check_key(key)
    for call in (element_storage.put(key, b"x"), element_storage.get(key), element_storage.delete(key)):
        with pytest.raises(ValueError, match="invalid storage key"):
            await call
    assert stored_names(element_storage) == []  # nothing written (no directory made, no object)


def test_generated_keys_are_valid_and_distinct() -> None:
    keys = {new_object_key() for _ in range(1000)}
    assert len(keys) == 1000 and all(check_key(k) == k for k in keys)


async def test_default_url_is_read_lazily(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CHATWIDGET_ELEMENTS_URL", "BUCKET_NAME"):  # either would choose the element storage
        monkeypatch.delenv(name, raising=False)
    layer = SQLDataLayer()  # nothing read yet
    monkeypatch.setenv("CHATWIDGET_DATABASE_URL", f"sqlite:///{tmp_path / 'from-env.db'}")
    assert layer.url.drivername == "sqlite+aiosqlite"
    await layer.update_thread("t1", create=True)
    assert (tmp_path / "from-env.db").exists()
    assert isinstance(layer.storage, LocalElementStorage)
    assert layer.storage.root == tmp_path / "from-env-elements"
    await layer.close()

    monkeypatch.delenv("CHATWIDGET_DATABASE_URL")
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter-data"))
    layer = SQLDataLayer()
    assert layer.url.database == str(tmp_path / "jupyter-data" / "chatwidget" / "chatwidget.db")
    await layer.close()


async def test_sqlite_settings(tmp_path: Path) -> None:
    layer = SQLDataLayer(f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}")
    await layer.migrate()
    async with layer.engine.connect() as conn:
        pragmas = {
            name: (await conn.execute(text(f"PRAGMA {name}"))).scalar()
            for name in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")
        }
    assert pragmas == {"journal_mode": "wal", "busy_timeout": 30000, "foreign_keys": 1, "synchronous": 1}
    await layer.close()


def test_network_filesystem_detection(tmp_path: Path) -> None:
    nfs_dir = tmp_path / "home"
    nfs_dir.mkdir()
    mounts = tmp_path / "mounts"
    mounts.write_text(
        "/dev/sda1 / ext4 rw 0 0\n"
        f"server:/export {nfs_dir} nfs4 rw 0 0\n"
        f"other:/x {tmp_path / 'home-not'} cifs rw 0 0\n"
    )
    assert filesystem_type(nfs_dir / "sub" / "chat.db", str(mounts)) == "nfs4"
    assert filesystem_type(tmp_path, str(mounts)) == "ext4"
    assert filesystem_type(tmp_path, str(tmp_path / "missing")) is None
    assert all(is_network_filesystem(t) for t in ("nfs", "nfs4", "cifs", "smb3", "fuse.sshfs", "9p"))
    assert not any(is_network_filesystem(t) for t in ("ext4", "xfs", "btrfs", "tmpfs", "overlay", None))


def test_network_filesystem_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chatwidget.data.sql import engine

    monkeypatch.setattr(engine, "filesystem_type", lambda path: "nfs4")
    with pytest.warns(NetworkFilesystemWarning, match="network filesystem"):
        warn_if_network_filesystem(tmp_path / "chat.db")
    monkeypatch.setattr(engine, "filesystem_type", lambda path: "ext4")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_if_network_filesystem(tmp_path / "chat.db")


@pytest.mark.skipif(not os.path.exists("/proc/mounts"), reason="Linux only")
def test_real_mounts_are_read() -> None:
    assert filesystem_type(Path("/")) is not None
