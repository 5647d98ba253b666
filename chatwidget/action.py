"""``Action``: a button attached to a message; clicking it calls ``@app.action_callback(name)``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._base import StepBase


@dataclass
class Action:
    """A button under a message. ``payload`` is handed back to the callback as sent."""

    name: str
    payload: dict[str, Any] = field(default_factory=dict)
    label: str = ""
    tooltip: str = ""
    icon: str | None = None
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    for_id: str | None = None
    _step: StepBase | None = field(default=None, repr=False, compare=False)

    def attach(self, step: StepBase) -> None:
        """Belong to ``step`` (the message it is shown under)."""
        self.for_id = step.id
        self._step = step

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "payload": self.payload,
            "label": self.label or self.name,
            "tooltip": self.tooltip,
            "icon": self.icon,
            "forId": self.for_id,
        }

    async def remove(self) -> None:
        """Take this button away from its message."""
        if self._step is not None:
            self._step.remove_actions_now([self])
