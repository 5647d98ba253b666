"""The owner's threads: one set of rules for the kernel's thread list and the server's REST API.

Every operation takes the caller's owner identifier (see :mod:`chatwidget.identity`) and
answers only that owner's threads: another owner's thread raises exactly what a missing one
raises (:class:`ThreadNotFoundError`). Changes are checked against the owner again inside
the write itself, so a thread deleted (or given away) since it was read stays that way.
"""

from __future__ import annotations

from typing import Any, Literal

from .base import BaseDataLayer
from .types import Pagination, ThreadDict, ThreadFilter, utc_now

EMPTY_PAGE: dict[str, Any] = {"pageInfo": {"hasNextPage": False, "startCursor": None, "endCursor": None}}


class ThreadNotFoundError(LookupError):
    """No such thread for this owner (missing, or another owner's: the two look the same)."""

    def __init__(self) -> None:
        super().__init__("No such thread.")


def is_shared(thread: ThreadDict) -> bool:
    return bool((thread.get("metadata") or {}).get("is_shared"))


def thread_summary(thread: ThreadDict) -> dict[str, Any]:
    """A thread as a list shows it to its owner: no steps or elements, whether it is shared,
    and the app it was made in (``None`` for threads made before threads had one)."""
    summary: dict[str, Any] = {k: v for k, v in thread.items() if k not in ("steps", "elements")}
    summary["shared"] = is_shared(thread)
    summary["app"] = (thread.get("metadata") or {}).get("app")
    return summary


class ThreadService:
    """List, read, rename, delete and share the threads of one data layer, owner by owner."""

    def __init__(self, layer: BaseDataLayer) -> None:
        self.layer = layer

    async def check_owner(self, thread_id: str, owner: str | None) -> str:
        """The thread's author if it is ``owner``; else :class:`ThreadNotFoundError`."""
        author = await self.layer.get_thread_author(thread_id) if owner else None
        if author is None or author != owner:
            raise ThreadNotFoundError()
        return author

    async def get(self, thread_id: str, owner: str | None) -> ThreadDict:
        await self.check_owner(thread_id, owner)
        thread = await self.layer.get_thread(thread_id)
        if thread is None:  # deleted in between
            raise ThreadNotFoundError()
        return thread

    async def get_page(
        self, thread_id: str, owner: str | None, limit: int, before: str | None = None
    ) -> ThreadDict:
        """The owner's thread with one page of its steps (see ``BaseDataLayer.get_thread_page``)."""
        await self.check_owner(thread_id, owner)
        thread = await self.layer.get_thread_page(thread_id, limit, before)
        if thread is None:
            raise ThreadNotFoundError()
        return thread

    async def list(
        self,
        owner: str | None,
        *,
        first: int = 20,
        cursor: str | None = None,
        search: str | None = None,
        feedback: Literal[0, 1] | None = None,
        app: str | None = None,
    ) -> dict[str, Any]:
        """One page of the owner's threads, newest first: ``{"pageInfo", "data": [summaries]}``.

        ``app``: only that app's threads (``ChatApp.name``); ``None``: every app's, with the
        threads made before threads had an app. A malformed ``cursor`` raises ``ValueError``.
        """
        user = await self.layer.get_user(owner) if owner else None
        if user is None:
            return {**EMPTY_PAGE, "data": []}
        page = await self.layer.list_threads(
            Pagination(first=first, cursor=cursor),
            ThreadFilter(userId=user.id, search=search or None, feedback=feedback, app=app),
        )
        result = page.to_dict()
        result["data"] = [thread_summary(t) for t in page.data]
        return result

    async def _update(self, thread_id: str, owner: str | None, **changes: Any) -> None:
        author = await self.check_owner(thread_id, owner)
        if not await self.layer.update_thread(thread_id, author=author, **changes):
            raise ThreadNotFoundError()

    async def rename(self, thread_id: str, owner: str | None, name: str) -> None:
        await self._update(thread_id, owner, name=name)

    async def share(self, thread_id: str, owner: str | None, shared: bool) -> None:
        """Publish the thread (``shared``) or withdraw it at once."""
        metadata = {"is_shared": shared, "shared_at": utc_now() if shared else None}
        await self._update(thread_id, owner, metadata=metadata)

    async def delete(self, thread_id: str, owner: str | None) -> None:
        await self.check_owner(thread_id, owner)
        await self.layer.delete_thread(thread_id)
