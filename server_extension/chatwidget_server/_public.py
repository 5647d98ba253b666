"""What a thread shows: the owner's view (``private_thread``) and the public one (``public_thread``).

The public view is built from allowlists: a field that is not named here does not reach an
anonymous viewer, whatever the kernel or a future version of the data layer stores. Never
the user's identifier, metadata (except :data:`THREAD_METADATA_KEYS`), step metadata or
tags, generation settings or prompts' variables, storage keys, file paths or stored URLs.
Elements show their `props` only where the props are what they display (task lists, custom
elements), as JSON data of bounded size. Feedback comments stay private (the rating is
shown); the inputs of steps other than messages (a tool's arguments, an LLM's prompt) are
withheld unless the server publishes them (``ChatWidgetServer.share_tool_inputs``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from chatwidget.data import ElementDict, ThreadDict

THREAD_FIELDS = ("id", "name", "createdAt")
THREAD_METADATA_KEYS = ("is_shared", "shared_at")
STEP_FIELDS = (
    "id",
    "parentId",
    "name",
    "type",
    "input",
    "output",
    "isError",
    "createdAt",
    "start",
    "end",
    "language",
    "showInput",
    "defaultOpen",
    "icon",
    "autoCollapse",
)
#: From a step's ``generation``: which model answered, never its settings, prompt variables,
#: tools, or provider data (which may hold keys, base URLs or user data).
GENERATION_FIELDS = ("provider", "model", "type", "tokenCount", "inputTokenCount", "outputTokenCount")
FEEDBACK_FIELDS = ("value",)
#: Steps whose input is part of the conversation itself; other steps' inputs are private.
MESSAGE_TYPES = frozenset({"user_message", "assistant_message", "system_message"})
ELEMENT_FIELDS = ("id", "forId", "type", "name", "display", "mime", "size", "language", "page")
#: Only scalar values are copied (no nested dict can smuggle a field past the allowlist).
SAFE_SCALARS = (str, int, float, bool, type(None))


def _pick(source: Mapping[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {k: source[k] for k in fields if k in source and isinstance(source[k], SAFE_SCALARS)}


def public_step(step: Mapping[str, Any], tool_inputs: bool = False) -> dict[str, Any]:
    out = _pick(step, STEP_FIELDS)
    if not tool_inputs and step.get("type") not in MESSAGE_TYPES:
        out.pop("input", None)
    generation = step.get("generation")
    if isinstance(generation, Mapping):
        picked = _pick(generation, GENERATION_FIELDS)
        if picked:
            out["generation"] = picked
    feedback = step.get("feedback")
    if isinstance(feedback, Mapping):
        out["feedback"] = _pick(feedback, FEEDBACK_FIELDS)
    return out


#: Element types whose ``props`` are what they show (a task list's tasks, a custom element's
#: data): shared as JSON data, up to ``MAX_SHARED_PROPS`` bytes; other types' props are not.
PROPS_SHOWN = ("custom", "tasklist")
MAX_SHARED_PROPS = 64 * 1024


def public_element(element: ElementDict, url: str | None) -> dict[str, Any]:
    out = _pick(element, ELEMENT_FIELDS)
    out["url"] = url
    props = element.get("props")
    if element.get("type") in PROPS_SHOWN and isinstance(props, Mapping):
        try:
            encoded = json.dumps(props, allow_nan=False)
        except (TypeError, ValueError):
            encoded = ""
        if encoded and len(encoded) <= MAX_SHARED_PROPS:
            out["props"] = json.loads(encoded)  # a copy made of JSON values only
    return out


def public_thread(
    thread: ThreadDict, element_url: Callable[[ElementDict], str | None], tool_inputs: bool = False
) -> dict[str, Any]:
    """The shared view of ``thread``; ``element_url`` gives the share-scoped URL of an element;
    ``tool_inputs`` publishes the inputs of tool and other non-message steps."""
    out = _pick(thread, THREAD_FIELDS)
    metadata = thread.get("metadata") or {}
    out["metadata"] = _pick(metadata, THREAD_METADATA_KEYS)
    out["steps"] = [public_step(s, tool_inputs) for s in thread.get("steps") or []]
    thread_id = thread.get("id")
    out["elements"] = [
        public_element(e, element_url(e))
        for e in thread.get("elements") or []
        if e.get("threadId") == thread_id
    ]
    return out


def private_thread(thread: ThreadDict, element_url: Callable[[ElementDict], str | None]) -> dict[str, Any]:
    """The owner's view: everything but storage internals; stored bytes get an API URL."""
    out: dict[str, Any] = dict(thread)
    elements = []
    for element in thread.get("elements") or []:
        item: dict[str, Any] = {k: v for k, v in element.items() if k not in ("objectKey", "chainlitKey")}
        url = element_url(element)
        if url is not None:
            item["url"] = url
        elements.append(item)
    if "elements" in thread:
        out["elements"] = elements
    return out


def thread_summary(thread: ThreadDict) -> dict[str, Any]:
    """A thread in a list (the owner's): no steps or elements."""
    return {k: v for k, v in thread.items() if k not in ("steps", "elements")}
