"""Requests from the browser for the reference's page extras: a custom element's runtime
calls (``callAction``, ``deleteElement``, ``sendUserMessage``), the user's keys, settings
being edited, and window messages from an embedding page. Same rules as
:mod:`chatwidget._requests`: every field is checked here, nothing the browser names is
trusted (an element must be a custom element of this chat, an action must have a callback).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from . import _protocol as wire
from .action import Action
from .element import Element
from .modes import check_modes

if TYPE_CHECKING:
    from .chat import ChatSession

Request = Any


def _refuse(request_id: str, code: str, message: str) -> wire.ProtocolError:
    return wire.ProtocolError(message, request_id, code)


def _custom_element(chat: ChatSession, request_id: str, request: Request) -> Element:
    element = chat.elements.get(wire.field(request, "element", str, max_chars=wire.MAX_ID_CHARS))
    if element is None or element.type != "custom":
        raise _refuse(request_id, "not_found", "No such custom element in this chat.")
    return element


def element_action(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    """``callAction({name, payload})``: runs the callback of actions named ``name``."""
    element = _custom_element(chat, request_id, request)
    name = wire.field(request, "name", str, max_chars=200)
    payload = request.get("payload") or {}
    if not isinstance(payload, dict):
        raise _refuse(request_id, "bad_request", "'payload' must be an object.")
    callback = chat.handlers.action(name)
    if callback is None:
        raise _refuse(request_id, "not_found", f"No callback handles the action {name!r}.")
    chat.runner.start(f"action {name!r}", callback, Action(name=name, payload=payload, for_id=element.for_id))
    return {"started": True}


def element_delete(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    """``deleteElement()``: the element leaves its message."""
    chat.elements.remove(_custom_element(chat, request_id, request))
    return {"deleted": True}


def element_message(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    """``sendUserMessage(content, command?)``: as if the user had typed it.

    The command is the element's own: it need not be one of the composer's commands.
    """
    _custom_element(chat, request_id, request)
    content = wire.field(request, "content", str, max_chars=wire.MAX_CONTENT_CHARS)
    command = request.get("command")
    if command is not None:
        command = wire.field(request, "command", str, max_chars=wire.MAX_ID_CHARS)
    if not content.strip():
        raise _refuse(request_id, "empty", "The message is empty.")
    if chat.runner.busy and chat.app.disable_while_running:
        raise _refuse(request_id, "busy", "Wait for the answer to finish, or stop it.")
    message = chat.accept_user_message(content, [], command, check_modes(chat.modes, None))
    chat.answer_after_start(message)
    return {"message_id": message.id}


def user_env(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    try:
        chat.page.set_user_env(request.get("values"))
    except ValueError as exc:
        raise _refuse(request_id, "bad_request", str(exc)) from None
    return {"keys": sorted(chat.user_session.get("env", {}))}


def settings_edit(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    """Values being edited before Confirm: only ``on_settings_edit`` hears them; nothing is kept."""
    if chat.interaction.chat_settings is None:
        raise _refuse(request_id, "not_found", "This chat has no settings.")
    try:
        values = chat.interaction.chat_settings.check(request.get("values"))
    except ValueError as exc:
        raise _refuse(request_id, "bad_request", str(exc)) from None
    chat.notify("on_settings_edit", {**chat.settings.get("values", {}), **values})
    return {"edited": True}


def window_message(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    data = request.get("data")
    try:
        size = len(json.dumps(data))
    except (TypeError, ValueError, RecursionError):
        raise _refuse(request_id, "bad_request", "'data' must be plain JSON.") from None
    if size > wire.MAX_PROPS_BYTES:
        raise _refuse(request_id, "too_large", "The message is too large.")
    chat.notify("on_window_message", data)
    return {"received": True}


HANDLERS: dict[str, Any] = {
    wire.ELEMENT_ACTION: element_action,
    wire.ELEMENT_DELETE: element_delete,
    wire.ELEMENT_MESSAGE: element_message,
    wire.USER_ENV: user_env,
    wire.SETTINGS_EDIT: settings_edit,
    wire.WINDOW_MESSAGE: window_message,
}
