"""What one chat offers besides messages: settings, feedback, starters, profiles, commands,
and editing a sent message. A :class:`~chatwidget.chat.ChatSession` owns one of these; the
values the views show are the session's traits."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from ._base import StepBase
from ._runner import call_with_accepted

if TYPE_CHECKING:
    from .chat import ChatSession
    from .settings import ChatSettings
    from .types import ChatProfile, Command, Feedback, Starter, StarterCategory


#: Options a profile cannot change: where threads go.
_NOT_OVERRIDABLE = frozenset({"data_layer", "db_url", "persist"})


class Interaction:
    def __init__(self, chat: ChatSession) -> None:
        self._chat = chat
        self.commands: list[Command] = []
        self.profiles: list[ChatProfile] = []
        self.chat_settings: ChatSettings | None = None
        #: The options the current profile's config_overrides replaced, with their own values.
        self._overridden: dict[str, Any] = {}

    # -- feedback and settings -------------------------------------------------------------
    def set_feedback(self, step: StepBase, feedback: Feedback) -> None:
        chat = self._chat
        step.feedback = (
            None if feedback.value is None else {"value": feedback.value, "comment": feedback.comment}
        )
        chat.conversation.put(step)
        if chat.writer is not None:
            chat.writer.feedback(feedback)
        chat.notify("on_feedback", feedback)

    def set_settings(self, settings: ChatSettings) -> dict[str, Any]:
        self.chat_settings = settings
        values = settings.initial_values()
        self._show_settings(values)
        return values

    def update_settings(self, values: dict[str, Any]) -> dict[str, Any]:
        merged = {**self._chat.settings.get("values", {}), **values}
        self._show_settings(merged)
        self._chat.notify("on_settings_update", merged)
        return {"values": merged}

    def restore_settings(self, values: dict[str, Any]) -> None:
        """Show the settings a resumed thread kept, with the inputs of the app's panel."""
        if self.chat_settings is not None:
            self._show_settings({**self.chat_settings.initial_values(), **values})

    def _show_settings(self, values: dict[str, Any]) -> None:
        assert self.chat_settings is not None
        chat = self._chat
        chat.user_session["chat_settings"] = values
        if chat.writer is not None:
            chat.writer.remember({"chat_settings": values})
        chat.settings = {"inputs": self.chat_settings.input_dicts(), "values": values}

    # -- starters, profiles, commands --------------------------------------------------------
    async def load_starters_and_profiles(self) -> None:
        chat = self._chat
        language = chat.app.language or None
        user = chat.user_session.get("user")
        if fn := chat.handlers.get("set_chat_profiles"):
            profiles = await _call(fn, user, language)
            self.profiles = list(profiles or [])
            chat.profiles = [p.to_dict() for p in self.profiles]
            if not chat.profile and self.profiles:
                default = next((p for p in self.profiles if p.default), self.profiles[0])
                chat.profile = default.name
            if chat.profile and not self._overridden:
                self.apply_overrides(chat.profile)
            chat.user_session["chat_profile"] = chat.profile or None
        starters: list[Starter] = []
        if fn := chat.handlers.get("set_starters"):
            starters = list(await _call(fn, user, language) or [])
        profile = next((p for p in self.profiles if p.name == chat.profile), None)
        if profile is not None and profile.starters:
            starters = profile.starters
        chat.starters = [s.to_dict() for s in starters]
        categories: list[StarterCategory] = []
        if fn := chat.handlers.get("set_starter_categories"):
            categories = list(await _call(fn, user, language, chat.profile or None) or [])
        chat.starter_categories = [c.to_dict() for c in categories]

    def apply_overrides(self, name: str) -> None:
        """Put back what the previous profile changed, then apply ``name``'s ``config_overrides``."""
        app = self._chat.app
        for option, value in self._overridden.items():
            setattr(app, option, value)
        self._overridden = {}
        profile = next((p for p in self.profiles if p.name == name), None)
        overrides = profile.config_overrides if profile is not None else None
        if not overrides:
            return
        if not isinstance(overrides, dict):
            raise TypeError(f"Profile {name!r}: config_overrides must be a dict of ChatApp options.")
        for option, value in overrides.items():
            if not app.has_trait(option) or option in _NOT_OVERRIDABLE:
                raise ValueError(f"Profile {name!r}: a profile cannot change the option {option!r}.")
            self._overridden[option] = getattr(app, option)
            setattr(app, option, value)

    def switch_profile(self, name: str) -> Any:
        chat = self._chat

        async def run() -> dict[str, str]:
            await chat.new_chat()
            chat.profile = name
            self.apply_overrides(name)
            chat.user_session["chat_profile"] = name
            if chat.writer is not None:
                chat.writer.remember({"chat_profile": name})
            await chat.start()
            return {"profile": name}

        return run()

    def set_commands(self, commands: list[Any]) -> None:
        from .types import Command

        self.commands = [c if isinstance(c, Command) else Command(**c) for c in commands]
        self._chat.commands = [c.to_dict() for c in self.commands]

    # -- editing and resetting -------------------------------------------------------------
    def edit_user_message(self, message: Any, content: str) -> None:
        """Drop everything after ``message``, change its text and answer it again."""
        conversation = self._chat.conversation
        slot = conversation.slot_of(message.id) or 0
        for later_slot, step in list(conversation.items()):
            if later_slot > slot:
                conversation.remove(step)
        message.content = content
        conversation.put(message)
        conversation.flush()
        self._chat.answer(message, from_view=True)

    def reset(self, *, keep_settings: bool = False) -> None:
        """Forget what belonged to the chat that ended: the panel and starters come back with
        the next ``on_chat_start`` (a resumed thread keeps the panel, with its own values);
        commands are the app's and stay."""
        if not keep_settings:
            self.chat_settings = None
            self._chat.settings = {}
        self._chat.starters = []
        self._chat.starter_categories = []


async def _call(fn: Any, *args: Any) -> Any:
    result = call_with_accepted(fn, *args)
    return await result if inspect.isawaitable(result) else result
