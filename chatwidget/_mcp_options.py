"""The options that decide which MCP servers a chat may connect, and the connections themselves.

Every transport is off until the app enables it; the checks (``McpFeature.check``) are the
same for a connection made from code and one a user asks for in the widget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import traitlets
from traitlets.config import Configurable

from ._mcp_policy import (
    McpRefusedError,
    allowed_executable,
    allowed_url,
    split_assignments,
    split_command,
)

Transport = Literal["stdio", "sse", "streamable-http"]
MAX_NAME_CHARS = 64


class McpFeature(Configurable):
    """Which MCP servers a chat may connect: every transport is off until enabled here."""

    enabled = traitlets.Bool(False, help="Allow MCP servers in this chat at all. Default: False.").tag(
        config=True
    )
    dialog = traitlets.Bool(
        True,
        help="Let the chat's users connect servers from the widget (within the rules below). Default: True.",
    ).tag(config=True)
    stdio = traitlets.Bool(
        False, help="Allow stdio servers (a local command the kernel runs). Default: False."
    ).tag(config=True)
    allowed_executables = traitlets.List(
        traitlets.Unicode(),
        help=(
            "Executables a stdio server may be started with: names looked up on the kernel's PATH "
            "(npx, uvx) or absolute paths; the arguments are free. Default: [] (none)."
        ),
    ).tag(config=True)
    sse = traitlets.Bool(False, help="Allow servers over SSE. Default: False.").tag(config=True)
    streamable_http = traitlets.Bool(False, help="Allow servers over streamable HTTP. Default: False.").tag(
        config=True
    )
    allowed_urls = traitlets.List(
        traitlets.Unicode(),
        help=(
            "URL prefixes the HTTP transports may reach, e.g. https://tools.example.org/mcp: same "
            "scheme, host and port, and a path under the prefix's. Default: [] (none)."
        ),
    ).tag(config=True)
    max_servers = traitlets.Int(8, help="Servers one chat may have connected at once. Default: 8.").tag(
        config=True
    )
    connect_timeout = traitlets.Float(
        30.0, help="Seconds to connect and initialize a server. Default: 30."
    ).tag(config=True)
    tool_timeout = traitlets.Float(120.0, help="Seconds a tool call may take. Default: 120.").tag(config=True)

    @classmethod
    def from_value(cls, value: McpFeature | dict[str, Any] | bool | None) -> McpFeature:
        """An McpFeature from itself, ``True``/``False``, or a dict of its options.

        The dict may also follow the reference's ``[features.mcp]`` shape:
        ``{"enabled": True, "stdio": {"enabled": True, "allowed_executables": [...]},
        "sse": {"enabled": True}, "streamable-http": {"enabled": True}}``.
        """
        if isinstance(value, McpFeature):
            return value
        if value is None or isinstance(value, bool):
            return cls(enabled=bool(value))
        options: dict[str, Any] = {}
        for key, item in value.items():
            name = key.replace("-", "_")
            if isinstance(item, dict):
                options[name] = bool(item.get("enabled", False))
                if "allowed_executables" in item:
                    options["allowed_executables"] = list(item["allowed_executables"])
                if "allowed_urls" in item:
                    options["allowed_urls"] = list(item["allowed_urls"])
            else:
                options[name] = item
        unknown = set(options) - set(cls.class_trait_names())
        if unknown:
            raise ValueError(f"Unknown MCP options: {', '.join(sorted(unknown))}")
        return cls(**options)

    def transports(self) -> list[Transport]:
        if not self.enabled:
            return []
        on: list[tuple[bool, Transport]] = [
            (self.stdio, "stdio"),
            (self.sse, "sse"),
            (self.streamable_http, "streamable-http"),
        ]
        return [name for allowed, name in on if allowed]

    def browser_config(self) -> dict[str, Any]:
        """What the views need: whether to show the connect dialog, and its transports."""
        transports = self.transports() if self.dialog else []
        return {"enabled": bool(transports), "transports": transports}

    def check(self, connection: McpConnection) -> str | None:
        """Raise McpRefusedError unless ``connection`` is allowed; returns the executable to run."""
        if not self.enabled:
            raise McpRefusedError("This app does not allow MCP servers.")
        if connection.client_type not in self.transports():
            raise McpRefusedError(f"This app does not allow {connection.client_type} MCP servers.")
        if isinstance(connection, McpStdioConnection):
            return allowed_executable(connection.command, self.allowed_executables)
        allowed_url(connection.url, self.allowed_urls)
        return None


@dataclass
class McpStdioConnection:
    """A server the kernel starts: ``command`` (an allowed executable) with ``args``.

    ``env`` is added to the SDK's small default environment (``PATH``, ``HOME``...); the
    dialog fills it from a command line's leading ``NAME=value`` tokens, within the rules of
    :func:`chatwidget._mcp_policy.split_assignments`; given in code, it is the app's own. Its
    values are not in :meth:`target`, which the views show: they are often keys."""

    name: str
    command: str
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | Path | None = None
    client_type: Literal["stdio"] = "stdio"

    def target(self) -> str:
        return " ".join([self.command, *self.args])


@dataclass
class McpSseConnection:
    """A server reached over SSE at ``url``."""

    name: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    client_type: Literal["sse"] = "sse"

    def target(self) -> str:
        return self.url


@dataclass
class McpStreamableHttpConnection:
    """A server reached over streamable HTTP at ``url``."""

    name: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    client_type: Literal["streamable-http"] = "streamable-http"

    def target(self) -> str:
        return self.url


McpConnection = McpStdioConnection | McpSseConnection | McpStreamableHttpConnection


def connection_from_dialog(name: str, transport: str, target: str) -> McpConnection:
    """The connection a user asked for in the widget: a command line for stdio, else a URL."""
    name = name.strip()
    if not name or len(name) > MAX_NAME_CHARS or not name.isprintable():
        raise McpRefusedError(f"A server needs a name of 1 to {MAX_NAME_CHARS} printable characters.")
    if transport == "stdio":
        env, (command, *args) = split_assignments(split_command(target))
        return McpStdioConnection(name=name, command=command, args=args, env=env)
    if transport == "sse":
        return McpSseConnection(name=name, url=target.strip())
    if transport == "streamable-http":
        return McpStreamableHttpConnection(name=name, url=target.strip())
    raise McpRefusedError(f"Unknown MCP transport {transport[:40]!r}.")
