"""Persistence: the data layer interface and its shapes."""

from .._storable import notice as unstorable_notice
from .._storable import replace_unstorable
from ._select import default_data_layer
from .base import STORE_URL_ENV, BaseDataLayer, DataLayerError
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
    "STORE_URL_ENV",
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
    "default_data_layer",
    "replace_unstorable",
    "unstorable_notice",
]
