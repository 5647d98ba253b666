"""What a chat does with each request from the browser.

Every handler takes the chat session and the request (its fields typed by
``_wire_requests.REQUESTS``, each still checked with ``wire.field``: the browser is not trusted
to respect the types) and either returns the reply's result, raises ``ProtocolError``
(answered as an error the user can read), or returns a coroutine whose result settles the
request later. Nothing here trusts the browser to name a file, an action that was not
offered, or a prompt that is not waiting, or to send only text a database can store: a
request's lone surrogates and NUL characters are replaced before its handler sees it, and
the reply's ``notice`` says so.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import _protocol as wire
from ._storable import notice, replace_unstorable
from .message import Message
from .modes import check_modes

if TYPE_CHECKING:
    from ._uploads import UploadedFile
    from .chat import ChatSession

log = logging.getLogger("chatwidget")

Request = Any  # one of the TypedDicts of ``_wire_requests.REQUESTS``, by kind
Handler = Callable[["ChatSession", str, Request, list[bytes]], Any]


def _refuse(request_id: str, code: str, message: str) -> wire.ProtocolError:
    return wire.ProtocolError(message, request_id, code)


def hello(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    signed_in = False
    if request.get("identity") is not None:
        token = wire.field(request, "identity", str, max_chars=2048)
        try:
            signed_in = chat.sign_in(token)
        except PermissionError as exc:
            raise _refuse(request_id, "identity", str(exc)) from None
    copies = chat.app.static_copies
    if copies is not None:
        copies.view_saves(request.get("copy_html_at_save") is True)
    chat.greeted()
    if not chat.started:
        asyncio.get_running_loop().create_task(chat.start())
    return {"protocol": wire.PROTOCOL_VERSION, "signed_in": signed_in}


def send(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    content = wire.field(request, "content", str, max_chars=wire.MAX_CONTENT_CHARS)
    key = None if request.get("key") is None else wire.field(request, "key", str, max_chars=wire.MAX_ID_CHARS)
    if key == "":
        raise _refuse(request_id, "bad_request", "'key' must not be empty")
    if key is not None and (delivered := chat.delivered.get(key)) is not None:
        return {"message_id": delivered, "duplicate": True}  # sent again: it is there already
    files = request.get("files") or []
    command = request.get("command")
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        raise _refuse(request_id, "bad_request", "'files' must be a list of upload ids")
    if command is not None and command not in {c.id for c in chat.interaction.commands}:
        raise _refuse(request_id, "bad_request", "Unknown command.")
    if not content.strip() and not files:
        raise _refuse(request_id, "empty", "The message is empty.")
    if chat.runner.busy and chat.app.disable_while_running:
        raise _refuse(request_id, "busy", "Wait for the answer to finish, or stop it.")
    uploaded = _take_uploads(chat, request_id, files) if files else []
    try:
        modes = check_modes(chat.modes, request.get("modes"))
    except ValueError as exc:
        raise _refuse(request_id, "bad_request", str(exc)) from None
    message = chat.accept_user_message(content, uploaded, command, modes)
    if key is not None:
        chat.delivered.add(key, message.id)
    chat.answer_after_start(message)
    return {"message_id": message.id}


def _take_uploads(chat: ChatSession, request_id: str, files: list[str]) -> list[UploadedFile]:
    """The composer's finished uploads a message names."""
    from ._uploads import UploadError

    rules = chat.upload_rules()
    if rules is None:
        raise _refuse(request_id, "upload", "Files cannot be sent here.")
    try:
        return chat.uploads.take(files, "message", rules)
    except UploadError as exc:
        raise _refuse(request_id, "upload", str(exc)) from None


def stop(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    return {"stopped": chat.stop()}


def resync(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    step = chat.conversation.get(wire.field(request, "step", str, max_chars=wire.MAX_ID_CHARS))
    if step is None:
        raise _refuse(request_id, "not_found", "No such step.")
    return {"step": chat.wire(step)}


async def _answer(chat: ChatSession, request_id: str, ask_id: str, answer: Any) -> Any:
    from ._uploads import UploadError

    try:
        await chat.asks.answer(ask_id, answer)
    except LookupError as exc:
        raise _refuse(request_id, "stale", str(exc)) from None
    except (ValueError, UploadError) as exc:
        raise _refuse(request_id, "bad_answer", str(exc)) from None
    return {"accepted": True}


def ask_reply(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    ask_id = wire.field(request, "ask", str, max_chars=wire.MAX_ID_CHARS)
    if "output" in request:
        answer: Any = wire.field(request, "output", str, max_chars=wire.MAX_CONTENT_CHARS)
    elif "action" in request:
        answer = wire.field(request, "action", str, max_chars=wire.MAX_ID_CHARS)
    elif "files" in request:
        answer = wire.field(request, "files", list)
    elif "submitted" in request:
        answer = {"submitted": wire.field(request, "submitted", bool), "data": request.get("data")}
    else:
        raise _refuse(request_id, "bad_request", "The reply carries no answer.")
    pending = chat.asks.get(ask_id)
    given = next(k for f, k in _REPLY_KINDS.items() if f in request)
    if pending is not None and pending.kind != given:  # e.g. an action id as a text answer
        raise _refuse(request_id, "bad_answer", f"This prompt asks for {pending.kind}, not {given}.")
    return _answer(chat, request_id, ask_id, answer)


#: The answer field of an ``ask_reply`` and the kind of prompt it answers.
_REPLY_KINDS = {"output": "text", "action": "action", "files": "file", "submitted": "element"}


def action(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    action_id = wire.field(request, "action", str, max_chars=wire.MAX_ID_CHARS)
    found = chat.elements.find_action(action_id)
    if found is None:
        raise _refuse(request_id, "not_found", "This action is no longer available.")
    callback = chat.handlers.action(found.name)
    if callback is None:
        raise _refuse(request_id, "not_found", f"No callback handles the action {found.name!r}.")
    chat.runner.start(f"action {found.name!r}", callback, found, cell=chat.output_context)
    return {"started": True}


def feedback(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    step = chat.conversation.get(wire.field(request, "step", str, max_chars=wire.MAX_ID_CHARS))
    if not isinstance(step, Message) or step.type != "assistant_message":
        raise _refuse(request_id, "not_found", "Feedback goes on an assistant's reply.")
    value = request.get("value")
    if value not in (0, 1, None) or isinstance(value, bool):
        raise _refuse(request_id, "bad_request", "'value' must be 0, 1 or null")
    comment = request.get("comment")
    if comment is not None:
        comment = wire.field(request, "comment", str, max_chars=2_000)
    from .types import Feedback

    given = Feedback(for_id=step.id, value=value, comment=comment if value is not None else None)
    given.thread_id = chat.thread_id
    chat.interaction.set_feedback(step, given)
    return {"value": value}


def settings(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    if chat.interaction.chat_settings is None:
        raise _refuse(request_id, "not_found", "This chat has no settings.")
    try:
        values = chat.interaction.chat_settings.check(request.get("values"))
    except ValueError as exc:
        raise _refuse(request_id, "bad_request", str(exc)) from None
    return chat.interaction.update_settings(values)


def edit(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    step_id = wire.field(request, "step", str, max_chars=wire.MAX_ID_CHARS)
    content = wire.field(request, "content", str, max_chars=wire.MAX_CONTENT_CHARS)
    if not content.strip():
        raise _refuse(request_id, "empty", "The message is empty.")
    if chat.runner.busy:
        raise _refuse(request_id, "busy", "Wait for the answer to finish, or stop it.")
    message = chat.conversation.get(step_id)
    if not isinstance(message, Message) or message.type != "user_message":
        raise _refuse(request_id, "not_found", "Only your own messages can be edited.")
    chat.interaction.edit_user_message(message, content)
    return {"message_id": message.id}


def profile(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    name = wire.field(request, "name", str, max_chars=200)
    if name not in {p.name for p in chat.interaction.profiles}:
        raise _refuse(request_id, "not_found", "Unknown chat profile.")
    return chat.interaction.switch_profile(name)


def new_chat(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    async def run() -> Any:
        await chat.new_chat()
        # The view is still there: the new chat starts at once (starters, on_chat_start).
        asyncio.get_running_loop().create_task(chat.start())
        return {"thread_id": chat.thread_id}

    return run()


def element_props(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    element = chat.elements.get(wire.field(request, "element", str, max_chars=wire.MAX_ID_CHARS))
    if element is None or element.type != "custom":
        raise _refuse(request_id, "not_found", "Only a custom element can change its props.")
    props = wire.field(request, "props", dict)
    try:
        size = len(json.dumps(props))
    except (TypeError, ValueError, RecursionError):
        raise _refuse(request_id, "bad_request", "'props' must be plain JSON.") from None
    if size > wire.MAX_PROPS_BYTES:
        raise _refuse(request_id, "too_large", "The props are too large.")
    element.props = {**element.props, **props}
    chat.elements.put(element)
    return {"props": element.props}


def library(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    """A front-end library the browser could not load from the server (see js/src/lazy.ts)."""
    name = wire.field(request, "name", str, max_chars=wire.MAX_ID_CHARS)
    if name not in REQUESTABLE_LIBRARIES:
        raise _refuse(request_id, "not_found", "No such front-end library.")
    return {"shipped": chat.elements.ship_library(name)}


#: Libraries a browser may ask for; plotly.js is shipped by the kernel when a figure is shown.
REQUESTABLE_LIBRARIES = frozenset({"math", "highlight", "voice"})


def drawing(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    """A view started or ended drawing a long text: meanwhile the saved copy waits."""
    view = wire.field(request, "view", str, max_chars=wire.MAX_ID_CHARS)
    busy = wire.field(request, "busy", bool)
    copies = chat.app.static_copies
    if copies is not None:
        copies.view_drawing(view, busy)
    return {"waits": copies is not None and busy}


HANDLERS: dict[str, Handler] = {
    wire.HELLO: hello,
    wire.SEND: send,
    wire.STOP: stop,
    wire.RESYNC: resync,
    wire.ASK_REPLY: ask_reply,
    wire.ACTION: action,
    wire.FEEDBACK: feedback,
    wire.SETTINGS: settings,
    wire.EDIT: edit,
    wire.PROFILE: profile,
    wire.NEW_CHAT: new_chat,
    wire.ELEMENT_PROPS: element_props,
    wire.LIBRARY: library,
    wire.DRAWING: drawing,
}

#: The requests of features a chat may never use (uploads, stored threads, MCP, voice, the
#: page extras): kind -> the module whose ``HANDLERS`` answer it, imported by the first such
#: request (``importlib.import_module`` takes the import lock: two threads import it once).
_ELSEWHERE: dict[str, tuple[str, ...]] = {
    "_upload_requests": (wire.UPLOAD_START, wire.UPLOAD_CHUNK, wire.UPLOAD_END, wire.UPLOAD_ABORT),
    "_thread_requests": (wire.THREADS, wire.RESUME, wire.RENAME, wire.DELETE_THREAD, wire.SHARE),
    "_mcp_requests": (wire.MCP_CONNECT, wire.MCP_DISCONNECT),
    "_voice_requests": (wire.AUDIO_START, wire.AUDIO_CHUNK, wire.AUDIO_END),
    "_page_requests": (
        wire.ELEMENT_ACTION,
        wire.ELEMENT_DELETE,
        wire.ELEMENT_MESSAGE,
        wire.USER_ENV,
        wire.SETTINGS_EDIT,
        wire.WINDOW_MESSAGE,
    ),
}
HANDLED_ELSEWHERE = {kind: module for module, kinds in _ELSEWHERE.items() for kind in kinds}


def handler_for(kind: str) -> Handler:
    """The handler of a request kind (every kind of ``wire.REQUEST_KINDS`` has one)."""
    handler = HANDLERS.get(kind)
    if handler is None:  # after the first request of its module, a look-up in sys.modules
        handler = importlib.import_module(f"chatwidget.{HANDLED_ELSEWHERE[kind]}").HANDLERS[kind]
    return handler


def dispatch(chat: ChatSession, content: Any, buffers: Any) -> None:
    """Check a browser message, run its handler, and settle it with exactly one reply."""
    try:
        kind, request_id, request = wire.parse_request(content)
        request, replaced = _storable_fields(request)
    except wire.ProtocolError as exc:
        log.warning("chatwidget: ignored a message from the browser: %s", exc)
        if exc.request_id:
            chat.send_to_views(wire.reply_error(exc.request_id, exc.code, str(exc)))
        return
    told = notice(replaced) if replaced else None
    try:
        result = handler_for(kind)(chat, request_id, request, list(buffers or []))
    except Exception as exc:
        _reply_failure(chat, kind, request_id, exc)
        return
    if asyncio.iscoroutine(result):
        asyncio.get_running_loop().create_task(_settle_later(chat, kind, request_id, result, told))
    else:
        chat.send_to_views(wire.reply_ok(request_id, result, told))


def _storable_fields(request: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The request with its text made storable (a lone surrogate or a NUL becomes U+FFFD,
    so that no handler keeps, shows or stores what the database refuses), and how many
    characters were replaced. The id is answered as it came."""
    fields = {name: value for name, value in request.items() if name != "id"}
    try:
        fields, replaced = replace_unstorable(fields)
    except RecursionError:
        raise wire.ProtocolError("the request is nested too deeply", request["id"]) from None
    return {**fields, "id": request["id"]}, replaced


async def _settle_later(
    chat: ChatSession, kind: str, request_id: str, pending: Any, told: str | None
) -> None:
    try:
        result = await pending
    except Exception as exc:
        _reply_failure(chat, kind, request_id, exc)
    else:
        chat.send_to_views(wire.reply_ok(request_id, result, told))


def _reply_failure(chat: ChatSession, kind: str, request_id: str, exc: Exception) -> None:
    """A refused request gets its reason; anything else is logged, never sent as a traceback."""
    if isinstance(exc, wire.ProtocolError):
        log.warning("chatwidget: refused a %s request: %s", kind, exc)
        chat.send_to_views(wire.reply_error(request_id, exc.code, str(exc)))
    else:
        log.error("chatwidget: a %s request failed", kind, exc_info=exc)
        chat.send_to_views(
            wire.reply_error(request_id, "internal", "The kernel could not handle this request.")
        )
