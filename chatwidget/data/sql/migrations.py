"""Versioned schema migrations: a ``chatwidget_schema`` table and ordered migration functions.

Each migration is a function of a synchronous ``Connection`` (run through
``AsyncConnection.run_sync``) that takes the schema from version ``n - 1`` to ``n``. Its
tables are written out as they were at that version, never imported from ``models.py``
(which describes the newest schema only), so an old database upgrades along the same path
as a new one is built. All pending migrations run in one transaction that holds the write
lock (``BEGIN IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL), so kernels and the
server starting at once migrate exactly once; DDL is transactional on both backends, so a
failed migration leaves the previous version intact.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Callable

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from ..base import DataLayerError
from .engine import WRITE_OPTION

VERSION_TABLE = "chatwidget_schema"
#: Key of the PostgreSQL advisory lock held while migrating.
PG_LOCK_KEY = 0x63776462  # "cwdb"
#: The step types whose output is searched (written out literally in the SQL below too).
MESSAGE_TYPES_SQL = "('user_message', 'assistant_message')"


def _json() -> JSON:
    return JSON().with_variant(JSONB(), "postgresql")


def _v1_base_tables(conn: Connection) -> None:
    """Users, threads, steps, elements, feedbacks."""
    md = MetaData()
    ts, ident = String(40), String(64)
    pk = BigInteger().with_variant(Integer(), "sqlite")
    Table(
        "users",
        md,
        Column("id", ident, primary_key=True),
        Column("identifier", String(255), nullable=False, unique=True),
        Column("display_name", Text),
        Column("provider", String(64)),
        Column("subject", String(255)),
        Column("metadata", _json(), nullable=False),
        Column("created_at", ts, nullable=False),
    )
    Table(
        "threads",
        md,
        Column("pk", pk, primary_key=True, autoincrement=True),
        Column("id", ident, nullable=False, unique=True),
        Column("created_at", ts, nullable=False),
        Column("updated_at", ts, nullable=False),
        Column("name", Text),
        Column("user_id", ident, ForeignKey("users.id", ondelete="SET NULL")),
        Column("user_identifier", String(255)),
        Column("tags", _json()),
        Column("metadata", _json()),
        Index("ix_threads_updated", "updated_at", "id"),
        Index("ix_threads_user_updated", "user_id", "updated_at", "id"),
    )
    Table(
        "steps",
        md,
        Column("pk", pk, primary_key=True, autoincrement=True),
        Column("id", ident, nullable=False, unique=True),
        Column("thread_id", ident, ForeignKey("threads.id", ondelete="CASCADE"), nullable=False),
        Column("parent_id", ident),
        Column("name", Text),
        Column("type", String(32), nullable=False),
        Column("streaming", Boolean),
        Column("metadata", _json()),
        Column("tags", _json()),
        Column("input", Text),
        Column("output", Text),
        Column("is_error", Boolean),
        Column("created_at", ts, nullable=False),
        Column("start_time", ts),
        Column("end_time", ts),
        Column("language", String(64)),
        Column("default_open", Boolean),
        Column("show_input", _json()),
        Column("generation", _json()),
        Column("command", Text),
        Index("ix_steps_thread_created", "thread_id", "created_at", "pk"),
    )
    Table(
        "elements",
        md,
        Column("id", ident, primary_key=True),
        Column("thread_id", ident, ForeignKey("threads.id", ondelete="CASCADE"), nullable=False, index=True),
        Column("for_id", ident, index=True),
        Column("type", String(32)),
        Column("name", Text),
        Column("display", String(16)),
        Column("mime", String(255)),
        Column("size", String(16)),
        Column("language", String(64)),
        Column("page", Integer),
        Column("props", _json()),
        Column("url", Text),
        Column("object_key", String(64)),
    )
    Table(
        "feedbacks",
        md,
        Column("id", ident, primary_key=True),
        Column("for_id", ident, nullable=False, unique=True),
        Column("thread_id", ident, ForeignKey("threads.id", ondelete="CASCADE"), nullable=False),
        Column("value", Integer, nullable=False),
        Column("comment", Text),
        Index("ix_feedbacks_thread_value", "thread_id", "value"),
    )
    md.create_all(conn)


def _v2_sharing_columns(conn: Connection) -> None:
    """Sharing as indexed columns (it was only ``metadata.is_shared``, as in the reference)."""
    sqlite = conn.dialect.name == "sqlite"
    conn.execute(
        text(
            f"ALTER TABLE threads ADD COLUMN is_shared BOOLEAN NOT NULL DEFAULT {'0' if sqlite else 'false'}"
        )
    )
    conn.execute(text("ALTER TABLE threads ADD COLUMN shared_at VARCHAR(40)"))
    conn.execute(text("CREATE INDEX ix_threads_is_shared ON threads (is_shared)"))
    if sqlite:
        conn.execute(
            text(
                "UPDATE threads SET is_shared = 1, shared_at = json_extract(metadata, '$.shared_at') "
                "WHERE json_extract(metadata, '$.is_shared') = 1"
            )
        )
    else:
        conn.execute(
            text(
                "UPDATE threads SET is_shared = true, shared_at = metadata->>'shared_at' "
                "WHERE metadata->>'is_shared' = 'true'"
            )
        )


_SQLITE_SEARCH = [
    # Trigram full-text indexes over message outputs and thread names (external content:
    # the text is stored once, in steps/threads, keyed by their integer ``pk``), kept in
    # sync by triggers.
    "CREATE VIRTUAL TABLE steps_fts USING fts5("
    "output, content='steps', content_rowid='pk', tokenize='trigram')",
    """CREATE TRIGGER steps_fts_ai AFTER INSERT ON steps
        WHEN new.type IN ('user_message', 'assistant_message') BEGIN
        INSERT INTO steps_fts(rowid, output) VALUES (new.pk, new.output); END""",
    """CREATE TRIGGER steps_fts_ad AFTER DELETE ON steps
        WHEN old.type IN ('user_message', 'assistant_message') BEGIN
        INSERT INTO steps_fts(steps_fts, rowid, output) VALUES ('delete', old.pk, old.output); END""",
    """CREATE TRIGGER steps_fts_au AFTER UPDATE OF output, type ON steps
        WHEN old.output IS NOT new.output OR old.type IS NOT new.type BEGIN
        INSERT INTO steps_fts(steps_fts, rowid, output)
            SELECT 'delete', old.pk, old.output WHERE old.type IN ('user_message', 'assistant_message');
        INSERT INTO steps_fts(rowid, output)
            SELECT new.pk, new.output WHERE new.type IN ('user_message', 'assistant_message'); END""",
    "INSERT INTO steps_fts(rowid, output) SELECT pk, output FROM steps "
    "WHERE type IN ('user_message', 'assistant_message')",
    "CREATE VIRTUAL TABLE threads_fts USING fts5("
    "name, content='threads', content_rowid='pk', tokenize='trigram')",
    """CREATE TRIGGER threads_fts_ai AFTER INSERT ON threads BEGIN
        INSERT INTO threads_fts(rowid, name) VALUES (new.pk, new.name); END""",
    """CREATE TRIGGER threads_fts_ad AFTER DELETE ON threads BEGIN
        INSERT INTO threads_fts(threads_fts, rowid, name) VALUES ('delete', old.pk, old.name); END""",
    """CREATE TRIGGER threads_fts_au AFTER UPDATE OF name ON threads WHEN old.name IS NOT new.name BEGIN
        INSERT INTO threads_fts(threads_fts, rowid, name) VALUES ('delete', old.pk, old.name);
        INSERT INTO threads_fts(rowid, name) VALUES (new.pk, new.name); END""",
    "INSERT INTO threads_fts(rowid, name) SELECT pk, name FROM threads",
]

_PG_SEARCH = [
    "CREATE INDEX ix_steps_output_trgm ON steps USING gin (output gin_trgm_ops) "
    "WHERE type IN ('user_message', 'assistant_message')",
    "CREATE INDEX ix_threads_name_trgm ON threads USING gin (name gin_trgm_ops)",
]


def _v3_search(conn: Connection) -> None:
    """Indexes for case-insensitive substring search of thread names and message outputs."""
    if conn.dialect.name == "sqlite":
        for statement in _SQLITE_SEARCH:
            conn.exec_driver_sql(statement)
        return
    if conn.dialect.name != "postgresql":
        return
    available = conn.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).first()
    if available is None:
        warnings.warn(
            "PostgreSQL has no pg_trgm extension (Debian: postgresql-contrib): thread search works but "
            "scans messages without an index",
            RuntimeWarning,
            stacklevel=2,
        )
        return
    conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    for statement in _PG_SEARCH:
        conn.execute(text(statement))


_SQLITE_STEP_OWNER = [
    "ALTER TABLE steps ADD COLUMN user_id VARCHAR(64)",
    "UPDATE steps SET user_id = (SELECT threads.user_id FROM threads WHERE threads.id = steps.thread_id)",
    # SQLite's BEFORE triggers cannot change the new row: the owner is set right after it.
    """CREATE TRIGGER steps_owner_ai AFTER INSERT ON steps BEGIN
        UPDATE steps SET user_id = (SELECT user_id FROM threads WHERE id = new.thread_id)
        WHERE pk = new.pk; END""",
    """CREATE TRIGGER threads_owner_au AFTER UPDATE OF user_id ON threads
        WHEN old.user_id IS NOT new.user_id BEGIN
        UPDATE steps SET user_id = new.user_id WHERE thread_id = new.id; END""",
]

_PG_STEP_OWNER = [
    "ALTER TABLE steps ADD COLUMN user_id VARCHAR(64)",
    "UPDATE steps SET user_id = threads.user_id FROM threads "
    "WHERE threads.id = steps.thread_id AND threads.user_id IS NOT NULL",
    """CREATE FUNCTION chatwidget_step_owner() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN NEW.user_id := (SELECT user_id FROM threads WHERE id = NEW.thread_id); RETURN NEW; END $$""",
    "CREATE TRIGGER steps_owner_bi BEFORE INSERT ON steps FOR EACH ROW "
    "EXECUTE FUNCTION chatwidget_step_owner()",
    """CREATE FUNCTION chatwidget_thread_owner() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN UPDATE steps SET user_id = NEW.user_id WHERE thread_id = NEW.id; RETURN NULL; END $$""",
    "CREATE TRIGGER threads_owner_au AFTER UPDATE OF user_id ON threads FOR EACH ROW "
    "WHEN (OLD.user_id IS DISTINCT FROM NEW.user_id) EXECUTE FUNCTION chatwidget_thread_owner()",
]


def _v4_step_owner(conn: Connection) -> None:
    """Each step carries its thread's owner (``steps.user_id``), so that one user's search
    reads only that user's matches.

    A copy of ``threads.user_id``, kept by triggers: set when a step is inserted, changed
    with the thread's owner. SQLite: the full-text lookup joins each match to its step by
    rowid and filters on the owner there, instead of fetching every match's thread.
    PostgreSQL: the owner becomes the first column of the trigram index (``btree_gin``),
    so the index itself yields only that user's matches; without ``btree_gin`` a plain
    index on the owner lets the planner intersect the two.
    """
    if conn.dialect.name == "sqlite":
        for statement in _SQLITE_STEP_OWNER:
            conn.exec_driver_sql(statement)
        return
    if conn.dialect.name != "postgresql":
        return
    for statement in _PG_STEP_OWNER:
        conn.exec_driver_sql(statement)
    trigram = conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).first()
    btree_gin = conn.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'btree_gin'")).first()
    if trigram is not None and btree_gin is not None:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gin"))
        conn.execute(
            text(
                "CREATE INDEX ix_steps_owner_output_trgm ON steps USING gin (user_id, output gin_trgm_ops) "
                f"WHERE type IN {MESSAGE_TYPES_SQL}"
            )
        )
        # the new index serves the old one's queries (any subset of a GIN index's columns)
        conn.execute(text("DROP INDEX IF EXISTS ix_steps_output_trgm"))
    else:
        owner_index = f"CREATE INDEX ix_steps_owner ON steps (user_id) WHERE type IN {MESSAGE_TYPES_SQL}"
        conn.execute(text(owner_index))


def _v5_login_sessions(conn: Connection) -> None:
    """Login sessions and pending OAuth logins of the Jupyter server (``chatwidget.data.sql.sessions``).

    Keyed by the SHA-256 of the secret (a session id, an OAuth ``state``), never the secret
    itself; times are seconds since the epoch, so several servers compare them alike.
    """
    md = MetaData()
    when = Float(precision=53)
    Table(
        "login_sessions",
        md,
        Column("id_hash", String(64), primary_key=True),
        Column("username", String(255), nullable=False, index=True),
        Column("name", Text),
        Column("display_name", Text),
        Column("avatar_url", Text),
        Column("provider", String(64), nullable=False),
        Column("role", String(16), nullable=False),
        Column("created_at", when, nullable=False),
        Column("expires_at", when, nullable=False, index=True),
    )
    Table(
        "pending_logins",
        md,
        Column("state_hash", String(64), primary_key=True),
        Column("provider", String(64), nullable=False),
        Column("code_verifier", Text, nullable=False),
        Column("nonce", Text, nullable=False),
        Column("next_url", Text, nullable=False),
        Column("expires_at", when, nullable=False, index=True),
    )
    md.create_all(conn)


def _v6_thread_app_and_step_icon(conn: Connection) -> None:
    """Each thread names the app it was made in (``threads.app``), so an app lists its own;
    each step keeps its icon and whether it folds when done (``icon``, ``auto_collapse``), so
    a resumed thread looks as it did.

    Threads made before have no app (``NULL``): nothing recorded says which app made them,
    so they are listed when all apps are, and under no single app.
    """
    conn.execute(text("ALTER TABLE threads ADD COLUMN app VARCHAR(255)"))
    conn.execute(text("CREATE INDEX ix_threads_user_app_updated ON threads (user_id, app, updated_at, id)"))
    conn.execute(text("ALTER TABLE steps ADD COLUMN icon TEXT"))
    conn.execute(text("ALTER TABLE steps ADD COLUMN auto_collapse BOOLEAN"))


#: SQLite: a step's owner and thread by its ``pk`` (the full-text index's rowid), named by
#: the search lookup (``INDEXED BY``: SQLite would rather read the step's row by rowid).
SEARCH_STEPS_INDEX = "ix_steps_pk_owner_thread"


def _v7_search_steps_index(conn: Connection) -> None:
    """SQLite: each full-text match of a search lookup finds its step's owner and thread in
    a narrow index instead of the step's row, which holds the output and metadata (most of
    the table: long answers spread the rows over many pages). PostgreSQL's trigram index
    holds the owner already (migration 4)."""
    if conn.dialect.name != "sqlite":
        return
    conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {SEARCH_STEPS_INDEX} ON steps (pk, user_id, thread_id)")


#: The migrations in order: ``MIGRATIONS[n - 1]`` takes the schema to version ``n``.
MIGRATIONS: list[Callable[[Connection], None]] = [
    _v1_base_tables,
    _v2_sharing_columns,
    _v3_search,
    _v4_step_owner,
    _v5_login_sessions,
    _v6_thread_app_and_step_icon,
    _v7_search_steps_index,
]
HEAD = len(MIGRATIONS)


def current_version(conn: Connection) -> int:
    if not inspect(conn).has_table(VERSION_TABLE):
        return 0
    version = conn.execute(text(f"SELECT version FROM {VERSION_TABLE}")).scalar()  # noqa: S608
    return int(version or 0)


def _migrate_sync(conn: Connection, target: int) -> int:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
    version = current_version(conn)
    if version > HEAD:
        raise DataLayerError(
            f"the database schema is at version {version}, newer than this chatwidget knows ({HEAD}); "
            "upgrade chatwidget"
        )
    if version == 0:
        conn.execute(text(f"CREATE TABLE {VERSION_TABLE} (version INTEGER NOT NULL)"))
        conn.execute(text(f"INSERT INTO {VERSION_TABLE} (version) VALUES (0)"))  # noqa: S608
    for number in range(version + 1, target + 1):
        MIGRATIONS[number - 1](conn)
        conn.execute(text(f"UPDATE {VERSION_TABLE} SET version = :v"), {"v": number})  # noqa: S608
    return max(version, target)


#: How often a migration refused with "database is locked" is tried again.
LOCK_RETRIES = 6


async def migrate(engine: AsyncEngine, target: int = HEAD) -> int:
    """Bring the schema to ``target`` (default: the newest); returns the version reached."""
    if not 0 <= target <= HEAD:
        raise ValueError(f"no schema version {target} (head is {HEAD})")
    for attempt in range(LOCK_RETRIES + 1):
        try:
            async with engine.execution_options(**{WRITE_OPTION: True}).begin() as conn:
                return await conn.run_sync(_migrate_sync, target)
        except OperationalError as exc:
            # Several processes opening a new SQLite file at once: one that switches the file
            # to WAL while another holds its write lock can be refused at once, without the busy
            # timeout (SQLite's deadlock rule). Trying again after the other finished succeeds.
            if "locked" not in str(exc) or attempt == LOCK_RETRIES:
                raise
            await asyncio.sleep(0.05 * 2**attempt)
    raise AssertionError("unreachable")
