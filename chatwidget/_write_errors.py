"""Why a write failed: because of the record it wrote, or because the database was not there.

Written again, a record the database refused for what it holds (a value its column cannot
take, a broken constraint) fails again, however long the writer waits; a database that is
unreachable, busy or out of space may take it later. The writer drops only the first kind
(see :mod:`._persistence`), so anything it does not recognise counts as the second.
"""

from __future__ import annotations

from collections.abc import Iterator

#: SQLSTATE classes of a refused value: data exception, integrity constraint violation.
_DATA_CLASSES = ("22", "23")


def refused_for_its_data(exc: BaseException) -> bool:
    """Whether writing the same record again would fail the same way."""
    from sqlalchemy import exc as sa

    for error in _causes(exc):
        if isinstance(error, sa.DBAPIError) and error.connection_invalidated:
            return False
        if isinstance(error, (sa.DataError, sa.IntegrityError)):
            return True
        sqlstate = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
        if isinstance(sqlstate, str) and sqlstate:  # PostgreSQL's drivers say which class
            return sqlstate[:2] in _DATA_CLASSES
        if isinstance(error, (OSError, TimeoutError)):
            return False
        # A value the driver cannot send (a JSON column given a set, an integer too large):
        # raised before the database saw the statement.
        if isinstance(error, (ValueError, TypeError, OverflowError)):
            return True
    return False


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, then what it was raised from: the data layer's error wraps the driver's."""
    from sqlalchemy import exc as sa

    seen: set[int] = set()
    error: BaseException | None = exc
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        cause = error.__cause__
        if cause is None and isinstance(error, sa.StatementError) and isinstance(error.orig, BaseException):
            cause = error.orig
        error = cause
