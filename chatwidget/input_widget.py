"""The inputs of a chat settings panel, under the reference's module name."""

from .settings import (
    Checkbox,
    DatePicker,
    InputWidget,
    MultiSelect,
    NumberInput,
    RadioGroup,
    Select,
    Slider,
    Switch,
    Tab,
    Tags,
    TextInput,
)

__all__ = [
    "Checkbox",
    "DatePicker",
    "InputWidget",
    "MultiSelect",
    "NumberInput",
    "RadioGroup",
    "Select",
    "Slider",
    "Switch",
    "Tab",
    "Tags",
    "TextInput",
]
