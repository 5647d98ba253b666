"""The shapes the data layer speaks (the reference's ``ThreadDict``, ``Pagination``...).

API shapes are kept apart from the ORM models: the SQL implementation maps rows to these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypedDict, TypeVar

from .._util import utc_now as utc_now  # kept here too, where the data layers find it

T = TypeVar("T")


class StepDict(TypedDict, total=False):
    """The reference's serialized step (a message is a step too); ``slot`` is added on the
    wire, and ``outputLength`` there stands for an ``output`` the views have from stream deltas."""

    id: str
    threadId: str
    parentId: str | None
    name: str
    type: str
    streaming: bool
    metadata: dict[str, Any]
    tags: list[str] | None
    input: str
    output: str
    isError: bool | None
    createdAt: str | None
    start: str | None
    end: str | None
    language: str | None
    defaultOpen: bool | None
    showInput: bool | str | None
    generation: dict[str, Any] | None
    command: str
    icon: str
    autoCollapse: bool
    slot: int
    outputLength: int


@dataclass
class User:
    """A user as an identity provider describes them, before they are stored."""

    identifier: str
    display_name: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class PersistedUser(User):
    id: str = ""
    created_at: str = ""


class FeedbackDict(TypedDict, total=False):
    id: str | None
    forId: str
    threadId: str | None
    value: Literal[0, 1]
    comment: str | None


class ElementDict(TypedDict, total=False):
    id: str
    threadId: str | None
    forId: str | None
    type: str
    name: str
    display: str
    mime: str | None
    size: str | None
    language: str | None
    page: int | None
    props: dict[str, Any] | None
    objectKey: str | None
    url: str | None
    chainlitKey: str | None


class ThreadDict(TypedDict, total=False):
    id: str
    createdAt: str
    updatedAt: str  # the last activity (newest step); threads are listed newest first by it
    name: str | None
    userId: str | None
    userIdentifier: str | None
    tags: list[str] | None
    metadata: dict[str, Any] | None
    steps: list[StepDict]
    elements: list[ElementDict] | None
    # A page of the steps only (``get_thread(id, steps_limit=...)``): the cursor of the steps
    # before these (None when there are none) and how many there are.
    olderSteps: str | None
    olderCount: int


@dataclass
class Pagination:
    first: int = 20
    cursor: str | None = None


@dataclass
class ThreadFilter:
    userId: str | None = None  # noqa: N815 - the reference's field name
    search: str | None = None
    feedback: Literal[0, 1] | None = None
    #: Only the threads of this app (``ChatApp.name``, kept as the thread's ``metadata["app"]``);
    #: ``None``: every app's, and the threads made before threads had an app.
    app: str | None = None


@dataclass
class PageInfo:
    hasNextPage: bool  # noqa: N815
    startCursor: str | None  # noqa: N815
    endCursor: str | None  # noqa: N815


@dataclass
class PaginatedResponse(Generic[T]):
    pageInfo: PageInfo  # noqa: N815
    data: list[T]

    def to_dict(self) -> dict[str, Any]:
        return {
            "pageInfo": {
                "hasNextPage": self.pageInfo.hasNextPage,
                "startCursor": self.pageInfo.startCursor,
                "endCursor": self.pageInfo.endCursor,
            },
            "data": self.data,
        }
