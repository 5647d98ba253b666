"""The options of a chat app: what its views show and where its threads are kept.

Every option is a trait of :class:`~chatwidget.app.ChatApp` (set as a keyword argument or
later); ``config()`` is what the views read of them.
"""

from __future__ import annotations

import os
import re
import sys
from typing import TYPE_CHECKING, Any

import traitlets

from ._app_name import MAX_NAME_CHARS, default_app_name
from .identity import identity_required

if TYPE_CHECKING:
    from ._handlers import Handlers
    from ._mcp_options import McpFeature
    from .audio import AudioFeature

#: The options the views read as their ``config``.
VIEW_OPTIONS: tuple[str, ...] = ("cot", "assistant_name", "user_name", "placeholder")
VIEW_OPTIONS += ("disable_while_running", "language", "file_upload", "mcp", "avatars")
VIEW_OPTIONS += ("readme", "user_env_keys", "audio")
VIEW_OPTIONS += ("allowed_image_hosts",)


#: An entry of ``allowed_image_hosts``: ``*``, ``host``, ``host:port`` or ``*.domain``.
_IMAGE_HOST = re.compile(
    r"\*|(?:\*\.)?[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*(?::\d{1,5})?"
)


def _default_error_details() -> str:
    """Tracebacks for the notebook's author; nothing for visitors of a dashboard or a login server."""
    if identity_required() or any(k.startswith("VOILA_") for k in os.environ):
        return "none"
    shell = sys.modules.get("IPython")
    get_ipython = getattr(shell, "get_ipython", None)
    in_kernel = get_ipython is not None and type(get_ipython()).__name__ == "ZMQInteractiveShell"
    return "traceback" if in_kernel else "none"


class ChatOptions(traitlets.HasTraits):
    handlers: Handlers  # the app's; the views' config says whether a handler enables a feature

    title = traitlets.Unicode("Chat", help="Shown above the conversation. Default: 'Chat'.")
    name = traitlets.Unicode(
        help=(
            "The app its threads belong to: the thread list shows this app's threads (all apps' "
            "at a click). Default: '<notebook path>: <title>' (see chatwidget._app_name), the "
            "same after a kernel restart or a re-run."
        )
    )
    cot = traitlets.Enum(
        ["full", "tool_call", "hidden"], "full", help="Chain of thought shown. Default: full."
    )
    assistant_name = traitlets.Unicode("Assistant", help="Author of assistant messages. Default: Assistant.")
    user_name = traitlets.Unicode("User", help="Author of user messages. Default: User.")
    placeholder = traitlets.Unicode("", help="Composer placeholder. Default: a translated 'Type a message'.")
    disable_while_running = traitlets.Bool(True, help="Refuse new messages while answering. Default: True.")
    language = traitlets.Unicode(
        "", help="UI language, e.g. 'fr-FR'. Default: JupyterLab's or the browser's."
    )
    avatars = traitlets.Dict(
        value_trait=traitlets.Unicode(),
        help="Avatar images by author name: {name: http(s), relative or data:image URL}. "
        "Default: {} (initials).",
    )
    allowed_image_hosts: traitlets.List[str] = traitlets.List(
        traitlets.Unicode(),
        help=(
            "Hosts whose images chat markdown loads at once: 'images.example.org', "
            "'cdn.example.org:8443', '*.example.org', or '*' for any. Images from other hosts "
            "wait for the user's click (loading one tells its host, and its URL can carry what the "
            "chat says). data: and same-origin images are not affected. Default: [] (none)."
        ),
    )
    file_upload = traitlets.Dict(
        {"enabled": False, "accept": ["*/*"], "max_files": 20, "max_size_mb": 500},
        help="Attachments in the composer: enabled, accept, max_files, max_size_mb. Default: disabled.",
    )
    readme = traitlets.Unicode(
        "", help="Markdown shown on an empty chat (a project's chainlit.md). Default: ''."
    )
    user_env_keys: traitlets.List[str] = traitlets.List(
        help="Keys each user must give, asked for on an empty chat (user_session 'env'). Default: none."
    )
    persist = traitlets.Bool(
        True, help="Keep conversations in the data layer (resume them later). Default: True (False headless)."
    )
    data_layer = traitlets.Instance(
        "chatwidget.data.BaseDataLayer",
        allow_none=True,
        help="Where threads are kept; takes precedence over db_url. Default: None (see db_url).",
    )
    db_url = traitlets.Unicode(
        "",
        help=(
            "The database URL of the SQL data layer used when data_layer is not given, e.g. "
            "postgresql+asyncpg://user@host/db; read once, when the chat first needs it. Never "
            "sent to the browser. Default: empty: $CHATWIDGET_DATABASE_URL if set, else SQLite "
            "in Jupyter's data dir."
        ),
    )
    error_details = traitlets.Enum(
        ["none", "message", "traceback"],
        help=(
            "What the chat shows of a handler's exception: 'none' (its type), 'message' (type and "
            "text) or 'traceback' (and a collapsible traceback, never stored or shared). Default: "
            "'traceback' in a notebook's kernel, 'none' under Voila, a login server or headless."
        ),
    )
    mcp = traitlets.Union(
        [traitlets.Instance("chatwidget._mcp_options.McpFeature"), traitlets.Dict(), traitlets.Bool()],
        help=(
            "MCP servers in the chat: a cw.McpFeature, or a dict of its options (the reference's "
            "[features.mcp] shape works too). Default: McpFeature(): disabled, every transport off."
        ),
    )
    audio = traitlets.Union(
        [traitlets.Instance("chatwidget.audio.AudioFeature"), traitlets.Dict(), traitlets.Bool()],
        help=(
            "Voice input and output: a cw.AudioFeature, or a dict of its options (the reference's "
            "[features.audio] shape works too). Default: AudioFeature(): the microphone is offered "
            "when an on_audio_chunk handler is registered, PCM16 at 24000 Hz."
        ),
    )
    show_error_details = traitlets.Bool(
        False, help="Shorthand for error_details='message' when True. Default: False."
    )

    @traitlets.default("name")
    def _name_default(self) -> str:
        return default_app_name(self.title)

    @traitlets.validate("name")
    def _valid_name(self, proposal: Any) -> str:
        name = str(proposal["value"]).strip()
        if not name or len(name) > MAX_NAME_CHARS:
            raise traitlets.TraitError(f"an app's name must be 1 to {MAX_NAME_CHARS} characters")
        return name

    @traitlets.validate("allowed_image_hosts")
    def _valid_image_hosts(self, proposal: Any) -> list[str]:
        hosts = [h.strip() for h in proposal["value"]]
        for host in hosts:
            if not _IMAGE_HOST.fullmatch(host):
                raise traitlets.TraitError(
                    f"allowed_image_hosts: {host!r} is not a host name (no scheme or path: "
                    "'images.example.org', 'host:8443', '*.example.org' or '*')"
                )
        return hosts

    @traitlets.default("mcp")
    def _mcp_default(self) -> McpFeature:
        from ._mcp_options import McpFeature  # the MCP and voice options load with the first app

        return McpFeature()

    @traitlets.validate("mcp")
    def _valid_mcp(self, proposal: Any) -> McpFeature:
        from ._mcp_options import McpFeature

        return McpFeature.from_value(proposal["value"])

    @traitlets.default("audio")
    def _audio_default(self) -> AudioFeature:
        from .audio import AudioFeature

        return AudioFeature()

    @traitlets.validate("audio")
    def _valid_audio(self, proposal: Any) -> AudioFeature:
        from .audio import AudioFeature

        return AudioFeature.from_value(proposal["value"])

    @traitlets.default("error_details")
    def _error_details_default(self) -> str:
        return "message" if self.show_error_details else _default_error_details()

    def view_config(self) -> dict[str, Any]:
        """The options the views need, as they read them."""
        config = {name: getattr(self, name) for name in VIEW_OPTIONS}
        config["mcp"] = self.mcp.browser_config()  # the dialog's needs only, never the allow-lists
        config["audio"] = self.audio.browser_config(self.handlers.get("on_audio_chunk") is not None)
        return config
