"""Modes: pickers in the composer (a model, a reasoning effort); each message carries the choice.

``await cw.context.emitter.set_modes([cw.Mode(id="model", name="Model", options=[...])])``
(or ``app.set_modes``); the user's message then has ``message.modes == {"model": "<option
id>"}``. What the browser sends is checked against the options offered.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class ModeOption:
    id: str
    name: str
    description: str | None = None
    icon: str | None = None
    default: bool = False


@dataclass
class Mode:
    """One picker: exactly one of its options is chosen (the ``default`` one, else the first)."""

    id: str
    name: str
    options: list[ModeOption] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def default_option(self) -> str | None:
        chosen = next((o for o in self.options if o.default), self.options[0] if self.options else None)
        return chosen.id if chosen else None


def check_modes(offered: list[dict[str, Any]], chosen: Any) -> dict[str, str]:
    """The choice for every offered mode (defaults filled in), or ValueError for anything not offered."""
    if chosen is None:
        chosen = {}
    if not isinstance(chosen, dict):
        raise ValueError("'modes' must be an object of mode id to option id.")
    by_id = {m["id"]: m for m in offered}
    unknown = set(chosen) - set(by_id)
    if unknown:
        raise ValueError(f"Unknown mode {sorted(unknown)[0]!r}.")
    out: dict[str, str] = {}
    for mode_id, mode in by_id.items():
        options = [o["id"] for o in mode["options"]]
        pick = chosen.get(mode_id)
        if pick is None:
            pick = next(
                (o["id"] for o in mode["options"] if o.get("default")), options[0] if options else None
            )
        elif pick not in options:
            raise ValueError(f"{pick!r} is not an option of the mode {mode_id!r}.")
        if pick is not None:
            out[mode_id] = pick
    return out
