"""An offline demo model, so that examples and the demo run with no API key and no network.

It is deterministic: the same prompt always gives the same plan and the same answer, which
keeps example notebooks testable.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

_ANSWER = """You said: **{prompt}**

I am the offline demo model of *chatwidget*, so I only pretend to think. Here is what a
real model's answer can contain:

| feature | shown as |
|---|---|
| markdown | **bold**, *italic*, `code`, [links](https://jupyter.org) |
| code | highlighted blocks |
| math | $e^{{i\\pi}} + 1 = 0$ |

```python
def greet(name: str) -> str:
    return f"Hello, {{name}}!"
```

Connect a real model (any OpenAI-compatible endpoint) to get real answers."""


class DemoModel:
    """A stand-in for an LLM: it "plans", then streams a markdown answer token by token."""

    def __init__(self, delay: float = 0.01) -> None:
        self.delay = delay

    def plan(self, prompt: str) -> str:
        words = len(prompt.split())
        return f"The user wrote {words} word{'s' if words != 1 else ''}. Answer with a short tour."

    def answer(self, prompt: str) -> str:
        return _ANSWER.format(prompt=prompt.strip().replace("\n", " ")[:200])

    async def stream(self, prompt: str) -> AsyncIterator[str]:
        """Yield the answer in word-sized tokens, pausing ``delay`` seconds between them."""
        for token in re.findall(r"\S+\s*|\s+", self.answer(prompt)):
            if self.delay:
                await asyncio.sleep(self.delay)
            yield token

    def pick_tool(self, prompt: str, tools: list[dict[str, Any]]) -> tuple[str, dict[str, Any]] | None:
        """Pretend function calling: the tool (OpenAI specs) whose name the prompt uses.

        The longest name found wins (``add_note`` over ``add``). Arguments come from the text
        after that name: numbers in order for numeric parameters, the whole text for a text
        parameter. None if the prompt names no tool.
        """
        named = [f for f in (t.get("function", {}) for t in tools) if f.get("name") and f["name"] in prompt]
        if not named:
            return None
        function = max(named, key=lambda f: len(f["name"]))
        name = str(function["name"])
        rest = prompt[prompt.find(name) + len(name) :].strip()
        numbers = iter(re.findall(r"-?\d+(?:\.\d+)?", rest))
        arguments: dict[str, Any] = {}
        for param, schema in function.get("parameters", {}).get("properties", {}).items():
            kind = schema.get("type")
            if kind in ("integer", "number") and (found := next(numbers, None)) is not None:
                arguments[param] = int(float(found)) if kind == "integer" else float(found)
            elif kind == "string":
                arguments[param] = rest
        return name, arguments
