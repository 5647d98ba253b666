"""``SQLDataLayer``: the data layer on SQLAlchemy 2.0 async (SQLite by default, PostgreSQL by URL).

Over 400 lines because one class implements the whole ``BaseDataLayer`` interface (users,
feedback, elements, steps, threads); the SQL of the hot paths lives in the private modules
beside it (``_queries``/``_search`` for lists, ``_thread_read``, ``_step_write``).
"""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.sql import bindparam

from ..base import BaseDataLayer, DataLayerError
from ..storage import ElementStorage, LocalElementStorage, new_object_key
from ..storage_url import configured_storage
from ..types import (
    ElementDict,
    FeedbackDict,
    PageInfo,
    PaginatedResponse,
    Pagination,
    PersistedUser,
    StepDict,
    ThreadDict,
    ThreadFilter,
    User,
)
from . import _convert as conv
from ._queries import page_size, threads_page
from ._search import search_page
from ._step_write import newest_time, step_statements
from ._step_write import params as step_params
from ._thread_read import read_thread
from .engine import WRITE_OPTION, create_engine, default_url, normalize_url, sqlite_path
from .migrations import HEAD, migrate
from .models import ElementRow, FeedbackRow, StepRow, ThreadRow, UserRow


class SQLDataLayer(BaseDataLayer):
    """Users, threads, steps, elements and feedback in one SQL database.

    ``url`` defaults to ``$CHATWIDGET_DATABASE_URL``, else a SQLite file ``chatwidget.db``
    in the Jupyter data directory; it is read when the layer is first used, not before.
    Element bytes go to ``storage`` (default: where ``$CHATWIDGET_ELEMENTS_URL`` says, else an
    S3 bucket when ``$BUCKET_NAME`` is set, see :mod:`chatwidget.data.storage_url`; else a
    directory next to the SQLite file, or in the Jupyter data directory for other databases).
    The schema is migrated to the newest version on first use (or explicitly with :meth:`migrate`).

    Every database error is raised as :class:`DataLayerError` with the driver's error as
    its ``__cause__``; nothing is logged and dropped.
    """

    def __init__(
        self,
        url: str | URL | None = None,
        *,
        storage: ElementStorage | None = None,
        auto_migrate: bool = True,
        engine_options: dict[str, Any] | None = None,
    ) -> None:
        self._url_arg = url
        self._storage = storage
        self._auto_migrate = auto_migrate
        self._engine_options = engine_options or {}
        self._engine: AsyncEngine | None = None
        self._read_sessions: async_sessionmaker[AsyncSession] | None = None
        self._write_sessions: async_sessionmaker[AsyncSession] | None = None
        self._write_engine: AsyncEngine  # these two are set with the engine
        self._autocommit: AsyncEngine
        self._ready = False
        self._closed = False
        self._lock = asyncio.Lock()

    # -- setup ------------------------------------------------------------------------

    @property
    def url(self) -> URL:
        if not isinstance(self._url_arg, URL):
            self._url_arg = normalize_url(self._url_arg or default_url())
        return self._url_arg

    @property
    def dialect(self) -> str:
        return str(self.url.get_backend_name())

    @property
    def storage(self) -> ElementStorage:
        if self._storage is None:
            configured = configured_storage()
            if configured is not None:  # $CHATWIDGET_ELEMENTS_URL or $BUCKET_NAME: whatever the database
                self._storage = configured
                return configured
            path = sqlite_path(self.url)
            if path is not None:
                root = path.with_name(path.stem + "-elements")
            elif self.dialect == "sqlite":  # in memory: the bytes live as long as the process
                root = Path(tempfile.mkdtemp(prefix="chatwidget-elements-"))
            else:
                from jupyter_core.paths import jupyter_data_dir

                root = Path(jupyter_data_dir()) / "chatwidget" / "elements"
            self._storage = LocalElementStorage(root)
        return self._storage

    @property
    def engine(self) -> AsyncEngine:
        if self._closed:
            raise DataLayerError("the data layer is closed")
        if self._engine is None:
            self._engine = create_engine(self.url, **self._engine_options)
            self._read_sessions = async_sessionmaker(self._engine, expire_on_commit=False)
            self._write_engine = self._engine.execution_options(**{WRITE_OPTION: True})
            self._write_sessions = async_sessionmaker(self._write_engine, expire_on_commit=False)
            self._autocommit = self._engine.execution_options(isolation_level="AUTOCOMMIT")
        return self._engine

    async def migrate(self, target: int = HEAD) -> int:
        """Bring the schema to version ``target`` (default: the newest); returns the version."""
        try:
            version = await migrate(self.engine, target)
        except SQLAlchemyError as exc:
            raise DataLayerError(f"schema migration failed: {exc}") from exc
        self._ready = version == HEAD
        return version

    async def _prepare(self) -> None:
        self.engine  # noqa: B018 - raises if closed
        if self._ready or not self._auto_migrate:
            return
        async with self._lock:
            if not self._ready:
                await self.migrate()

    @asynccontextmanager
    async def _session(self, write: bool) -> AsyncIterator[AsyncSession]:
        await self._prepare()
        sessions = self._write_sessions if write else self._read_sessions
        assert sessions is not None
        try:
            async with sessions() as session, session.begin():
                yield session
        except SQLAlchemyError as exc:
            raise DataLayerError(f"database error: {exc}") from exc

    def _insert(self, table: Any) -> Any:
        return postgresql.insert(table) if self.dialect == "postgresql" else sqlite.insert(table)

    async def close(self) -> None:
        self._closed = True
        if self._engine is not None:
            await self._engine.dispose()

    # -- users ------------------------------------------------------------------------

    async def get_user(self, identifier: str) -> PersistedUser | None:
        async with self._session(write=False) as session:
            row = await session.scalar(select(UserRow).where(UserRow.identifier == identifier))
        return None if row is None else _user(row)

    async def create_user(self, user: User) -> PersistedUser:
        """Create the user, or update the display name and metadata of an existing one."""
        table = UserRow.__table__
        stmt = self._insert(table).values(
            id=str(uuid.uuid4()),
            identifier=user.identifier,
            display_name=user.display_name,
            metadata=user.metadata,
            created_at=conv.utc_now(),
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["identifier"],
            set_={"display_name": stmt.excluded.display_name, "metadata": stmt.excluded.metadata},
        )
        async with self._session(write=True) as session:
            await session.execute(stmt)
            row = await session.scalar(select(UserRow).where(UserRow.identifier == user.identifier))
        assert row is not None
        return _user(row)

    # -- feedback ---------------------------------------------------------------------

    async def upsert_feedback(self, feedback: FeedbackDict) -> str:
        """One feedback per step: a second one for the same ``forId`` replaces the first."""
        for_id = feedback.get("forId")
        if not for_id:
            raise ValueError("feedback needs a 'forId'")
        value = feedback.get("value")
        if value not in (0, 1):
            raise ValueError("feedback 'value' must be 0 or 1")
        table = FeedbackRow.__table__
        async with self._session(write=True) as session:
            thread_id = await session.scalar(select(StepRow.thread_id).where(StepRow.id == for_id))
            thread_id = thread_id or feedback.get("threadId")
            if not thread_id:
                raise DataLayerError(f"no step {for_id!r} and no 'threadId' for its feedback")
            stmt = self._insert(table).values(
                id=feedback.get("id") or str(uuid.uuid4()),
                for_id=for_id,
                thread_id=thread_id,
                value=value,
                comment=feedback.get("comment"),
            )
            stmt = stmt.on_conflict_do_update(
                index_elements=["for_id"],
                set_={"value": stmt.excluded.value, "comment": stmt.excluded.comment},
            ).returning(table.c.id)
            return str((await session.execute(stmt)).scalar_one())

    async def delete_feedback(self, feedback_id: str) -> bool:
        async with self._session(write=True) as session:
            result = await session.execute(delete(FeedbackRow).where(FeedbackRow.id == feedback_id))
        return bool(cast(Any, result).rowcount)

    # -- elements ---------------------------------------------------------------------

    async def create_element(self, element: ElementDict, content: bytes | None = None) -> None:
        """Store an element (and its bytes under a new server-generated key).

        ``objectKey`` in ``element`` is ignored: keys are never taken from the caller. An
        element id that exists in another thread is refused.
        """
        element_id, thread_id = element.get("id"), element.get("threadId")
        if not element_id or not thread_id:
            raise ValueError("an element needs an 'id' and a 'threadId'")
        key = None
        if content is not None:
            key = new_object_key()
            await self._storage_call(self.storage.put(key, content))
        values = {
            "id": element_id,
            "thread_id": thread_id,
            "for_id": element.get("forId"),
            "type": element.get("type"),
            "name": element.get("name"),
            "display": element.get("display"),
            "mime": element.get("mime"),
            "size": element.get("size"),
            "language": element.get("language"),
            "page": element.get("page"),
            "props": element.get("props"),
            "url": element.get("url"),
        }
        table = cast(Table, ElementRow.__table__)
        stmt = self._insert(table).values(**values, object_key=key)
        changed = {name: stmt.excluded[name] for name in values if name not in ("id", "thread_id")}
        if key is not None:
            changed["object_key"] = stmt.excluded.object_key
        stmt = stmt.on_conflict_do_update(
            index_elements=["id"], set_=changed, where=table.c.thread_id == stmt.excluded.thread_id
        )
        old_key = None
        try:
            async with self._session(write=True) as session:
                old_key = await session.scalar(select(table.c.object_key).where(table.c.id == element_id))
                result = await session.execute(stmt)
                if not cast(Any, result).rowcount:
                    raise DataLayerError(f"element {element_id!r} belongs to another thread")
        except BaseException:
            if key is not None:
                await self.storage.delete(key)
            raise
        if key is not None and old_key:
            await self._storage_call(self.storage.delete(old_key))

    async def get_element(self, thread_id: str, element_id: str) -> ElementDict | None:
        async with self._session(write=False) as session:
            row = await session.scalar(
                select(ElementRow).where(ElementRow.id == element_id, ElementRow.thread_id == thread_id)
            )
        return None if row is None else conv.element_dict(row)

    async def read_element_content(self, thread_id: str, element_id: str) -> bytes | None:
        async with self._session(write=False) as session:
            key = await session.scalar(
                select(ElementRow.object_key).where(
                    ElementRow.id == element_id, ElementRow.thread_id == thread_id
                )
            )
        if not key:
            return None
        content: bytes | None = await self._storage_call(self.storage.get(key))
        return content

    async def stream_element_content(self, thread_id: str, element_id: str) -> AsyncIterator[bytes] | None:
        """The element's bytes in chunks from the storage; storage errors are ``DataLayerError``
        (raised before the first chunk when the storage can tell by then)."""
        async with self._session(write=False) as session:
            key = await session.scalar(
                select(ElementRow.object_key).where(
                    ElementRow.id == element_id, ElementRow.thread_id == thread_id
                )
            )
        if not key:
            return None
        chunks: AsyncIterator[bytes] | None = await self._storage_call(self.storage.stream(key))
        if chunks is None:
            return None

        async def checked() -> AsyncIterator[bytes]:
            try:
                async for chunk in chunks:
                    yield chunk
            except OSError as exc:
                raise DataLayerError(f"element storage error: {exc}") from exc

        return checked()

    async def delete_element(self, element_id: str, thread_id: str | None = None) -> None:
        query = delete(ElementRow).where(ElementRow.id == element_id)
        if thread_id is not None:
            query = query.where(ElementRow.thread_id == thread_id)
        async with self._session(write=True) as session:
            keys = (await session.execute(query.returning(ElementRow.object_key))).scalars().all()
        await self._delete_objects(keys)

    async def _storage_call(self, awaitable: Any) -> Any:
        try:
            return await awaitable
        except OSError as exc:
            raise DataLayerError(f"element storage error: {exc}") from exc

    async def _delete_objects(self, keys: Sequence[str | None]) -> None:
        errors: list[OSError] = []
        for key in keys:
            if key:
                try:
                    await self.storage.delete(key)
                except OSError as exc:
                    errors.append(exc)
        if errors:
            raise DataLayerError(f"could not delete {len(errors)} stored element(s)") from errors[0]

    # -- steps ------------------------------------------------------------------------

    async def create_step(self, step: StepDict) -> None:
        await self._write_step(step)

    async def update_step(self, step: StepDict) -> None:
        await self._write_step(step)

    async def _write_step(self, step: StepDict) -> None:
        """One step, as :meth:`write_steps` writes it, at the cost of one statement.

        On PostgreSQL the upsert and the thread's ``updated_at`` are one statement in its
        own transaction (see :mod:`._step_write`): one round trip, one commit. SQLite has
        no round trips; its two statements share one ``BEGIN IMMEDIATE`` transaction.
        """
        row, updates = conv.step_row(step)
        statements = step_statements(self.dialect, frozenset(row), updates)
        values = step_params(row)
        await self._prepare()
        engine = self._autocommit if self.dialect == "postgresql" else self._write_engine
        try:
            async with engine.begin() as conn:
                for statement in statements:
                    await conn.execute(statement, values)
        except SQLAlchemyError as exc:
            raise DataLayerError(f"database error: {exc}") from exc

    async def write_steps(self, steps: list[StepDict]) -> None:
        """Upsert many steps in one transaction; the keys a step dict lacks are left as stored.

        Each thread's ``updated_at`` moves forward to the newest step time in the batch.
        A step whose thread does not exist fails the whole batch (nothing is written).
        """
        if not steps:
            return
        rows: dict[str, tuple[dict[str, Any], frozenset[str]]] = {}
        for step in steps:  # a step twice in one batch: the later keys win
            row, updates = conv.step_row(step)
            if row["id"] in rows:
                earlier, earlier_updates = rows[row["id"]]
                row, updates = {**earlier, **{k: row[k] for k in updates}}, earlier_updates | updates
            rows[row["id"]] = (row, updates)
        # Rows are inserted in the batch's order, in runs of the same columns (one statement
        # each): steps of one millisecond are read back in the order they were made (the
        # surrogate key breaks the tie).
        groups: list[tuple[tuple[frozenset[str], frozenset[str]], list[dict[str, Any]]]] = []
        latest: dict[str, str] = {}
        for row, updates in rows.values():
            shape = (frozenset(row), updates)
            if groups and groups[-1][0] == shape:
                groups[-1][1].append(row)
            else:
                groups.append((shape, [row]))
            newest = newest_time(row)
            if newest > latest.get(row["thread_id"], ""):
                latest[row["thread_id"]] = newest
        steps_table = cast(Table, StepRow.__table__)
        threads = cast(Table, ThreadRow.__table__)
        bump = (
            update(threads)
            .where(threads.c.id == bindparam("b_thread"))
            .values(
                updated_at=case(
                    (threads.c.updated_at < bindparam("b_time"), bindparam("b_time")),
                    else_=threads.c.updated_at,
                )
            )
        )
        async with self._session(write=True) as session:
            conn = await session.connection()
            for (_, updates), group in groups:
                stmt = self._insert(steps_table)
                if updates:
                    stmt = stmt.on_conflict_do_update(
                        index_elements=["id"], set_={c: stmt.excluded[c] for c in sorted(updates)}
                    )
                else:
                    stmt = stmt.on_conflict_do_nothing(index_elements=["id"])
                await conn.execute(stmt, group)
            await conn.execute(bump, [{"b_thread": t, "b_time": ts} for t, ts in latest.items()])

    async def delete_step(self, step_id: str) -> None:
        """Delete a step, its feedback and its elements (with their bytes)."""
        async with self._session(write=True) as session:
            await session.execute(delete(FeedbackRow).where(FeedbackRow.for_id == step_id))
            keys = (
                (
                    await session.execute(
                        delete(ElementRow)
                        .where(ElementRow.for_id == step_id)
                        .returning(ElementRow.object_key)
                    )
                )
                .scalars()
                .all()
            )
            await session.execute(delete(StepRow).where(StepRow.id == step_id))
        await self._delete_objects(keys)

    # -- threads ----------------------------------------------------------------------

    async def get_thread_author(self, thread_id: str) -> str | None:
        async with self._session(write=False) as session:
            return await session.scalar(select(ThreadRow.user_identifier).where(ThreadRow.id == thread_id))

    async def delete_thread(self, thread_id: str) -> None:
        """Delete a thread; its steps, elements and feedback go with it (and element bytes)."""
        async with self._session(write=True) as session:
            keys = (
                await session.scalars(select(ElementRow.object_key).where(ElementRow.thread_id == thread_id))
            ).all()
            await session.execute(delete(ThreadRow).where(ThreadRow.id == thread_id))
        await self._delete_objects(keys)

    async def list_threads(
        self, pagination: Pagination, filters: ThreadFilter
    ) -> PaginatedResponse[ThreadDict]:
        size = page_size(pagination)
        after = conv.decode_cursor(pagination.cursor) if pagination.cursor else None
        async with self._session(write=False) as session:
            if filters.search:
                rows, has_next = await search_page(session, self.dialect, filters, after, size)
            else:
                rows = list((await session.scalars(threads_page(filters, after, size + 1))).all())
                has_next = len(rows) > size
                rows = rows[:size]
        return PaginatedResponse(
            pageInfo=PageInfo(
                hasNextPage=has_next,
                startCursor=conv.encode_cursor(rows[0].updated_at, rows[0].id) if rows else None,
                endCursor=conv.encode_cursor(rows[-1].updated_at, rows[-1].id) if rows else None,
            ),
            data=[conv.thread_dict(row) for row in rows],
        )

    async def get_thread_page(
        self, thread_id: str, limit: int, before: str | None = None
    ) -> ThreadDict | None:
        return await self.get_thread(thread_id, steps_limit=limit, steps_before=before)

    async def get_thread(
        self, thread_id: str, *, steps_limit: int | None = None, steps_before: str | None = None
    ) -> ThreadDict | None:
        """The thread with its steps (in creation order), elements, and each step's feedback.

        ``steps_limit``: only the newest ``steps_limit`` steps (still in creation order) and
        the elements of those steps; the thread then has ``olderSteps``, a cursor for the
        steps before these (``None`` when there are none), which ``steps_before`` takes to
        read the next older page, and ``olderCount``, how many they are. (See
        :mod:`._thread_read`.)
        """
        if steps_limit is not None and steps_limit < 1:
            raise ValueError("steps_limit must be at least 1")
        if steps_before is not None and steps_limit is None:
            raise ValueError("steps_before needs steps_limit")
        before = None if steps_before is None else _decode_step_cursor(steps_before)
        async with self._session(write=False) as session:
            read = await read_thread(session, self.dialect, thread_id, steps_limit, before)
        if read is None:
            return None
        if steps_limit is not None:
            older = None if read.older is None else conv.encode_cursor(read.older[0], str(read.older[1]))
            read.thread["olderSteps"] = older
            read.thread["olderCount"] = read.older_count
        return read.thread

    async def update_thread(
        self,
        thread_id: str,
        name: str | None = None,
        user_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        tags: list[str] | None = None,
        *,
        create: bool = False,
        author: str | None = None,
    ) -> bool:
        """Set what is given; a missing thread is created only with ``create=True``.

        Returns whether the thread was updated (see :meth:`BaseDataLayer.update_thread` for
        ``create`` and ``author``). The row is locked while it is checked and changed, so a
        concurrent delete either comes first (nothing is written) or waits for this write.
        ``metadata`` is merged into the stored metadata (a key set to ``None`` is removed).
        ``metadata["is_shared"]`` (and ``shared_at``) set the indexed sharing columns, and
        ``metadata["app"]`` the app the thread belongs to (see ``ThreadFilter.app``), once:
        a thread that has an app keeps it.
        """
        now = conv.utc_now()
        threads = cast(Table, ThreadRow.__table__)
        identifier: str | None = None
        async with self._session(write=True) as session:
            if user_id is not None:
                identifier = await session.scalar(select(UserRow.identifier).where(UserRow.id == user_id))
                if identifier is None:
                    raise DataLayerError(f"no user with id {user_id!r}")
            locked = select(ThreadRow).where(ThreadRow.id == thread_id).with_for_update()
            row = await session.scalar(locked)
            if row is None and create and author in (None, identifier):
                # Owned from the start: there is no moment when the new row has no owner.
                owner = {"user_id": user_id, "user_identifier": identifier}
                await session.execute(
                    self._insert(threads)
                    .values(id=thread_id, created_at=now, updated_at=now, is_shared=False, **owner)
                    .on_conflict_do_nothing(index_elements=["id"])
                )
                row = await session.scalar(locked)  # or a concurrent creator's row
            if row is None or (author is not None and row.user_identifier != author):
                return False
            if create and user_id is not None and row.user_id != user_id:
                return False  # creating never takes over a thread that exists
            if name is not None:
                row.name = name
            if user_id is not None:
                row.user_id, row.user_identifier = user_id, identifier
            if tags is not None:
                row.tags = list(tags)
            if metadata is not None:
                _merge_metadata(row, metadata, now)
        return True


#: Metadata keys kept in columns of their own (indexed), not in the metadata JSON.
_COLUMN_KEYS = ("is_shared", "shared_at", "app")
#: Longest app name a thread keeps (the column's size).
MAX_APP_NAME = 255


def _merge_metadata(row: ThreadRow, metadata: dict[str, Any], now: str) -> None:
    merged = dict(row.metadata_ or {})
    for key, value in metadata.items():
        if key in _COLUMN_KEYS:
            continue
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    row.metadata_ = merged
    if "is_shared" in metadata:
        shared = bool(metadata["is_shared"])
        if shared and not row.is_shared:
            row.shared_at = conv.timestamp(metadata.get("shared_at")) or now
        elif not shared:
            row.shared_at = None
        row.is_shared = shared
    app = metadata.get("app")
    if app is not None:
        if not isinstance(app, str) or len(app) > MAX_APP_NAME:
            raise ValueError(f"a thread's app must be a string of at most {MAX_APP_NAME} characters")
        if row.app is None:  # a thread stays in the app it was made (or first resumed) in
            row.app = app or None


def _decode_step_cursor(cursor: str) -> tuple[str, int]:
    created_at, pk = conv.decode_cursor(cursor)
    if not pk.isdigit():
        raise ValueError("invalid steps cursor")
    return created_at, int(pk)


def _user(row: UserRow) -> PersistedUser:
    return PersistedUser(
        identifier=row.identifier,
        display_name=row.display_name,
        metadata=dict(row.metadata_ or {}),
        id=row.id,
        created_at=row.created_at,
    )
