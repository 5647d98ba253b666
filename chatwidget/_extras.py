"""What an app offers besides the conversation: commands, modes, the element sidebar, toasts,
window messages, the user's keys, MCP servers, voice. Each forwards to the object of the chat that
owns it (``app.chat``); :class:`~chatwidget.app.ChatApp` inherits these methods."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .chat import ChatSession
    from .mcp import McpConnection, McpServers


class ChatExtras:
    chat: ChatSession

    def set_commands(self, commands: list[Any]) -> None:
        """The composer's ``/`` commands: :class:`~chatwidget.types.Command` objects or dicts."""
        self.chat.interaction.set_commands(commands)

    def set_modes(self, modes: list[Any]) -> None:
        """The composer's pickers: :class:`~chatwidget.Mode` objects (or dicts); [] removes them."""
        self.chat.page.set_modes(modes)

    def set_element_sidebar(
        self, *, title: str | None = None, elements: list[Any] | None = None, key: str | None = None
    ) -> None:
        """Open the element sidebar with ``elements`` (an empty list closes it) and/or a ``title``."""
        self.chat.page.set_element_sidebar(title=title, elements=elements, key=key)

    def send_window_message(self, data: Any) -> None:
        """Post ``data`` (JSON) to the page embedding the chat, when it is shown in a frame."""
        self.chat.page.send_window_message(data)

    def toast(self, message: str, type: str = "info") -> None:
        """A short notice over the chat: ``type`` is info, success, warning or error."""
        self.chat.page.toast(message, type)

    def set_user_env(self, values: dict[str, Any]) -> None:
        """The user's values for ``user_env_keys`` (``cw.user_session.get("env")``)."""
        self.chat.page.set_user_env(values)

    # -- MCP servers ------------------------------------------------------------------------
    @property
    def mcp_servers(self) -> McpServers:
        """The chat's MCP servers: their sessions and tools, and ``call_tool``."""
        return self.chat.mcp

    async def connect_mcp(self, connection: McpConnection) -> Any:
        """Connect an MCP server (within the ``mcp`` options); returns its ``ClientSession``."""
        return await self.chat.mcp.connect(connection)

    async def disconnect_mcp(self, name: str) -> bool:
        """Disconnect the MCP server ``name`` (``on_mcp_disconnect`` runs); False if unknown."""
        return await self.chat.mcp.disconnect(name)

    # -- voice ------------------------------------------------------------------------------
    async def send_user_audio(self, data: bytes) -> dict[str, Any]:
        """Act as the user saying ``data`` (PCM16 mono at ``audio.sample_rate``), as the
        microphone does: ``on_audio_start``, the chunks to ``on_audio_chunk``, then
        ``on_audio_end``. Returns when it has finished, with ``{"chunks", "seconds"}``."""
        await self.chat.start()
        return await self.chat.voice.speak(data)

    @property
    def audio_sent(self) -> dict[str, float]:
        """Seconds of audio sent to the views so far, per track."""
        return self.chat.voice.sent_seconds()
