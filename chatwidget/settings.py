"""Chat settings: a panel of inputs whose values reach ``@app.on_settings_update``.

Values coming back from the browser are checked against each input here, in the kernel:
an unknown id, a wrong type, a number out of range or an option that was not offered is
refused, and the previous values stay.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from ._context import require_chat
from ._sync import on_loop


@dataclass(kw_only=True)
class InputWidget:
    type: ClassVar[str] = ""
    id: str
    label: str = ""
    initial: Any = None
    tooltip: str | None = None
    description: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if not k.startswith("_")}
        return {**data, "type": self.type, "label": self.label or self.id}

    def check(self, value: Any) -> Any:
        """The value to store, or ValueError if the browser sent something this input cannot hold."""
        return value


def _need(condition: bool, widget: InputWidget, what: str) -> None:
    if not condition:
        raise ValueError(f"'{widget.id}' must be {what}.")


@dataclass(kw_only=True)
class TextInput(InputWidget):
    type: ClassVar[str] = "textinput"
    initial: str = ""
    placeholder: str | None = None
    multiline: bool = False
    max_chars: int = 10_000

    def check(self, value: Any) -> Any:
        _need(
            isinstance(value, str) and len(value) <= self.max_chars, self, f"text of at most {self.max_chars}"
        )
        return value


@dataclass(kw_only=True)
class NumberInput(InputWidget):
    type: ClassVar[str] = "numberinput"
    initial: float = 0
    min: float | None = None
    max: float | None = None
    step: float | None = None

    def check(self, value: Any) -> Any:
        _need(isinstance(value, int | float) and not isinstance(value, bool), self, "a number")
        _need(self.min is None or value >= self.min, self, f">= {self.min}")
        _need(self.max is None or value <= self.max, self, f"<= {self.max}")
        return value


@dataclass(kw_only=True)
class Slider(NumberInput):
    type: ClassVar[str] = "slider"
    min: float | None = 0
    max: float | None = 10
    step: float | None = 1


@dataclass(kw_only=True)
class Switch(InputWidget):
    type: ClassVar[str] = "switch"
    initial: bool = False

    def check(self, value: Any) -> Any:
        _need(isinstance(value, bool), self, "true or false")
        return value


@dataclass(kw_only=True)
class Checkbox(Switch):
    type: ClassVar[str] = "checkbox"


@dataclass(kw_only=True)
class Select(InputWidget):
    """One of ``values`` (or of ``items``: labels mapped to values)."""

    type: ClassVar[str] = "select"
    values: list[str] = field(default_factory=list)
    items: dict[str, str] = field(default_factory=dict)
    initial_index: int | None = None

    def options(self) -> list[str]:
        return list(self.items.values()) if self.items else list(self.values)

    def __post_init__(self) -> None:
        if self.initial is None and self.initial_index is not None:
            self.initial = self.options()[self.initial_index]

    def to_dict(self) -> dict[str, Any]:
        labels = self.items or {v: v for v in self.values}
        return {**super().to_dict(), "options": [{"label": k, "value": v} for k, v in labels.items()]}

    def check(self, value: Any) -> Any:
        _need(value in self.options(), self, "one of the options offered")
        return value


@dataclass(kw_only=True)
class RadioGroup(Select):
    type: ClassVar[str] = "radio"


@dataclass(kw_only=True)
class MultiSelect(Select):
    type: ClassVar[str] = "multiselect"
    initial: list[str] = field(default_factory=list)

    def check(self, value: Any) -> Any:
        options = self.options()
        _need(
            isinstance(value, list) and all(v in options for v in value),
            self,
            "a list of the options offered",
        )
        return value


@dataclass(kw_only=True)
class Tags(InputWidget):
    type: ClassVar[str] = "tags"
    initial: list[str] = field(default_factory=list)
    max_tags: int = 100

    def check(self, value: Any) -> Any:
        _need(
            isinstance(value, list)
            and len(value) <= self.max_tags
            and all(isinstance(v, str) for v in value),
            self,
            f"a list of at most {self.max_tags} words",
        )
        return value


class ChatSettings:
    """``settings = await cw.ChatSettings([cw.Slider(id="temperature", ...), ...]).send()``."""

    def __init__(self, inputs: list[InputWidget]) -> None:
        ids = [i.id for i in inputs]
        if len(set(ids)) != len(ids):
            raise ValueError("Each settings input needs its own id.")
        self.inputs = list(inputs)

    def initial_values(self) -> dict[str, Any]:
        return {i.id: i.initial for i in self.inputs}

    def check(self, values: Any) -> dict[str, Any]:
        """Checked values for every input: those sent replace the current ones."""
        if not isinstance(values, dict):
            raise ValueError("'values' must be an object.")
        by_id = {i.id: i for i in self.inputs}
        unknown = set(values) - set(by_id)
        if unknown:
            raise ValueError(f"Unknown setting {sorted(unknown)[0]!r}.")
        return {key: by_id[key].check(value) for key, value in values.items()}

    async def send(self) -> dict[str, Any]:
        chat = require_chat()
        return on_loop(lambda: chat.interaction.set_settings(self))
