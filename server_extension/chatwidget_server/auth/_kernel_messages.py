"""What an app user may send to their kernel: widget traffic, never code.

A Voila page talks to its kernel over ``api/kernels/<id>/channels``, and that websocket
accepts any Jupyter message: an ``execute_request`` sent by hand there would run code as
the server's user. For an app user the connection passes on only what a widget page sends
(comm messages, and the info requests a client makes when it connects) and drops the rest
(execute, complete, inspect, history, debug, shutdown, interrupt, input replies), with a
line in the log. A ``comm_open`` must name a widget target: other comm targets a kernel
may have registered (a debugger's, a library's) are not the page's to open. A message that
cannot be parsed is dropped too. Developers are not filtered.

The hook is jupyter_server's ``kernel_websocket_connection_class``: the configured class is
subclassed (see :func:`app_user_filter_class`), no server code is patched.
"""

from __future__ import annotations

import json
import struct
from typing import Any

from jupyter_server.services.kernels.connection.base import deserialize_msg_from_ws_v1

from .roles import DEVELOPER

#: (channel, msg_type) pairs an app user's page may send.
APP_USER_MESSAGES = frozenset(
    {
        ("shell", "comm_open"),
        ("shell", "comm_msg"),
        ("shell", "comm_close"),
        ("shell", "comm_info_request"),
        ("shell", "kernel_info_request"),
        ("control", "kernel_info_request"),
    }
)
#: The comm targets of Jupyter widgets (ipywidgets 7 and 8): the only ones an app user opens.
WIDGET_COMM_TARGETS = frozenset({"jupyter.widget", "jupyter.widget.control", "jupyter.widget.version"})
V1_PROTOCOL = "v1.kernel.websocket.jupyter.org"


def read_message(message: str | bytes, subprotocol: str | None) -> tuple[str, str, Any]:
    """The channel, ``msg_type`` and content of a message from the browser (``ValueError`` if
    unreadable). The content is parsed only for a ``comm_open`` (else ``None``): a comm
    message may be large and is not looked into."""
    try:
        if subprotocol == V1_PROTOCOL:
            assert isinstance(message, bytes)
            channel, parts = deserialize_msg_from_ws_v1(message)
            header = json.loads(parts[0])
            body = {"content": parts[3]}  # its JSON is read only if needed
        elif isinstance(message, bytes):  # legacy binary: JSON of the message, then buffers
            count = struct.unpack("!i", message[:4])[0]
            offsets = struct.unpack("!" + "I" * count, message[4 : 4 * (count + 1)])
            end = offsets[1] if count > 1 else len(message)
            body = json.loads(message[offsets[0] : end])
            channel, header = body.get("channel"), body["header"]
        else:
            body = json.loads(message)
            channel, header = body.get("channel"), body["header"]
        msg_type = header["msg_type"]
        if not isinstance(msg_type, str) or not isinstance(channel, (str, type(None))):
            raise ValueError("unreadable kernel message")
        content = None
        if msg_type == "comm_open":
            content = body["content"]
            content = json.loads(bytes(content)) if isinstance(content, (bytes, memoryview)) else content
        return channel or "shell", msg_type, content
    except (AssertionError, IndexError, KeyError, TypeError, ValueError, struct.error) as exc:
        raise ValueError("unreadable kernel message") from exc


def app_user_may_send(channel: str, msg_type: str, content: Any) -> bool:
    """Whether an app user's page may send this message on to the kernel."""
    if (channel, msg_type) not in APP_USER_MESSAGES:
        return False
    if msg_type == "comm_open":
        return isinstance(content, dict) and content.get("target_name") in WIDGET_COMM_TARGETS
    return True


class AppUserMessageFilter:
    """Mixed in front of a kernel websocket connection class."""

    websocket_handler: Any
    log: Any

    def _is_app_user(self) -> bool:
        handler = self.websocket_handler
        role_of = getattr(getattr(handler, "identity_provider", None), "role_of", None)
        return role_of is not None and role_of(handler) != DEVELOPER

    def handle_incoming_message(self, incoming_msg: Any) -> None:
        if self._is_app_user():
            subprotocol = getattr(self, "subprotocol", None)
            try:
                channel, msg_type, content = read_message(incoming_msg, subprotocol)
            except ValueError:
                self.log.warning("chatwidget: dropped an unreadable kernel message from an app user")
                return
            if not app_user_may_send(channel, msg_type, content):
                user = getattr(self.websocket_handler.current_user, "username", "?")
                self.log.warning("chatwidget: dropped %s/%s from app user %s", channel, msg_type, user)
                return
        super().handle_incoming_message(incoming_msg)  # type: ignore[misc]


def app_user_filter_class(base: type[Any]) -> type[Any]:
    """``base`` that drops app users' messages other than :data:`APP_USER_MESSAGES` (idempotent)."""
    if issubclass(base, AppUserMessageFilter):
        return base
    return type(f"AppUserFiltered{base.__name__}", (AppUserMessageFilter, base), {"__module__": __name__})
