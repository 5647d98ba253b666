"""ORM models of the current schema (kept apart from the API shapes in ``data.types``).

Timestamps are ISO 8601 UTC strings in one canonical form (``2024-05-01T12:00:00.000Z``),
so they sort as text on every backend; ``_convert.timestamp`` normalizes what comes in.
The migrations in ``migrations.py`` build this schema; a test checks that they agree.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

JSONType = JSON().with_variant(JSONB(), "postgresql")
ID = String(64)
TS = String(40)
#: A surrogate integer key: SQLite's rowid (stable under VACUUM, which the full-text indexes
#: rely on), an identity on PostgreSQL; it also orders rows of the same millisecond.
PK = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSONType, list[str]: JSONType}


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    identifier: Mapped[str] = mapped_column(String(255), unique=True)
    display_name: Mapped[str | None] = mapped_column(Text)
    provider: Mapped[str | None] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(255))
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType)
    created_at: Mapped[str] = mapped_column(TS)


class ThreadRow(Base):
    __tablename__ = "threads"
    __table_args__ = (
        Index("ix_threads_updated", "updated_at", "id"),
        Index("ix_threads_user_updated", "user_id", "updated_at", "id"),
        Index("ix_threads_user_app_updated", "user_id", "app", "updated_at", "id"),
    )

    pk: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(ID, unique=True)
    created_at: Mapped[str] = mapped_column(TS)
    updated_at: Mapped[str] = mapped_column(TS)
    name: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[str | None] = mapped_column(ID, ForeignKey("users.id", ondelete="SET NULL"))
    user_identifier: Mapped[str | None] = mapped_column(String(255))
    tags: Mapped[list[str] | None] = mapped_column(JSONType)
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSONType)
    is_shared: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), index=True)
    shared_at: Mapped[str | None] = mapped_column(TS)
    #: The app the thread was made in (``ChatApp.name``); ``NULL`` for threads made before
    #: threads had one (migration 6).
    app: Mapped[str | None] = mapped_column(String(255))


class StepRow(Base):
    __tablename__ = "steps"
    __table_args__ = (Index("ix_steps_thread_created", "thread_id", "created_at", "pk"),)

    pk: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(ID, unique=True)
    thread_id: Mapped[str] = mapped_column(ID, ForeignKey("threads.id", ondelete="CASCADE"))
    parent_id: Mapped[str | None] = mapped_column(ID)
    name: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(32))
    streaming: Mapped[bool | None] = mapped_column(Boolean)
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSONType)
    tags: Mapped[list[str] | None] = mapped_column(JSONType)
    input: Mapped[str | None] = mapped_column(Text)
    output: Mapped[str | None] = mapped_column(Text)
    is_error: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[str] = mapped_column(TS)
    start: Mapped[str | None] = mapped_column("start_time", TS)
    end: Mapped[str | None] = mapped_column("end_time", TS)
    language: Mapped[str | None] = mapped_column(String(64))
    default_open: Mapped[bool | None] = mapped_column(Boolean)
    show_input: Mapped[Any] = mapped_column(JSONType, nullable=True)
    generation: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    command: Mapped[str | None] = mapped_column(Text)
    icon: Mapped[str | None] = mapped_column(Text)
    auto_collapse: Mapped[bool | None] = mapped_column(Boolean)
    #: The thread's owner, copied by triggers (migration 4) for one user's search; never
    #: written by the data layer.
    user_id: Mapped[str | None] = mapped_column(ID)


class ElementRow(Base):
    __tablename__ = "elements"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    thread_id: Mapped[str] = mapped_column(ID, ForeignKey("threads.id", ondelete="CASCADE"), index=True)
    for_id: Mapped[str | None] = mapped_column(ID, index=True)
    type: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str | None] = mapped_column(Text)
    display: Mapped[str | None] = mapped_column(String(16))
    mime: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(64))
    page: Mapped[int | None] = mapped_column(Integer)
    props: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    url: Mapped[str | None] = mapped_column(Text)
    #: Generated by the data layer when bytes are stored; never an uploaded name.
    object_key: Mapped[str | None] = mapped_column(String(64))


class FeedbackRow(Base):
    __tablename__ = "feedbacks"
    __table_args__ = (Index("ix_feedbacks_thread_value", "thread_id", "value"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    for_id: Mapped[str] = mapped_column(ID, unique=True)
    thread_id: Mapped[str] = mapped_column(ID, ForeignKey("threads.id", ondelete="CASCADE"))
    value: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)


#: Seconds since the epoch (double precision on every backend).
WHEN = Float(precision=53)


class LoginSessionRow(Base):
    """A login session of the Jupyter server, keyed by the SHA-256 of its id (migration 5)."""

    __tablename__ = "login_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str | None] = mapped_column(Text)
    display_name: Mapped[str | None] = mapped_column(Text)
    avatar_url: Mapped[str | None] = mapped_column(Text)
    provider: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[float] = mapped_column(WHEN)
    expires_at: Mapped[float] = mapped_column(WHEN, index=True)


class PendingLoginRow(Base):
    """An OAuth login waiting for the provider's answer, keyed by the SHA-256 of its ``state``."""

    __tablename__ = "pending_logins"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider: Mapped[str] = mapped_column(String(64))
    code_verifier: Mapped[str] = mapped_column(Text)
    nonce: Mapped[str] = mapped_column(Text)
    next_url: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[float] = mapped_column(WHEN, index=True)
