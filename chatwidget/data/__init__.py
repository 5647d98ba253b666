"""Persistence: the data layer interface and its shapes."""

from .base import BaseDataLayer, DataLayerError
from .types import (
    ElementDict,
    FeedbackDict,
    PageInfo,
    PaginatedResponse,
    Pagination,
    PersistedUser,
    ThreadDict,
    ThreadFilter,
    User,
)

__all__ = [
    "BaseDataLayer",
    "DataLayerError",
    "ElementDict",
    "FeedbackDict",
    "PageInfo",
    "PaginatedResponse",
    "Pagination",
    "PersistedUser",
    "ThreadDict",
    "ThreadFilter",
    "User",
]
