"""Requests from the browser's MCP dialog: connect a server the user describes, disconnect one.

Same rules as :mod:`chatwidget._requests`: every field is checked here, and a connection is
made only within the app's MCP options (``McpFeature.check``), whatever the browser asks.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from . import _protocol as wire
from ._mcp_policy import first_cause
from .mcp import McpRefusedError, connection_from_dialog

if TYPE_CHECKING:
    from .chat import ChatSession

Request = Any

log = logging.getLogger("chatwidget")


def _refuse(request_id: str, code: str, message: str) -> wire.ProtocolError:
    return wire.ProtocolError(message, request_id, code)


def mcp_connect(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    """Connect the server a user described in the dialog, within the app's MCP options only."""
    name = wire.field(request, "name", str, max_chars=200)
    transport = wire.field(request, "transport", str, max_chars=40)
    target = wire.field(request, "target", str, max_chars=4_000)
    feature = chat.app.mcp
    try:
        if not feature.dialog:
            raise McpRefusedError("This app does not let its users connect MCP servers.")
        connection = connection_from_dialog(name, transport, target)
        feature.check(connection)
    except McpRefusedError as exc:
        raise _refuse(request_id, "mcp_refused", str(exc)) from None

    async def run() -> Any:
        try:
            await chat.mcp.connect(connection)
        except McpRefusedError as exc:
            raise _refuse(request_id, "mcp_refused", str(exc)) from None
        except Exception as exc:
            cause = first_cause(exc)
            log.warning("chatwidget: could not connect the MCP server %r", connection.name, exc_info=exc)
            reason = "it did not answer in time" if isinstance(cause, TimeoutError) else str(cause)[:300]
            message = f"Could not connect to {connection.name!r}: {reason or type(cause).__name__}."
            raise _refuse(request_id, "mcp_failed", message) from None
        tools = chat.mcp.tools()[connection.name]
        return {"name": connection.name, "tools": [tool["name"] for tool in tools]}

    return run()


def mcp_disconnect(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    name = wire.field(request, "name", str, max_chars=200)
    if name not in chat.mcp:
        raise _refuse(request_id, "not_found", "No MCP server of that name is connected.")

    async def run() -> Any:
        return {"disconnected": await chat.mcp.disconnect(name)}

    return run()


HANDLERS: dict[str, Any] = {
    wire.MCP_CONNECT: mcp_connect,
    wire.MCP_DISCONNECT: mcp_disconnect,
}
