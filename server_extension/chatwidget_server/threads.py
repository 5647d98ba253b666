"""The owner's thread API: list, get, rename, delete, share and unshare.

Every route answers only the caller's threads (see :func:`.identity.owner_of`), by the rules
the kernel's thread list follows too (:class:`chatwidget.data.threads.ThreadService`); another
user's thread and a missing one get the same 404.
"""

from __future__ import annotations

from typing import Any, Literal

from tornado import web

from chatwidget.data import ElementDict, replace_unstorable, unstorable_notice

from ._handler import ChatAPIHandler, NotFound, check_id
from ._public import private_thread
from .identity import owner_of

MAX_PAGE = 100
DEFAULT_PAGE = 20
MAX_SEARCH = 200
MAX_NAME = 255
MAX_CURSOR = 512
MAX_APP = 255


def _first(value: str | None) -> int:
    if value is None or value == "":
        return DEFAULT_PAGE
    try:
        first = int(value)
    except ValueError:
        first = 0
    if not 1 <= first <= MAX_PAGE:
        raise web.HTTPError(400, f"'first' must be an integer from 1 to {MAX_PAGE}")
    return first


def _feedback(value: str | None) -> Literal[0, 1] | None:
    if value is None or value == "":
        return None
    if value not in ("0", "1"):
        raise web.HTTPError(400, "'feedback' must be 0 or 1")
    return 1 if value == "1" else 0


def _app(value: str | None) -> str | None:
    """One app's threads (its ``ChatApp.name``); absent or empty: every app's."""
    if not value:
        return None
    if len(value) > MAX_APP:
        raise web.HTTPError(400, f"'app' is longer than {MAX_APP} characters")
    return value


class ThreadsHandler(ChatAPIHandler):
    """``GET threads?first=&cursor=&search=&feedback=&app=``: the caller's threads, newest
    first; with ``app``, only that app's."""

    @web.authenticated
    async def get(self) -> None:
        first = _first(self.get_query_argument("first", None))
        cursor = self.get_query_argument("cursor", None) or None
        if cursor is not None and len(cursor) > MAX_CURSOR:
            raise web.HTTPError(400, "invalid pagination cursor")
        search = (self.get_query_argument("search", None) or "").strip() or None
        if search is not None and len(search) > MAX_SEARCH:
            raise web.HTTPError(400, f"'search' is longer than {MAX_SEARCH} characters")
        feedback = _feedback(self.get_query_argument("feedback", None))
        app = _app(self.get_query_argument("app", None))
        # A userId in the request is ignored: the list is always the caller's.
        try:
            page = await self.threads.list(
                owner_of(self), first=first, cursor=cursor, search=search, feedback=feedback, app=app
            )
        except ValueError as exc:  # a malformed cursor
            raise web.HTTPError(400, "invalid pagination cursor") from exc
        self.write_json(page)


class ThreadHandler(ChatAPIHandler):
    """``GET/PATCH/DELETE threads/{id}``."""

    def _element_url(self, element: ElementDict) -> str | None:
        if not element.get("objectKey"):
            return None
        return self.chat_url(
            "api", "threads", str(element.get("threadId")), "elements", str(element.get("id")), "file"
        )

    @web.authenticated
    async def get(self, thread_id: str) -> None:
        thread = await self.owned_thread(thread_id)
        self.write_json(private_thread(thread, self._element_url))

    @web.authenticated
    async def patch(self, thread_id: str) -> None:
        await self.owned_thread_author(thread_id)
        body = self.json_body()
        name = body.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
            raise web.HTTPError(400, f"'name' must be a non-empty string of at most {MAX_NAME} characters")
        name, replaced = replace_unstorable(name.strip())  # a lone surrogate or a NUL: U+FFFD
        await self.owned(self.threads.rename(thread_id, owner_of(self), name))
        notice = {"notice": unstorable_notice(replaced)} if replaced else {}
        self.write_json({"id": thread_id, "name": name, **notice})

    @web.authenticated
    async def delete(self, thread_id: str) -> None:
        check_id(thread_id)
        await self.owned(self.threads.delete(thread_id, owner_of(self)))
        self.set_status(204)
        self.finish()


class ThreadShareHandler(ChatAPIHandler):
    """``PUT threads/{id}/share`` publishes the thread; ``DELETE`` withdraws it at once."""

    async def _state(self, thread_id: str) -> dict[str, Any]:
        thread = await self.data_layer.get_thread(thread_id)
        if thread is None:
            raise NotFound()
        metadata = thread.get("metadata") or {}
        shared = bool(metadata.get("is_shared"))
        return {
            "id": thread_id,
            "isShared": shared,
            "sharedAt": metadata.get("shared_at") if shared else None,
            "shareUrl": self.chat_url("share", thread_id, "page") if shared else None,
            "shareJsonUrl": self.chat_url("share", thread_id) if shared else None,
        }

    @web.authenticated
    async def get(self, thread_id: str) -> None:
        await self.owned_thread_author(thread_id)
        self.write_json(await self._state(thread_id))

    @web.authenticated
    async def put(self, thread_id: str) -> None:
        if not self.chat_app.share_enabled:
            raise web.HTTPError(403, "sharing is disabled on this server")
        check_id(thread_id)
        await self.owned(self.threads.share(thread_id, owner_of(self), True))
        self.write_json(await self._state(thread_id))

    @web.authenticated
    async def delete(self, thread_id: str) -> None:
        check_id(thread_id)
        await self.owned(self.threads.share(thread_id, owner_of(self), False))
        self.write_json(await self._state(thread_id))


ROUTES = [
    (r"api/threads", ThreadsHandler),
    (r"api/threads/([^/]+)", ThreadHandler),
    (r"api/threads/([^/]+)/share", ThreadShareHandler),
]
