"""Small value types of the API: starters, chat profiles, commands, feedback."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal


@dataclass
class Starter:
    """A suggestion shown on an empty chat; clicking it sends ``message``."""

    label: str
    message: str
    icon: str | None = None
    command: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ChatProfile:
    """A way to chat (a model, a persona); switching profile starts a new chat."""

    name: str
    markdown_description: str = ""
    icon: str | None = None
    default: bool = False
    starters: list[Starter] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "starters": [s.to_dict() for s in self.starters]}


@dataclass
class Command:
    """A ``/`` command of the composer; ``button=True`` also shows it as a button."""

    id: str
    description: str = ""
    icon: str | None = None
    button: bool = False
    persistent: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Feedback:
    """A thumbs up (1) or down (0) on a reply; ``value`` is None when it was taken back."""

    for_id: str
    value: Literal[0, 1] | None
    comment: str | None = None
    thread_id: str | None = None
