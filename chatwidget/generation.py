"""Metadata of an LLM call, attached to a step as ``step.generation``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal


@dataclass
class GenerationMessage:
    role: Literal["system", "user", "assistant", "tool", "function"]
    content: Any = ""
    name: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    tool_call_id: str | None = None


@dataclass
class BaseGeneration:
    provider: str | None = None
    model: str | None = None
    settings: dict[str, Any] | None = None
    variables: dict[str, Any] | None = None
    tags: list[str] | None = None
    tools: list[dict[str, Any]] | None = None
    input_token_count: int | None = None
    output_token_count: int | None = None
    token_count: int | None = None
    duration: float | None = None
    tt_first_token: float | None = None
    token_throughput_in_s: float | None = None
    error: str | None = None
    type: str = "BASE"

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class ChatGeneration(BaseGeneration):
    """A chat-style call: a list of role messages in, one message out."""

    messages: list[GenerationMessage] = field(default_factory=list)
    message_completion: GenerationMessage | None = None
    type: str = "CHAT"


@dataclass
class CompletionGeneration(BaseGeneration):
    """A completion-style call: a prompt in, text out."""

    prompt: str | None = None
    completion: str | None = None
    type: str = "COMPLETION"
