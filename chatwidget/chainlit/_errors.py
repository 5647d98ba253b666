"""The error a Chainlit file gets for a part of the reference chatwidget does not have."""

from __future__ import annotations

#: Why a name of the reference is not here, when there is more to say than "not yet".
REASONS: dict[str, str] = {
    "server": "the web server is Jupyter's: routes belong in a Jupyter server extension",
    "auth": "sign-in is the Jupyter server's (chatwidget_server.auth.ChatIdentityProvider)",
    "socket": "the browser talks to the kernel through the widget's comm, not a socket.io server",
    "config": "settings come from .chainlit/config.toml or ChatApp(...) options",
    "cli": "there is no command line: an app runs in a notebook, in JupyterLab or in Voila",
    "cache": "use functools.cache: a kernel keeps its values between cells anyway",
    "CopilotFunction": "there is no copilot widget: the chat is shown by Jupyter",
    "on_slack_reaction_added": "Slack, Teams and Discord bots are not supported",
    "slack": "Slack, Teams and Discord bots are not supported",
    "teams": "Slack, Teams and Discord bots are not supported",
    "discord": "Slack, Teams and Discord bots are not supported",
    "on_shared_thread_view": "set ChatWidgetServer.on_shared_thread_view on the server",
    "author_rename": "authors are shown as sent",
}


class ChainlitFeatureError(NotImplementedError):
    """A Chainlit name chatwidget does not provide; the message says which and why."""

    def __init__(self, name: str, reason: str | None = None) -> None:
        self.feature = name
        why = reason or REASONS.get(name.rsplit(".", 1)[-1]) or REASONS.get(name.split(".")[0])
        super().__init__(
            f"chainlit.{name} is not supported by chatwidget"
            + (f": {why}." if why else ".")
            + " See docs/from-chainlit.md for what carries over."
        )


class ChainlitModuleError(ChainlitFeatureError, ImportError):
    """``import chainlit.X`` of a module chatwidget does not provide."""


def unsupported(name: str, reason: str | None = None) -> ChainlitFeatureError:
    return ChainlitFeatureError(name, reason)
