"""Statements for writing one step (``create_step`` / ``update_step``), built once per shape.

A step write is an upsert of the step plus moving its thread's ``updated_at`` forward. On
PostgreSQL both are one statement, the upsert as a data-modifying CTE of the thread's
update (PostgreSQL runs such a CTE whether or not the statement reads it), executed in
autocommit: one round trip and one commit, and asyncpg keeps the statement prepared on
each connection. The statements are built once for each set of columns a step carries
(a new step carries them all; an update usually a few), so a write costs no statement
construction.
"""

from __future__ import annotations

from functools import cache
from typing import Any, cast

from sqlalchemy import Executable, Table, bindparam, update
from sqlalchemy.dialects import postgresql, sqlite

from .models import StepRow, ThreadRow


def newest_time(row: dict[str, Any]) -> str:
    """The step's latest moment: the thread's ``updated_at`` moves forward to it."""
    times: list[str] = [t for t in (row["created_at"], row.get("start_time"), row.get("end_time")) if t]
    return max(times)


def params(row: dict[str, Any]) -> dict[str, Any]:
    """The statements' parameters for a row from ``_convert.step_row``."""
    values = {f"v_{name}": value for name, value in row.items()}
    values["b_thread"], values["b_time"] = row["thread_id"], newest_time(row)
    return values


@cache
def step_statements(dialect: str, columns: frozenset[str], updates: frozenset[str]) -> tuple[Executable, ...]:
    """The statements that write a step with these ``columns``, updating ``updates`` of an
    existing one; run them in order with :func:`params`."""
    steps = cast(Table, StepRow.__table__)
    threads = cast(Table, ThreadRow.__table__)
    insert = postgresql.insert(steps) if dialect == "postgresql" else sqlite.insert(steps)
    values = {name: bindparam(f"v_{name}", type_=steps.c[name].type) for name in sorted(columns)}
    upsert = insert.values(values)
    if updates:
        upsert = upsert.on_conflict_do_update(
            index_elements=["id"], set_={name: upsert.excluded[name] for name in sorted(updates)}
        )
    else:
        upsert = upsert.on_conflict_do_nothing(index_elements=["id"])
    bump = (
        update(threads)
        .where(threads.c.id == bindparam("b_thread"), threads.c.updated_at < bindparam("b_time"))
        .values(updated_at=bindparam("b_time"))
    )
    if dialect == "postgresql":
        return (bump.add_cte(upsert.cte("written")),)
    return (upsert, bump)
