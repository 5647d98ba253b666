"""``RemoteDataLayer``: the data layer as a client of chatwidget's thread store service.

Under JupyterHub the store (``python -m chatwidget_server.store``, a hub service) alone
holds the database and object-store credentials; kernels and single-user servers reach it
over HTTP with the hub token of their server (``$JUPYTERHUB_API_TOKEN``). The store decides
who the caller is from that token, and answers about the caller's own threads only: the
owner identifiers this client passes (``author``, ``user_id``, a ``userId`` filter) are never
trusted there, and :meth:`authenticated_owner` tells the kernel who it writes as.

Answers map to the interface's: a missing or foreign thread is ``None`` / ``False``; a
refusal (401, 403, 400) and an unreachable or failing store (5xx, connection errors) raise
:class:`DataLayerError` with the store's message, so the chat reports a write that did not
happen. One ``httpx.AsyncClient`` per event loop is reused and closed by :meth:`close`.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Any, cast
from urllib.parse import quote

import httpx

from .base import STORE_URL_ENV, BaseDataLayer, DataLayerError
from .types import (
    ElementDict,
    FeedbackDict,
    PageInfo,
    PaginatedResponse,
    Pagination,
    PersistedUser,
    StepDict,
    ThreadDict,
    ThreadFilter,
    User,
)

#: The token the store authenticates: the hub token of the user's server.
TOKEN_ENV = "JUPYTERHUB_API_TOKEN"  # noqa: S105 - the name of a variable
#: The store's API version, in every path.
API = "api/v1/"


def _segment(value: str) -> str:
    return quote(str(value), safe="")


class RemoteDataLayer(BaseDataLayer):
    """Threads, steps, elements and feedback kept by the thread store service.

    ``url`` defaults to ``$CHATWIDGET_STORE_URL`` and ``token`` to
    ``$JUPYTERHUB_API_TOKEN``, both read at the first request. ``timeout`` is per request,
    in seconds.
    """

    def __init__(self, url: str | None = None, *, token: str | None = None, timeout: float = 30.0) -> None:
        self._url_arg = url
        self._token_arg = token
        self._timeout = timeout
        self._clients: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}
        self._owner: str | None = None
        self._closed = False

    # -- transport ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        url = self._url_arg or os.environ.get(STORE_URL_ENV, "")
        if not url:
            raise DataLayerError(f"no thread store URL: set {STORE_URL_ENV}")
        return url if url.endswith("/") else url + "/"

    def _client(self) -> httpx.AsyncClient:
        if self._closed:
            raise DataLayerError("the data layer is closed")
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            token = self._token_arg or os.environ.get(TOKEN_ENV, "")
            if not token:
                raise DataLayerError(f"no token for the thread store: {TOKEN_ENV} is not set")
            # A client belongs to the loop it runs on; a second loop (a worker thread's) gets its own.
            for other in [o for o in self._clients if o.is_closed()]:
                del self._clients[other]
            client = self._clients[loop] = httpx.AsyncClient(
                base_url=self.url + API,
                headers={"Authorization": f"token {token}"},
                timeout=self._timeout,
                follow_redirects=False,
            )
        return client

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: dict[str, str] | None = None,
        files: dict[str, Any] | None = None,
        data: dict[str, str] | None = None,
        missing_ok: bool = False,
    ) -> httpx.Response | None:
        """The store's answer; ``None`` for a 404 when ``missing_ok``, else an error raised."""
        try:
            response = await self._client().request(
                method, path, json=json_body, params=params, files=files, data=data
            )
        except httpx.HTTPError as exc:
            raise DataLayerError(f"the thread store at {self.url} is unreachable: {exc}") from exc
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code >= 400:
            raise DataLayerError(f"the thread store refused the request ({_reason(response)})")
        return response

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self._request(method, path, **kwargs)
        if response is None:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise DataLayerError("the thread store answered something that is not JSON") from exc

    async def close(self) -> None:
        self._closed = True
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()

    # -- who -----------------------------------------------------------------------------

    async def authenticated_owner(self) -> str | None:
        """The owner identifier the store authenticated from this process's token."""
        if self._owner is None:
            answer = await self._json("GET", "whoami")
            self._owner = str(answer["identifier"])
        return self._owner

    # -- users ---------------------------------------------------------------------------

    async def get_user(self, identifier: str) -> PersistedUser | None:
        answer = await self._json("GET", f"users/{_segment(identifier)}", missing_ok=True)
        return None if answer is None else _user(answer)

    async def create_user(self, user: User) -> PersistedUser:
        return _user(await self._json("POST", "users", json_body=asdict(user)))

    # -- feedback ------------------------------------------------------------------------

    async def upsert_feedback(self, feedback: FeedbackDict) -> str:
        answer = await self._json("POST", "feedback", json_body=dict(feedback), missing_ok=True)
        if answer is None:
            raise DataLayerError(f"no step {feedback.get('forId')!r} in a thread of yours")
        return str(answer["id"])

    async def delete_feedback(self, feedback_id: str) -> bool:
        return await self._request("DELETE", f"feedback/{_segment(feedback_id)}", missing_ok=True) is not None

    # -- elements ------------------------------------------------------------------------

    def _element_path(self, thread_id: str, element_id: str) -> str:
        return f"threads/{_segment(thread_id)}/elements/{_segment(element_id)}"

    async def create_element(self, element: ElementDict, content: bytes | None = None) -> None:
        element_id, thread_id = element.get("id"), element.get("threadId")
        if not element_id or not thread_id:
            raise ValueError("an element needs an 'id' and a 'threadId'")
        files = (
            None if content is None else {"content": ("content", bytes(content), "application/octet-stream")}
        )
        answer = await self._request(
            "PUT",
            self._element_path(thread_id, element_id),
            data={"element": json.dumps(dict(element))},
            files=files,
            missing_ok=True,
        )
        if answer is None:
            raise DataLayerError(f"no thread {thread_id!r} of yours for element {element_id!r}")

    async def get_element(self, thread_id: str, element_id: str) -> ElementDict | None:
        answer = await self._json("GET", self._element_path(thread_id, element_id), missing_ok=True)
        return cast(ElementDict | None, answer)

    async def read_element_content(self, thread_id: str, element_id: str) -> bytes | None:
        path = self._element_path(thread_id, element_id) + "/content"
        response = await self._request("GET", path, missing_ok=True)
        return None if response is None else response.content

    async def stream_element_content(self, thread_id: str, element_id: str) -> AsyncIterator[bytes] | None:
        """The bytes as the store sends them: a large element is never held whole here."""
        path = self._element_path(thread_id, element_id) + "/content"
        client = self._client()
        try:
            response = await client.send(client.build_request("GET", path), stream=True)
        except httpx.HTTPError as exc:
            raise DataLayerError(f"the thread store at {self.url} is unreachable: {exc}") from exc
        if response.status_code >= 400:
            await response.aread()
            await response.aclose()
            if response.status_code == 404:
                return None
            raise DataLayerError(f"the thread store refused the request ({_reason(response)})")

        async def chunks() -> AsyncIterator[bytes]:
            try:
                async for chunk in response.aiter_bytes():
                    yield chunk
            except httpx.HTTPError as exc:
                raise DataLayerError(f"the thread store stopped sending the element: {exc}") from exc
            finally:
                await response.aclose()

        return chunks()

    async def delete_element(self, element_id: str, thread_id: str | None = None) -> None:
        path = f"elements/{_segment(element_id)}"
        await self._request(
            "DELETE", path, params={"threadId": thread_id} if thread_id else None, missing_ok=True
        )

    # -- steps ---------------------------------------------------------------------------

    async def create_step(self, step: StepDict) -> None:
        await self.write_steps([step])

    async def update_step(self, step: StepDict) -> None:
        await self.write_steps([step])

    async def write_steps(self, steps: list[StepDict]) -> None:
        """One request for the batch; the store writes all of it or none of it."""
        if not steps:
            return
        answer = await self._request("POST", "steps", json_body={"steps": steps}, missing_ok=True)
        if answer is None:
            raise DataLayerError("a step of the batch is not in a thread of yours; nothing was written")

    async def delete_step(self, step_id: str) -> None:
        await self._request("DELETE", f"steps/{_segment(step_id)}", missing_ok=True)

    # -- threads -------------------------------------------------------------------------

    async def get_thread_author(self, thread_id: str) -> str | None:
        answer = await self._json("GET", f"threads/{_segment(thread_id)}/author", missing_ok=True)
        return None if answer is None else str(answer["identifier"])

    async def delete_thread(self, thread_id: str) -> None:
        await self._request("DELETE", f"threads/{_segment(thread_id)}", missing_ok=True)

    async def list_threads(
        self, pagination: Pagination, filters: ThreadFilter
    ) -> PaginatedResponse[ThreadDict]:
        """The caller's threads (the store ignores ``filters.userId``: the list is always theirs)."""
        params = {"first": str(pagination.first)}
        if pagination.cursor:
            params["cursor"] = pagination.cursor
        if filters.search:
            params["search"] = filters.search
        if filters.feedback is not None:
            params["feedback"] = str(filters.feedback)
        if filters.app is not None:
            params["app"] = filters.app
        answer = await self._json("GET", "threads", params=params)
        info = answer["pageInfo"]
        return PaginatedResponse(
            pageInfo=PageInfo(
                hasNextPage=bool(info["hasNextPage"]),
                startCursor=info.get("startCursor"),
                endCursor=info.get("endCursor"),
            ),
            data=list(answer["data"]),
        )

    async def get_thread(self, thread_id: str) -> ThreadDict | None:
        answer = await self._json("GET", f"threads/{_segment(thread_id)}", missing_ok=True)
        return cast(ThreadDict | None, answer)

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
        """As the interface says, with the store's caller as the owner and the author.

        ``user_id`` and ``author``, if given, must be the caller's (else ``False``): the
        store never writes a thread for another owner.
        """
        body: dict[str, Any] = {"create": create}
        for key, value in (
            ("name", name),
            ("metadata", metadata),
            ("tags", tags),
            ("userId", user_id),
            ("author", author),
        ):
            if value is not None:
                body[key] = value
        answer = await self._json("PUT", f"threads/{_segment(thread_id)}", json_body=body)
        return bool(answer["updated"])


def _reason(response: httpx.Response) -> str:
    try:
        message = response.json().get("message")
    except (ValueError, AttributeError):
        message = None
    return f"{response.status_code}: {message}" if message else str(response.status_code)


def _user(data: dict[str, Any]) -> PersistedUser:
    return PersistedUser(
        identifier=str(data["identifier"]),
        display_name=data.get("display_name"),
        metadata=dict(data.get("metadata") or {}),
        id=str(data.get("id") or ""),
        created_at=str(data.get("created_at") or ""),
    )
