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
class StarterCategory:
    """A group of starters under one label (and icon) on an empty chat."""

    label: str
    icon: str | None = None
    starters: list[Starter] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "icon": self.icon, "starters": [s.to_dict() for s in self.starters]}


@dataclass
class ChatProfile:
    """A way to chat (a model, a persona); switching profile starts a new chat.

    ``display_name`` is what the picker shows (default: ``name``). ``config_overrides``
    changes the app's options while the profile is chosen: a dict of ``ChatApp`` options
    (``{"title": "MCP UI", "cot": "hidden"}``); it stays in the kernel.
    """

    name: str
    markdown_description: str = ""
    icon: str | None = None
    default: bool = False
    starters: list[Starter] | None = field(default_factory=list)
    display_name: str | None = None
    config_overrides: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "display_name": self.display_name or self.name,
            "markdown_description": self.markdown_description,
            "icon": self.icon,
            "default": self.default,
            "starters": [s.to_dict() for s in self.starters or []],
        }


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


@dataclass
class AskFileResponse:
    """A file the user sent to an :class:`~chatwidget.AskFileMessage`; its bytes are at ``path``.

    ``response["name"]`` also works, for code written against the earlier dict answers.
    """

    id: str
    name: str
    path: str
    size: int
    type: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __getitem__(self, key: str) -> Any:
        if key not in self.__dataclass_fields__:
            raise KeyError(key)
        return getattr(self, key)
