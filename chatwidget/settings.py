"""Chat settings: a panel of inputs whose values reach ``@app.on_settings_update``.

Values coming back from the browser are checked against each input here, in the kernel:
an unknown id, a wrong type, a number out of range or an option that was not offered is
refused, and the previous values stay.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

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


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: Any, what: str) -> str | None:
    """A date as ``YYYY-MM-DD`` (a ``date`` or such a string), or ValueError naming ``what``."""
    if value is None:
        return None
    if isinstance(value, datetime.date):
        return value.isoformat()[:10]
    if isinstance(value, str) and _ISO_DATE.match(value):
        datetime.date.fromisoformat(value)  # a real day of a real month
        return value
    raise ValueError(f"{what} must be a date (YYYY-MM-DD), not {value!r}.")


@dataclass(kw_only=True)
class DatePicker(InputWidget):
    """A date (``mode="single"``) or a ``(start, end)`` pair (``mode="range"``), as ISO strings."""

    type: ClassVar[str] = "datepicker"
    mode: Literal["single", "range"] = "single"
    initial: Any = None
    min_date: Any = None
    max_date: Any = None
    format: str | None = None
    placeholder: str | None = None

    def __post_init__(self) -> None:
        if self.mode not in ("single", "range"):
            raise ValueError("DatePicker mode must be 'single' or 'range'.")
        self.min_date = _iso_date(self.min_date, "min_date")
        self.max_date = _iso_date(self.max_date, "max_date")
        if self.mode == "range" and self.initial is not None:
            if not isinstance(self.initial, tuple | list) or len(self.initial) != 2:
                raise ValueError("DatePicker 'initial' must be a (start, end) pair in range mode.")
            self.initial = [_iso_date(d, "initial") for d in self.initial]
        elif self.initial is not None:
            self.initial = _iso_date(self.initial, "initial")

    def _check_day(self, value: Any) -> str:
        try:
            day = _iso_date(value, f"'{self.id}'")
        except ValueError:
            day = None
        _need(day is not None, self, "a date (YYYY-MM-DD)")
        assert day is not None
        _need(self.min_date is None or day >= self.min_date, self, f"on or after {self.min_date}")
        _need(self.max_date is None or day <= self.max_date, self, f"on or before {self.max_date}")
        return day

    def check(self, value: Any) -> Any:
        if value is None:
            return None
        if self.mode == "range":
            _need(isinstance(value, list) and len(value) == 2, self, "a [start, end] pair of dates")
            start, end = (self._check_day(v) for v in value)
            _need(start <= end, self, "a range that ends after it starts")
            return [start, end]
        return self._check_day(value)


@dataclass
class Tab:
    """A tab of the settings panel holding some of its inputs."""

    id: str
    label: str
    inputs: list[InputWidget] = field(default_factory=list)


class ChatSettings:
    """``settings = await cw.ChatSettings([cw.Slider(id="temperature", ...), ...]).send()``."""

    def __init__(self, inputs: list[InputWidget] | list[Tab]) -> None:
        self.tabs = [t for t in inputs if isinstance(t, Tab)]
        self.inputs: list[InputWidget] = []
        self._tab_of: dict[str, str] = {}
        for item in inputs:
            for widget in item.inputs if isinstance(item, Tab) else [item]:
                self.inputs.append(widget)
                if isinstance(item, Tab):
                    self._tab_of[widget.id] = item.label or item.id
        ids = [i.id for i in self.inputs]
        if len(set(ids)) != len(ids):
            raise ValueError("Each settings input needs its own id.")

    def input_dicts(self) -> list[dict[str, Any]]:
        """The inputs as the panel shows them; an input in a tab says which (``tab``)."""
        out = []
        for widget in self.inputs:
            data = widget.to_dict()
            if widget.id in self._tab_of:
                data["tab"] = self._tab_of[widget.id]
            out.append(data)
        return out

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
