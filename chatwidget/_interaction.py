"""The interactive parts of one chat: elements, actions, feedback, settings, starters,
profiles, commands, uploads and the pending ask prompt. ``ChatApp`` owns one of these."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import _protocol as wire
from ._base import StepBase
from ._uploads import CHUNK_BYTES, UploadRules, Uploads
from .action import Action
from .ask import AskBase, AskFileMessage, PendingAsks
from .element import Element, front_end_library
from .settings import ChatSettings
from .types import ChatProfile, Command, Feedback, Starter

if TYPE_CHECKING:
    from .app import ChatApp


class Interaction:
    def __init__(self, app: ChatApp) -> None:
        self.app = app
        self.action_callbacks: dict[str, Callable[..., Any]] = {}
        self.elements: dict[str, Element] = {}
        self.libraries: dict[str, bytes] = {}
        self._data_digest: dict[str, str] = {}
        self.commands: list[Command] = []
        self.profiles: list[ChatProfile] = []
        self.settings: ChatSettings | None = None
        self.uploads = Uploads()
        self.asks = PendingAsks(self._ask_changed)
        self.chunk_bytes = CHUNK_BYTES

    # -- elements and actions of steps ---------------------------------------------------------
    def attach(self, step: StepBase, *, store: bool = True) -> None:
        """Register the elements and actions a step carries, so the browser can show them."""
        for element in step.elements:
            element.for_id = step.id
            element.thread_id = self.app.thread_id
            self.put_element(element, refresh_step=False, store=store)
        for action in step.actions:
            action.for_id = step.id
            action._step = step

    def decorate(self, step: StepBase, data: Any) -> None:
        """Add what the wire form of a step carries beyond the StepDict."""
        if step.elements:
            data["elements"] = [e.id for e in step.elements]
        if step.actions:
            data["actions"] = [a.to_dict() for a in step.actions]
        if step.feedback is not None:
            data["feedback"] = step.feedback
        selected = step.metadata.get("selected_action")
        if selected:
            data["selectedAction"] = selected

    def put_element(self, element: Element, *, refresh_step: bool = True, store: bool = True) -> None:
        if element.for_id is None:  # a standalone element gets a message of its own
            from .message import Message

            host = Message("", elements=[element])
            host._app = self.app
            host._send_now()
            return
        self.elements[element.id] = element
        if element.type == "plotly":
            self._ship_library("plotly")
        if store and self.app._writer is not None:
            self.app._writer.element(element)
        self.app._emitter.put(wire.element_key(element.id), element.to_dict())
        data = element.data()
        digest = hashlib.sha256(data).hexdigest() if data is not None else ""
        if data is not None and self._data_digest.get(element.id) != digest:
            self._data_digest[element.id] = digest
            self.app._emitter.put(wire.element_data_key(element.id), {"data": data})
        owner = self.app._history.get(element.for_id)
        if refresh_step and owner is not None:
            if element not in owner.elements:
                owner.elements.append(element)
            self.app._history_put(owner)

    def _ship_library(self, name: str) -> None:
        """Send a front-end library once, as a binary buffer (plotly.js from the plotly package)."""
        if name in self.libraries:
            return
        data = front_end_library(name)
        if data is not None:
            self.libraries[name] = data
            self.app._emitter.put(wire.library_key(name), {"data": data})

    def remove_element(self, element: Element) -> None:
        if self.elements.pop(element.id, None) is None:
            return
        self._data_digest.pop(element.id, None)
        self.app._emitter.put(wire.element_key(element.id), None)
        self.app._emitter.put(wire.element_data_key(element.id), None)
        owner = self.app._history.get(element.for_id or "")
        if owner is not None and element in owner.elements:
            owner.elements.remove(element)
            self.app._history_put(owner)

    def element_state(self) -> dict[str, Any]:
        """Every element, for a view that starts from scratch."""
        state: dict[str, Any] = {wire.library_key(n): {"data": d} for n, d in self.libraries.items()}
        for element in self.elements.values():
            state[wire.element_key(element.id)] = element.to_dict()
            data = element.data()
            if data is not None:
                state[wire.element_data_key(element.id)] = {"data": data}
        return state

    def find_action(self, action_id: str) -> Action | None:
        for step in reversed(self.app._history.steps()):
            for action in step.actions:
                if action.id == action_id:
                    return action
        return None

    # -- feedback and settings -------------------------------------------------------------
    def set_feedback(self, step: StepBase, feedback: Feedback) -> None:
        step.feedback = (
            None if feedback.value is None else {"value": feedback.value, "comment": feedback.comment}
        )
        self.app._history_put(step)
        if self.app._writer is not None:
            self.app._writer.feedback(feedback)
        self._notify("on_feedback", feedback)

    def set_settings(self, settings: ChatSettings) -> dict[str, Any]:
        self.settings = settings
        values = settings.initial_values()
        self._show_settings(values)
        return values

    def update_settings(self, values: dict[str, Any]) -> dict[str, Any]:
        merged = {**self.app.settings.get("values", {}), **values}
        self._show_settings(merged)
        self._notify("on_settings_update", merged)
        return {"values": merged}

    def _show_settings(self, values: dict[str, Any]) -> None:
        assert self.settings is not None
        self.app.session["chat_settings"] = values
        self.app._remember_in_thread(chat_settings=values)
        self.app.settings = {"inputs": [i.to_dict() for i in self.settings.inputs], "values": values}

    def _notify(self, name: str, *args: Any) -> None:
        """Run a notification handler without counting it as the chat's running answer."""
        handler = self.app._handlers.get(name)
        if handler is not None:
            asyncio.get_running_loop().create_task(self.app._runner.invoke(name, handler, *args))

    # -- starters, profiles, commands --------------------------------------------------------
    async def load_starters_and_profiles(self) -> None:
        if fn := self.app._handlers.get("set_chat_profiles"):
            profiles = await _call(fn)
            self.profiles = list(profiles or [])
            self.app.profiles = [p.to_dict() for p in self.profiles]
            if not self.app.profile and self.profiles:
                default = next((p for p in self.profiles if p.default), self.profiles[0])
                self.app.profile = default.name
            self.app.session["chat_profile"] = self.app.profile or None
        starters: list[Starter] = []
        if fn := self.app._handlers.get("set_starters"):
            starters = list(await _call(fn) or [])
        profile = next((p for p in self.profiles if p.name == self.app.profile), None)
        if profile is not None and profile.starters:
            starters = profile.starters
        self.app.starters = [s.to_dict() for s in starters]

    def switch_profile(self, name: str) -> Any:
        async def run() -> dict[str, str]:
            await self.app.new_chat()
            self.app.profile = name
            self.app.session["chat_profile"] = name
            self.app._remember_in_thread(chat_profile=name)
            await self.app.start()
            return {"profile": name}

        return run()

    def set_commands(self, commands: list[Any]) -> None:
        self.commands = [c if isinstance(c, Command) else Command(**c) for c in commands]
        self.app.commands = [c.to_dict() for c in self.commands]

    # -- uploads and prompts ------------------------------------------------------------------
    def upload_rules(self, purpose: str = "message") -> UploadRules | None:
        """The rules for an upload: the composer's (if enabled) or the pending file prompt's."""
        if purpose == "message":
            options: dict[str, Any] = self.app.file_upload
            if not options.get("enabled"):
                return None
            return UploadRules(
                accept=options.get("accept", ["*/*"]),
                max_size_mb=float(options.get("max_size_mb", 500)),
                max_files=int(options.get("max_files", 20)),
            )
        ask = self.asks.get(purpose)
        return ask.rules if isinstance(ask, AskFileMessage) else None

    def _ask_changed(self, ask: AskBase | None) -> None:
        if ask is None:
            self.app.ask = {}
            return
        self.app._flush()  # the prompt's message first, then the prompt
        self.app.ask = {
            "id": ask.id,
            "kind": ask.kind,
            "forId": ask.message.id if ask.message else None,
            "spec": ask.spec(),
            "timeout": ask.timeout,
        }

    # -- editing and resetting -------------------------------------------------------------
    def edit_user_message(self, message: Any, content: str) -> None:
        """Drop everything after ``message``, change its text and answer it again."""
        slot = self.app._history.slot_of(message.id) or 0
        for later_slot, step in list(self.app._history.items()):
            if later_slot > slot:
                self.app._history_remove(step)
        message.content = content
        self.app._history_put(message)
        self.app._flush()
        self.app._start_handler(message, None)

    def reset(self) -> None:
        for element in list(self.elements.values()):
            self.remove_element(element)
        self.uploads.close()
        self.settings = None
        self.app.settings = {}
        self.app.starters = []


async def _call(fn: Callable[..., Any]) -> Any:
    result = fn()
    return await result if inspect.isawaitable(result) else result
