"""The data layer interface (the reference's ``BaseDataLayer``), shared by kernel and server."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from typing import Any

from .types import (
    ElementDict,
    FeedbackDict,
    PaginatedResponse,
    Pagination,
    PersistedUser,
    StepDict,
    ThreadDict,
    ThreadFilter,
    User,
)

#: The URL of the thread store service (under JupyterHub); when set, kernels write through it.
STORE_URL_ENV = "CHATWIDGET_STORE_URL"


class DataLayerError(RuntimeError):
    """A storage operation failed; it is raised to the caller, never swallowed."""


class BaseDataLayer(ABC):
    """Users, threads, steps, elements and feedback.

    Errors propagate to the caller (``DataLayerError`` or the driver's own): a write that
    failed must never look like one that succeeded.
    """

    @abstractmethod
    async def get_user(self, identifier: str) -> PersistedUser | None: ...

    @abstractmethod
    async def create_user(self, user: User) -> PersistedUser: ...

    @abstractmethod
    async def upsert_feedback(self, feedback: FeedbackDict) -> str: ...

    @abstractmethod
    async def delete_feedback(self, feedback_id: str) -> bool: ...

    @abstractmethod
    async def create_element(self, element: ElementDict, content: bytes | None = None) -> None: ...

    @abstractmethod
    async def get_element(self, thread_id: str, element_id: str) -> ElementDict | None: ...

    @abstractmethod
    async def read_element_content(self, thread_id: str, element_id: str) -> bytes | None: ...

    async def stream_element_content(self, thread_id: str, element_id: str) -> AsyncIterator[bytes] | None:
        """Like :meth:`read_element_content`, in chunks (a backend that can streams them)."""
        content = await self.read_element_content(thread_id, element_id)
        if content is None:
            return None

        async def whole() -> AsyncIterator[bytes]:
            yield content

        return whole()

    @abstractmethod
    async def delete_element(self, element_id: str, thread_id: str | None = None) -> None: ...

    @abstractmethod
    async def create_step(self, step: StepDict) -> None: ...

    @abstractmethod
    async def update_step(self, step: StepDict) -> None: ...

    @abstractmethod
    async def delete_step(self, step_id: str) -> None: ...

    async def write_steps(self, steps: list[StepDict]) -> None:
        """Create or update many steps at once (one transaction where the backend allows)."""
        for step in steps:
            await self.update_step(step)

    @abstractmethod
    async def get_thread_author(self, thread_id: str) -> str | None: ...

    @abstractmethod
    async def delete_thread(self, thread_id: str) -> None: ...

    @abstractmethod
    async def list_threads(
        self, pagination: Pagination, filters: ThreadFilter
    ) -> PaginatedResponse[ThreadDict]: ...

    @abstractmethod
    async def get_thread(self, thread_id: str) -> ThreadDict | None: ...

    async def get_thread_page(
        self, thread_id: str, limit: int, before: str | None = None
    ) -> ThreadDict | None:
        """The thread with only its newest ``limit`` steps before the cursor ``before`` (and
        their elements), ``olderSteps`` the cursor of the steps before those, ``olderCount``
        how many they are. A layer that cannot read pages answers the whole thread as one
        page (``before`` is then never given); a resumed chat shows it all at once."""
        thread = await self.get_thread(thread_id)
        if thread is not None:
            thread["olderSteps"], thread["olderCount"] = None, 0
        return thread

    @abstractmethod
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
        """Set what is given on the thread; returns whether the thread was updated.

        A missing thread is created only with ``create=True`` (by the one writer that starts
        threads); otherwise nothing changes and ``False`` is returned, so a rename or a share
        racing a delete cannot bring the thread back. With ``create=True`` an existing thread
        keeps its owner: if ``user_id`` is not already its owner, nothing changes (``False``).
        ``author``: update only if the thread's owner (user identifier) is this one, checked
        in the same transaction as the write; otherwise ``False``.
        """

    async def authenticated_owner(self) -> str | None:
        """Who the backend itself authenticated this process as, or ``None`` when it trusts the
        owner its caller names (an embedded database). A remote store answers with the user of
        the process's token, and a kernel writes as that owner whatever its environment says."""
        return None

    async def close(self) -> None:  # noqa: B027 - optional for backends with nothing to release
        """Release connections."""
