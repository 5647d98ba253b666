"""The SQL data layer: SQLAlchemy 2.0 async on SQLite (default) or PostgreSQL."""

from .engine import URL_ENV, NetworkFilesystemWarning
from .layer import SQLDataLayer
from .migrations import HEAD as SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "URL_ENV", "NetworkFilesystemWarning", "SQLDataLayer"]
