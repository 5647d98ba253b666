"""The store's API (``{prefix}api/v1/...``): the data layer's operations, for the caller only.

Every request is authenticated (:mod:`._caller`) before its body is read; every id it names
is checked against the caller's threads (:mod:`._owners`) before anything is read or
written. A thread, step, element or feedback that is not the caller's answers 404, exactly
like one that does not exist; a write naming one is refused whole. Errors are JSON
``{"message": ...}``: 400 for malformed input, 401/403 for the token, 404, and 503 when the
database or the element storage fails (details go to the log, never to the caller).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any, Literal

from tornado import web

from chatwidget.data import DataLayerError, Pagination, ThreadFilter, User
from chatwidget.data.sql import SQLDataLayer

from .._json import JSONHandlerMixin
from ._caller import Caller, authenticate
from ._owners import Owners

log = logging.getLogger("chatwidget.store")

_ID = re.compile(r"[A-Za-z0-9_.:@-]{1,255}")
MAX_PAGE = 100
MAX_SEARCH = 200
MAX_NAME = 255
MAX_CURSOR = 512
_GENERIC = {404: "Not found", 500: "Internal server error", 503: "Storage is unavailable; try again later"}


class NotFound(web.HTTPError):
    def __init__(self) -> None:
        super().__init__(404)


def check_id(value: object) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise NotFound()
    return value


class StoreHandler(JSONHandlerMixin, web.RequestHandler):
    caller: Caller

    @property
    def layer(self) -> SQLDataLayer:
        layer: SQLDataLayer = self.settings["store_layer"]
        return layer

    @property
    def owners(self) -> Owners:
        owners: Owners = self.settings["store_owners"]
        return owners

    async def prepare(self) -> None:
        self.caller = await authenticate(self.settings["hub_auth"], self.request.headers)

    def check_xsrf_cookie(self) -> None:
        """Token-authenticated API: no cookies are read, so there is nothing to forge."""

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, DataLayerError):
            status_code = 503
            log.error("chatwidget store: storage error: %s", exc)
        self.set_status(status_code)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        if isinstance(exc, web.HTTPError) and 400 <= status_code < 500 and status_code != 404:
            message = exc.log_message or self._reason
        else:
            message = _GENERIC.get(status_code, self._reason)
        self.finish(json.dumps({"message": message}))

    async def owned_thread_id(self, thread_id: str) -> str:
        check_id(thread_id)
        if not await self.owners.owns(self.caller.identifier, thread_id):
            raise NotFound()
        return thread_id

    async def caller_user_id(self, create: bool) -> str | None:
        user = await self.layer.get_user(self.caller.identifier)
        if user is None and create:
            user = await self.layer.create_user(User(identifier=self.caller.identifier))
        return None if user is None else user.id


def _user_json(user: Any) -> dict[str, Any]:
    return {
        "identifier": user.identifier,
        "display_name": user.display_name,
        "metadata": user.metadata,
        "id": user.id,
        "created_at": user.created_at,
    }


class WhoAmIHandler(StoreHandler):
    async def get(self) -> None:
        user = await self.layer.get_user(self.caller.identifier)
        self.write_json({"identifier": self.caller.identifier, "user": user and _user_json(user)})


class UsersHandler(StoreHandler):
    async def post(self) -> None:
        body = self.json_body()
        if body.get("identifier") != self.caller.identifier:
            raise web.HTTPError(403, f"this token is {self.caller.identifier!r}'s; it creates no other user")
        display_name, metadata = body.get("display_name"), body.get("metadata") or {}
        if display_name is not None and not isinstance(display_name, str):
            raise web.HTTPError(400, "'display_name' must be a string")
        if not isinstance(metadata, dict):
            raise web.HTTPError(400, "'metadata' must be an object")
        user = await self.layer.create_user(User(self.caller.identifier, display_name, metadata))
        self.write_json(_user_json(user))


class UserHandler(StoreHandler):
    async def get(self, identifier: str) -> None:
        user = await self.layer.get_user(identifier) if identifier == self.caller.identifier else None
        if user is None:
            raise NotFound()
        self.write_json(_user_json(user))


class ThreadsHandler(StoreHandler):
    async def get(self) -> None:
        try:
            first = int(self.get_query_argument("first", "20"))
        except ValueError:
            first = 0
        if not 1 <= first <= MAX_PAGE:
            raise web.HTTPError(400, f"'first' must be an integer from 1 to {MAX_PAGE}")
        cursor = self.get_query_argument("cursor", None) or None
        search = (self.get_query_argument("search", None) or "").strip() or None
        feedback_arg = self.get_query_argument("feedback", None)
        if (cursor and len(cursor) > MAX_CURSOR) or (search and len(search) > MAX_SEARCH):
            raise web.HTTPError(400, "'cursor' or 'search' is too long")
        app = self.get_query_argument("app", None)
        if app is not None and len(app) > MAX_NAME:
            raise web.HTTPError(400, f"'app' is longer than {MAX_NAME} characters")
        if feedback_arg not in (None, "", "0", "1"):
            raise web.HTTPError(400, "'feedback' must be 0 or 1")
        feedback: Literal[0, 1] | None = 1 if feedback_arg == "1" else 0 if feedback_arg == "0" else None
        user_id = await self.caller_user_id(create=False)
        if user_id is None:
            empty = {"hasNextPage": False, "startCursor": None, "endCursor": None}
            self.write_json({"pageInfo": empty, "data": []})
            return
        try:
            page = await self.layer.list_threads(
                Pagination(first=first, cursor=cursor),
                ThreadFilter(
                    userId=user_id,
                    search=search,
                    feedback=feedback,
                    app=app,
                ),
            )
        except ValueError as exc:
            raise web.HTTPError(400, "invalid pagination cursor") from exc
        self.write_json(page.to_dict())


class ThreadHandler(StoreHandler):
    async def get(self, thread_id: str) -> None:
        await self.owned_thread_id(thread_id)
        thread = await self.layer.get_thread(thread_id)
        if thread is None:
            raise NotFound()
        self.write_json(thread)

    async def put(self, thread_id: str) -> None:
        """Create or update; ``{"updated": bool}`` as ``update_thread`` returns it."""
        check_id(thread_id)
        body = self.json_body()
        create = body.get("create") is True
        name, metadata, tags = body.get("name"), body.get("metadata"), body.get("tags")
        if name is not None and (not isinstance(name, str) or len(name) > MAX_NAME):
            raise web.HTTPError(400, f"'name' must be a string of at most {MAX_NAME} characters")
        if metadata is not None and not isinstance(metadata, dict):
            raise web.HTTPError(400, "'metadata' must be an object")
        app = (metadata or {}).get("app")
        if app is not None and (not isinstance(app, str) or len(app) > MAX_NAME):
            raise web.HTTPError(400, f"'metadata.app' must be a string of at most {MAX_NAME} characters")
        if tags is not None and not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
            raise web.HTTPError(400, "'tags' must be a list of strings")
        user_id = await self.caller_user_id(create=create)
        named_user, named_author = body.get("userId"), body.get("author")
        # The thread is only ever written for the caller: naming anyone else changes nothing.
        if (named_user is not None and named_user != user_id) or (
            named_author is not None and named_author != self.caller.identifier
        ):
            self.write_json({"updated": False})
            return
        updated = await self.layer.update_thread(
            thread_id,
            name=name,
            user_id=user_id if create else None,
            metadata=metadata,
            tags=tags,
            create=create,
            author=self.caller.identifier,
        )
        self.write_json({"updated": updated})

    async def delete(self, thread_id: str) -> None:
        await self.owned_thread_id(thread_id)
        await self.layer.delete_thread(thread_id)
        self.set_status(204)
        self.finish()


class ThreadAuthorHandler(StoreHandler):
    async def get(self, thread_id: str) -> None:
        await self.owned_thread_id(thread_id)
        self.write_json({"identifier": self.caller.identifier})


class StepsHandler(StoreHandler):
    async def post(self) -> None:
        """A batch of steps: written whole if every step is in (or moves within) the caller's
        threads, else refused whole (404)."""
        steps = self.json_body().get("steps")
        if not isinstance(steps, list) or not all(isinstance(s, dict) for s in steps):
            raise web.HTTPError(400, "'steps' must be a list of step objects")
        for step in steps:
            check_id(step.get("id")), check_id(step.get("threadId"))
        existing = await self.owners.step_threads(s["id"] for s in steps)
        named = {s["threadId"] for s in steps} | set(existing.values())
        if await self.owners.owned_threads(self.caller.identifier, named) != named:
            raise NotFound()
        try:
            await self.layer.write_steps(steps)  # type: ignore[arg-type]
        except (ValueError, TypeError, KeyError) as exc:
            raise web.HTTPError(400, f"malformed step: {exc}") from exc
        self.write_json({"written": len(steps)})


class StepHandler(StoreHandler):
    async def delete(self, step_id: str) -> None:
        check_id(step_id)
        thread_id = (await self.owners.step_threads([step_id])).get(step_id)
        if thread_id is None or not await self.owners.owns(self.caller.identifier, thread_id):
            raise NotFound()
        await self.layer.delete_step(step_id)
        self.set_status(204)
        self.finish()


class ElementHandler(StoreHandler):
    async def get(self, thread_id: str, element_id: str) -> None:
        await self.owned_thread_id(thread_id)
        element = await self.layer.get_element(thread_id, check_id(element_id))
        if element is None:
            raise NotFound()
        self.write_json(element)

    async def put(self, thread_id: str, element_id: str) -> None:
        """``multipart/form-data``: ``element`` (the JSON element), ``content`` (its bytes, optional)."""
        await self.owned_thread_id(thread_id)
        check_id(element_id)
        if await self.owners.element_thread(element_id) not in (None, thread_id):
            raise NotFound()
        try:
            element = json.loads(self.get_body_argument("element"))
        except (web.MissingArgumentError, ValueError) as exc:
            raise web.HTTPError(400, "'element' must be a JSON object") from exc
        if not isinstance(element, dict):
            raise web.HTTPError(400, "'element' must be a JSON object")
        element.update(id=element_id, threadId=thread_id)
        files = self.request.files.get("content")
        content = files[0]["body"] if files else None
        await self.layer.create_element(element, content)  # type: ignore[arg-type]
        self.write_json({"id": element_id})


class ElementContentHandler(StoreHandler):
    async def get(self, thread_id: str, element_id: str) -> None:
        await self.owned_thread_id(thread_id)
        chunks = await self.layer.stream_element_content(thread_id, check_id(element_id))
        if chunks is None:
            raise NotFound()
        self.set_header("Content-Type", "application/octet-stream")
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")
        async for chunk in chunks:  # as the storage gives them: the element is never held whole
            self.write(chunk)
            await self.flush()
        await self.finish()


class ElementDeleteHandler(StoreHandler):
    async def delete(self, element_id: str) -> None:
        check_id(element_id)
        thread_id = await self.owners.element_thread(element_id)
        wanted = self.get_query_argument("threadId", None)
        if thread_id is None or wanted not in (None, thread_id):
            raise NotFound()
        await self.owned_thread_id(thread_id)
        await self.layer.delete_element(element_id, thread_id)
        self.set_status(204)
        self.finish()


class FeedbacksHandler(StoreHandler):
    async def post(self) -> None:
        feedback = self.json_body()
        for_id = check_id(feedback.get("forId"))
        thread_id = (await self.owners.step_threads([for_id])).get(for_id) or feedback.get("threadId")
        if not isinstance(thread_id, str):
            raise NotFound()
        await self.owned_thread_id(thread_id)
        feedback["threadId"] = thread_id
        if feedback.get("id") is not None:  # an id that is another thread's is not taken over
            check_id(feedback["id"])
            if await self.owners.feedback_thread(feedback_id=feedback["id"]) not in (None, thread_id):
                raise NotFound()
        try:
            feedback_id = await self.layer.upsert_feedback(feedback)  # type: ignore[arg-type]
        except ValueError as exc:
            raise web.HTTPError(400, str(exc)) from exc
        self.write_json({"id": feedback_id})


class FeedbackHandler(StoreHandler):
    async def delete(self, feedback_id: str) -> None:
        check_id(feedback_id)
        thread_id = await self.owners.feedback_thread(feedback_id=feedback_id)
        if thread_id is None:
            raise NotFound()
        await self.owned_thread_id(thread_id)
        if not await self.layer.delete_feedback(feedback_id):
            raise NotFound()
        self.set_status(204)
        self.finish()


_PART = r"([^/]+)"
ROUTES = [
    (r"whoami", WhoAmIHandler),
    (r"users", UsersHandler),
    (rf"users/{_PART}", UserHandler),
    (r"threads", ThreadsHandler),
    (rf"threads/{_PART}", ThreadHandler),
    (rf"threads/{_PART}/author", ThreadAuthorHandler),
    (rf"threads/{_PART}/elements/{_PART}", ElementHandler),
    (rf"threads/{_PART}/elements/{_PART}/content", ElementContentHandler),
    (rf"elements/{_PART}", ElementDeleteHandler),
    (r"steps", StepsHandler),
    (rf"steps/{_PART}", StepHandler),
    (r"feedback", FeedbacksHandler),
    (rf"feedback/{_PART}", FeedbackHandler),
]


class NotFoundHandler(web.RequestHandler):
    """Any other path: the same generic 404, before and without authentication."""

    def prepare(self) -> None:
        self.set_status(404)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps({"message": "Not found"}))
