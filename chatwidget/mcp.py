"""MCP servers in a chat: the app's options, connections, and the tools an LLM app calls.

``ChatApp(mcp=cw.McpFeature(...))`` decides what may be connected (nothing by default);
``app.mcp_servers`` holds the servers of the chat; the connect dialog of the widget and
``await app.connect_mcp(connection)`` both go through the same checks. Each connection
gives the ``mcp`` SDK's own ``ClientSession`` to ``@app.on_mcp_connect``. A chat's servers
are disconnected when the chat ends (``new_chat()``, ``close()``) and when the kernel shuts
down or restarts (``on_mcp_disconnect`` runs then too, within a short bound); stdio servers
still running when the kernel exits are ended then.

``pip install "chatwidget[mcp]"`` brings the SDK; importing chatwidget never imports it.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from . import _mcp_shutdown
from ._mcp_options import (
    McpConnection,
    McpFeature,
    McpSseConnection,
    McpStdioConnection,
    McpStreamableHttpConnection,
    connection_from_dialog,
)
from ._mcp_policy import McpRefusedError, first_cause
from .step import Step

if sys.version_info < (3, 11):
    pass

if TYPE_CHECKING:
    from mcp import ClientSession
    from mcp.types import CallToolResult

    from ._mcp_link import McpLink

__all__ = [
    "McpConnection",
    "McpFeature",
    "McpRefusedError",
    "McpServers",
    "McpSseConnection",
    "McpStdioConnection",
    "McpStreamableHttpConnection",
    "connection_from_dialog",
    "result_text",
]

_CONNECTION_CLOSED = -32000  # the SDK's error code for a session whose transport closed


def _links_module() -> Any:
    """The connection machinery, imported when first needed: it needs the ``mcp`` extra."""
    try:
        from . import _mcp_link
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(
            f"MCP servers need the mcp SDK ({exc.name} is missing): pip install 'chatwidget[mcp]'",
            name=exc.name,
        ) from exc
    return _mcp_link


def connection_lost(exc: BaseException) -> bool:
    """Whether a call failed because the server is gone (not a tool's error, not a timeout)."""
    code = getattr(getattr(exc, "error", None), "code", None)
    return code == _CONNECTION_CLOSED or isinstance(exc, ConnectionError | EOFError)


def _content_text(block: Any) -> str:
    kind = getattr(block, "type", "")
    if kind == "text":
        return str(block.text)
    if kind in ("image", "audio"):
        return f"[{kind} {block.mimeType}]"
    if kind == "resource_link":
        return f"[resource {block.uri}]"
    if kind == "resource":
        resource = block.resource
        return str(getattr(resource, "text", None) or f"[resource {resource.uri}]")
    return f"[{kind}]"


def result_text(result: CallToolResult) -> str:
    """A tool result as text: its text blocks, or its structured content as JSON."""
    if result.content:
        return "\n".join(_content_text(block) for block in result.content)
    if result.structuredContent is not None:
        return json.dumps(result.structuredContent, ensure_ascii=False)
    return ""


class McpServers:
    """The MCP servers connected to one chat, by name.

    ``on_connect(connection, session)`` and ``on_disconnect(name, session)`` are awaited in
    the chat's context; ``on_change(servers)`` gets the views' description of the list.
    """

    def __init__(
        self,
        feature: Callable[[], McpFeature],
        *,
        on_connect: Callable[[McpConnection, ClientSession], Awaitable[None]] | None = None,
        on_disconnect: Callable[[str, ClientSession], Awaitable[None]] | None = None,
        on_change: Callable[[list[dict[str, Any]]], None] | None = None,
    ) -> None:
        self._feature = feature
        self._on_connect = on_connect
        self._on_disconnect = on_disconnect
        self._on_change = on_change
        self._links: dict[str, McpLink] = {}
        self._connecting: set[str] = set()

    # -- reading --------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return list(self._links)

    def __contains__(self, name: object) -> bool:
        return name in self._links

    def __len__(self) -> int:
        return len(self._links)

    def session(self, name: str) -> ClientSession:
        """The ``ClientSession`` of the server ``name`` (KeyError if not connected)."""
        session = self._links[name].session
        assert session is not None
        return session

    def connection(self, name: str) -> McpConnection:
        return self._links[name].connection

    def pid(self, name: str) -> int | None:
        """The process id of a stdio server (None for HTTP servers, or if it cannot be seen)."""
        return self._links[name].pid

    def describe(self) -> list[dict[str, Any]]:
        """The list as the views show it: name, transport, target and tool names."""
        return [
            {
                "name": name,
                "transport": link.connection.client_type,
                "target": link.connection.target()[:500],
                "tools": [tool.name for tool in link.tools],
            }
            for name, link in self._links.items()
        ]

    def tools(self) -> dict[str, list[dict[str, Any]]]:
        """Each server's tools in the reference's shape: ``{"name", "description", "input_schema"}``."""
        return {
            name: [
                {"name": t.name, "description": t.description or "", "input_schema": t.inputSchema}
                for t in link.tools
            ]
            for name, link in self._links.items()
        }

    def openai_tools(self) -> list[dict[str, Any]]:
        """Every connected tool as an OpenAI function-calling spec (first server wins a name)."""
        specs: dict[str, dict[str, Any]] = {}
        for tools in self.tools().values():
            for tool in tools:
                specs.setdefault(
                    tool["name"],
                    {
                        "type": "function",
                        "function": {
                            "name": tool["name"],
                            "description": tool["description"],
                            "parameters": tool["input_schema"],
                        },
                    },
                )
        return list(specs.values())

    def server_of(self, tool: str) -> str | None:
        """The first connected server that offers ``tool``."""
        for name, link in self._links.items():
            if any(t.name == tool for t in link.tools):
                return name
        return None

    # -- connecting -----------------------------------------------------------------------
    async def connect(self, connection: McpConnection) -> ClientSession:
        """Check ``connection`` against the app's options, connect it, run ``on_connect``.

        A server of the same name is disconnected first. Raises McpRefusedError when the options
        do not allow it, or what the transport raised when the server cannot be reached.
        """
        feature = self._feature()
        executable = feature.check(connection)
        name = connection.name
        if name in self._connecting:
            raise McpRefusedError(f"The server {name!r} is already connecting.")
        if len(set(self._links) | self._connecting | {name}) > feature.max_servers:
            raise McpRefusedError(f"This chat may connect at most {feature.max_servers} MCP servers.")
        self._connecting.add(name)
        try:
            if name in self._links:
                await self.disconnect(name)
            link: McpLink = _links_module().McpLink(connection, executable, feature.allowed_urls, self._lost)
            await link.open(feature.connect_timeout)
        finally:
            self._connecting.discard(name)
        self._links[name] = link
        _mcp_shutdown.watch(self)  # the kernel's end disconnects it as the chat's end would
        self._changed()
        assert link.session is not None
        if self._on_connect is not None:
            await self._on_connect(connection, link.session)
        return link.session

    async def disconnect(self, name: str) -> bool:
        """Run ``on_disconnect`` and close the server ``name``; False if it was not connected."""
        link = self._links.pop(name, None)
        if link is None:
            return False
        self._changed()
        try:
            if self._on_disconnect is not None and link.session is not None:
                await self._on_disconnect(name, link.session)
        finally:
            await link.close()
        return True

    async def close(self) -> None:
        """Disconnect every server (the chat is ending)."""
        for name in list(self._links):
            await self.disconnect(name)

    def abandon(self) -> None:
        """With no loop to close them politely: end the stdio servers' processes now."""
        links, self._links = list(self._links.values()), {}
        for link in links:
            link.abandon()
        self._changed()

    def _lost(self, link: McpLink) -> None:
        """A server ended on its own: drop it and tell ``on_disconnect``."""
        if self._links.get(link.connection.name) is link:
            asyncio.get_running_loop().create_task(self.disconnect(link.connection.name))

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change(self.describe())

    # -- calling tools --------------------------------------------------------------------
    async def call_tool(
        self, name: str, arguments: dict[str, Any] | None = None, *, server: str | None = None
    ) -> CallToolResult:
        """Run a tool as a ``tool`` step of the current answer and return the SDK's result.

        The step shows the arguments, the result's text and how long it took; a result the
        server marks as an error marks the step as one. A transport failure (the server died,
        the call timed out) ends the step as an error and raises.
        """
        server = server or self.server_of(name)
        if server is None or server not in self._links:
            raise LookupError(f"No connected MCP server offers the tool {name!r}.")
        link = self._links[server]
        arguments = dict(arguments or {})
        async with Step(name=name, type="tool", metadata={"mcp_server": server}) as step:
            step.input = arguments
            started = time.perf_counter()
            try:
                result = await link.call(name, arguments, self._feature().tool_timeout)
            except BaseException as exc:
                cause = first_cause(exc)
                if connection_lost(cause):
                    self._lost(link)
                if cause is not exc and isinstance(cause, Exception):
                    raise cause from exc
                raise
            finally:
                step.metadata["duration_ms"] = round((time.perf_counter() - started) * 1000)
            step.output = result_text(result)
            step.is_error = bool(result.isError)
        return result
