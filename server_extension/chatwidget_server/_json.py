"""JSON in and out of a Tornado handler: the private API's and the thread store's alike."""

from __future__ import annotations

import json
from typing import Any

from tornado import web


class JSONHandlerMixin:
    """Mixed into a ``tornado.web.RequestHandler``: answers are never cached."""

    request: Any
    set_status: Any
    set_header: Any
    finish: Any

    def write_json(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(data))

    def json_body(self) -> dict[str, Any]:
        """The request's JSON object; 400 for anything else."""
        try:
            body = json.loads(self.request.body or b"{}")
        except ValueError as exc:
            raise web.HTTPError(400, "the body is not JSON") from exc
        if not isinstance(body, dict):
            raise web.HTTPError(400, "the body must be a JSON object")
        return body
