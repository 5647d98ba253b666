"""A deterministic plain-text rendering of a conversation, for tests and notebooks."""

from __future__ import annotations

from ._protocol import MESSAGE_TYPES
from .conversation import Conversation


def _indented(text: str, prefix: str) -> str:
    """Continuation lines indented by ``prefix``; blank lines stay empty."""
    first, *rest = text.split("\n")
    return "\n".join([first, *(prefix + line if line else "" for line in rest)])


def render_transcript(history: Conversation) -> str:
    """One block per entry, in the order sent, without ids or timestamps.

    Messages read ``Author: content``; steps are indented under their parent step and
    read ``- name [type]`` followed by their input and output. What only the live views
    show (a traceback) is left out: it depends on the machine, not on the conversation.
    """
    lines: list[str] = []
    for step in history.steps():
        if step.ephemeral:
            continue
        flag = " [error]" if step.is_error else ""
        if step.type in MESSAGE_TYPES:
            lines.append(f"{step.name}{flag}: {_indented(step.output, '  ')}")
            continue
        pad = "  " * (history.depth(step) + 1)
        lines.append(f"{pad}- {step.name} [{step.type}]{flag}")
        for label, text in (("input", step.input), ("output", step.output)):
            if text:
                lines.append(f"{pad}    {label}: {_indented(text, pad + '      ')}")
    return "\n".join(lines)
