"""The reference's module-level API: ``import chatwidget.chainlit as cl``.

A Chainlit file registers its handlers on the module (``@cl.on_message``); here they go to
an app: the one :func:`chatwidget.load_chainlit_app` is loading, the chat whose handler is
running, or else this module's default app, ``cl.app`` (shown with ``cl.app.display()``).
Everything else (``cl.Message``, ``cl.Step``, ``cl.user_session``...) is chatwidget's own.

A name of the reference that a notebook has no use for, or that chatwidget lacks, raises
:class:`ChainlitFeatureError` naming it, where the file uses it.
"""

from __future__ import annotations

import contextvars
import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

# The submodules named like an attribute (``chainlit.context`` the module, ``cl.context`` the
# object; ``chainlit.step`` and ``cl.step``) are imported first: importing one later would
# replace the attribute with the module.
from . import context as _context_module  # noqa: F401
from . import step as _step_module  # noqa: F401

# isort: split
from .. import input_widget
from .._context import current_chat, open_chats, require_chat
from .._sync import make_async, on_loop, run_sync, sleep
from ..action import Action
from ..app import ChatApp
from ..ask import AskActionMessage, AskElementMessage, AskFileMessage, AskUserMessage
from ..audio import InputAudioChunk, OutputAudioChunk
from ..chat_context import chat_context
from ..context import context
from ..element import (
    Audio,
    CustomElement,
    Dataframe,
    File,
    Image,
    Pdf,
    Plotly,
    Pyplot,
    Task,
    TaskList,
    TaskStatus,
    Text,
    Video,
)
from ..generation import ChatGeneration, CompletionGeneration, GenerationMessage
from ..message import ErrorMessage, Message
from ..modes import Mode, ModeOption
from ..session import user_session
from ..settings import ChatSettings
from ..sidebar import ElementSidebar
from ..step import Step, step
from ..types import AskFileResponse, ChatProfile, Starter, StarterCategory
from ._errors import ChainlitFeatureError, unsupported
from ._hooks import hooks_of
from .user import PersistedUser, User

F = TypeVar("F", bound=Callable[..., Any])

_loading: contextvars.ContextVar[ChatApp | None] = contextvars.ContextVar("chainlit_loading", default=None)
_default: ChatApp | None = None


def default_app() -> ChatApp:
    """This module's own app, made on first use (and again once closed), for files imported
    without the loader."""
    global _default
    if _default is None or _default.chat not in open_chats:
        _default = ChatApp(title="Assistant")
    return _default


def target_app() -> ChatApp:
    """Where a handler registered now belongs."""
    loading = _loading.get()
    if loading is not None:
        return loading
    chat = current_chat.get()
    return chat.chat.app if chat is not None else default_app()


@contextmanager
def registering_on(app: ChatApp) -> Iterator[ChatApp]:
    """Module-level decorators register on ``app`` while this is open (the loader's scope)."""
    token = _loading.set(app)
    try:
        yield app
    finally:
        _loading.reset(token)


# -- handlers of the chat ----------------------------------------------------------------
def on_chat_start(fn: F) -> F:
    return target_app().on_chat_start(fn)


def on_message(fn: F) -> F:
    return target_app().on_message(fn)


def on_chat_end(fn: F) -> F:
    return target_app().on_chat_end(fn)


def on_chat_resume(fn: F) -> F:
    return target_app().on_chat_resume(fn)


def on_stop(fn: F) -> F:
    return target_app().on_stop(fn)


def on_feedback(fn: F) -> F:
    return target_app().on_feedback(fn)


def on_settings_update(fn: F) -> F:
    return target_app().on_settings_update(fn)


def on_settings_edit(fn: F) -> F:
    return target_app().on_settings_edit(fn)


def set_starters(fn: F) -> F:
    return target_app().set_starters(fn)


def on_mcp_connect(fn: F) -> F:
    return target_app().on_mcp_connect(fn)


def on_mcp_disconnect(fn: F) -> F:
    return target_app().on_mcp_disconnect(fn)


def on_audio_start(fn: F) -> F:
    return target_app().on_audio_start(fn)


def on_audio_chunk(fn: F) -> F:
    return target_app().on_audio_chunk(fn)


def on_audio_end(fn: F) -> F:
    return target_app().on_audio_end(fn)


def on_window_message(fn: F) -> F:
    return target_app().on_window_message(fn)


async def send_window_message(data: Any) -> None:
    """Post ``data`` to the page hosting the chat (the reference's ``window.postMessage``)."""
    chat = require_chat()
    on_loop(lambda: chat.page.send_window_message(data))


def set_starter_categories(fn: F) -> F:
    return target_app().set_starter_categories(fn)


def set_chat_profiles(fn: F) -> F:
    return target_app().set_chat_profiles(fn)


def action_callback(name: str) -> Callable[[F], F]:
    return target_app().action_callback(name)


# -- hooks the Jupyter server owns in a notebook --------------------------------------------
def password_auth_callback(fn: F) -> F:
    """Kept for :func:`~chatwidget.load_chainlit_app`'s ``login=``; sign-in itself is the server's."""
    hooks_of(target_app())["password_auth_callback"] = fn
    return fn


def header_auth_callback(fn: F) -> F:
    """Kept for :func:`~chatwidget.load_chainlit_app`'s ``headers=``."""
    hooks_of(target_app())["header_auth_callback"] = fn
    return fn


def oauth_callback(fn: F) -> F:
    """Kept on the app; in Jupyter, OAuth is set up on the server (``ChatIdentityProvider``)."""
    hooks_of(target_app())["oauth_callback"] = fn
    return fn


def on_logout(fn: F) -> F:
    """Kept on the app; a notebook's user signs out of Jupyter, not of one chat."""
    hooks_of(target_app())["on_logout"] = fn
    return fn


def on_app_startup(fn: F) -> F:
    """Run by the loader once the file is loaded (a notebook's app starts when it is loaded)."""
    hooks_of(target_app())["on_app_startup"] = fn
    return fn


def on_app_shutdown(fn: F) -> F:
    """Run when the kernel shuts down (a loaded app's server is its kernel)."""
    hooks_of(target_app())["on_app_shutdown"] = fn
    return fn


def data_layer(fn: F) -> F:
    """``@cl.data_layer``: the function's result becomes the app's data layer."""
    app = target_app()
    app.data_layer = fn()
    app.persist = True
    return fn


def author_rename(fn: F) -> F:
    raise unsupported("author_rename", "authors are shown as sent")


def __getattr__(name: str) -> Any:
    if name == "app":
        return default_app()
    if name.startswith("_"):  # Python's own probes (__path__, __wrapped__...) get the usual answer
        raise AttributeError(name)
    if name in _INTEGRATIONS:  # imported on use: each needs its own optional package
        return getattr(importlib.import_module(_INTEGRATIONS[name], __package__), name)
    raise unsupported(name)


_INTEGRATIONS = {
    "LlamaIndexCallbackHandler": "..llama_index",
    "LangchainCallbackHandler": "..langchain",
    "AsyncLangchainCallbackHandler": "..langchain",
    "instrument_openai": "..openai",
}


__all__ = [
    "Action",
    "AskActionMessage",
    "AskElementMessage",
    "AskFileMessage",
    "AskFileResponse",
    "AskUserMessage",
    "Audio",
    "ChainlitFeatureError",
    "ChatGeneration",
    "ChatProfile",
    "ChatSettings",
    "CompletionGeneration",
    "CustomElement",
    "Dataframe",
    "ElementSidebar",
    "ErrorMessage",
    "File",
    "GenerationMessage",
    "Image",
    "InputAudioChunk",
    "Message",
    "Mode",
    "ModeOption",
    "OutputAudioChunk",
    "Pdf",
    "PersistedUser",
    "Plotly",
    "Pyplot",
    "Starter",
    "StarterCategory",
    "Step",
    "Task",
    "TaskList",
    "TaskStatus",
    "Text",
    "User",
    "Video",
    "action_callback",
    "chat_context",
    "context",
    "data_layer",
    "default_app",
    "header_auth_callback",
    "input_widget",
    "make_async",
    "oauth_callback",
    "on_app_shutdown",
    "on_app_startup",
    "on_audio_chunk",
    "on_audio_end",
    "on_audio_start",
    "on_chat_end",
    "on_chat_resume",
    "on_chat_start",
    "on_feedback",
    "on_logout",
    "on_mcp_connect",
    "on_mcp_disconnect",
    "on_message",
    "on_settings_edit",
    "on_settings_update",
    "on_stop",
    "on_window_message",
    "password_auth_callback",
    "registering_on",
    "run_sync",
    "send_window_message",
    "set_chat_profiles",
    "set_starter_categories",
    "set_starters",
    "sleep",
    "step",
    "target_app",
    "user_session",
]
