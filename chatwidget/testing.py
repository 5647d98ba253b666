"""Test support: a comm that records what a chat's widget sends, and acts as the browser.

``pytest_plugin`` installs it for the ``chat_views`` fixture; use it directly elsewhere::

    from chatwidget.testing import recording_comms
    with recording_comms() as comms:
        app = cw.ChatApp()
    comms[0].browser_sends({"kind": "send", "id": "r1", "content": "hi"})
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import comm
from comm import DummyComm


class RecordingComm(DummyComm):
    """Keeps every message the widget publishes, with its size as it would travel."""

    def __init__(self, **kwargs: Any) -> None:
        self.sent: list[dict[str, Any]] = []
        super().__init__(**kwargs)

    def publish_msg(
        self, msg_type: str, data: Any = None, metadata: Any = None, buffers: Any = None, **keys: Any
    ) -> None:
        self.sent.append(
            {
                "msg_type": msg_type,
                "data": data,
                "bytes": len(json.dumps(data, default=str)),
                "buffers": [bytes(b) for b in buffers or []],
            }
        )

    # -- reading what was sent ----------------------------------------------------------
    def updates(self) -> list[dict[str, Any]]:
        """The state updates sent, oldest first."""
        return [m["data"]["state"] for m in self.sent if m["data"] and m["data"].get("method") == "update"]

    def customs(self, kind: str | None = None) -> list[dict[str, Any]]:
        """The custom messages sent (of one ``kind``), oldest first."""
        out = [m["data"]["content"] for m in self.sent if m["data"] and m["data"].get("method") == "custom"]
        return [c for c in out if kind is None or c.get("kind") == kind]

    def custom_buffers(self, kind: str) -> list[tuple[dict[str, Any], list[bytes]]]:
        """The custom messages of one ``kind`` with their binary buffers, oldest first."""
        out = []
        for m in self.sent:
            content = (
                (m["data"] or {}).get("content") if (m["data"] or {}).get("method") == "custom" else None
            )
            if isinstance(content, dict) and content.get("kind") == kind:
                out.append((content, m["buffers"]))
        return out

    def clear(self) -> None:
        self.sent.clear()

    # -- acting as the browser ------------------------------------------------------------
    def browser_sends(self, content: Any, buffers: list[bytes] | None = None) -> None:
        """Deliver ``content`` to the widget as a custom message from a view."""
        msg = {"content": {"data": {"method": "custom", "content": content}}, "buffers": buffers or []}
        self.handle_msg(msg)

    def view_says_hello(self, request_id: str = "hello") -> None:
        """Act as a view that has drawn itself: events held until one is there (audio) come now.
        It also starts the chat, as a view does (``on_chat_start``)."""
        from ._protocol import HELLO, PROTOCOL_VERSION

        self.browser_sends({"id": request_id, "kind": HELLO, "protocol": PROTOCOL_VERSION})


@contextlib.contextmanager
def recording_comms() -> Iterator[list[RecordingComm]]:
    """While active, every widget created gets a :class:`RecordingComm` (listed in order)."""
    comms: list[RecordingComm] = []
    original = comm.create_comm

    def create_comm(**kwargs: Any) -> RecordingComm:
        made = RecordingComm(**kwargs)
        comms.append(made)
        return made

    comm.create_comm = create_comm
    try:
        yield comms
    finally:
        comm.create_comm = original
