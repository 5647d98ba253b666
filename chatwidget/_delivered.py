"""The keys of the messages a chat accepted from its views, and the message each became.

A view's outbox gives every message a key and may send it again: after its request timed out
while a cell ran (the first send is still queued in the kernel), or after a page reload. The
first send of a key is accepted; any later one is answered with the same message, and nothing
is shown or answered twice. Only the newest ``LIMIT`` keys are kept (a resend comes within
minutes, not thousands of messages later).
"""

from __future__ import annotations

from collections import OrderedDict


class DeliveredKeys:
    LIMIT = 1_000

    def __init__(self) -> None:
        self._messages: OrderedDict[str, str] = OrderedDict()

    def get(self, key: str) -> str | None:
        """The id of the message ``key`` was delivered as, or None."""
        return self._messages.get(key)

    def add(self, key: str, message_id: str) -> None:
        self._messages[key] = message_id
        while len(self._messages) > self.LIMIT:
            self._messages.popitem(last=False)
