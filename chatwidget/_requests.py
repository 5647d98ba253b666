"""What a chat does with each request from the browser.

Every handler takes the chat session and the request (its fields typed by
``_protocol.REQUESTS``, each still checked with ``wire.field``: the browser is not trusted
to respect the types) and either returns the reply's result, raises ``ProtocolError``
(answered as an error the user can read), or returns a coroutine whose result settles the
request later. Nothing here trusts the browser to name a file, an action that was not
offered, or a prompt that is not waiting.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import _protocol as wire
from ._mcp_policy import first_cause
from ._page_requests import PAGE_HANDLERS
from ._thread_requests import delete_thread, rename, resume, share, threads
from ._uploads import CHUNK_BYTES, UploadError
from ._voice_requests import VOICE_HANDLERS
from .mcp import McpRefusedError, connection_from_dialog
from .message import Message
from .modes import check_modes
from .types import Feedback

if TYPE_CHECKING:
    from .chat import ChatSession

log = logging.getLogger("chatwidget")

Request = Any  # one of the TypedDicts of ``wire.REQUESTS``, by kind
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
    rules = chat.upload_rules()
    if files and rules is None:
        raise _refuse(request_id, "upload", "Files cannot be sent here.")
    try:
        uploaded = chat.uploads.take(files, "message", rules) if files and rules else []
    except UploadError as exc:
        raise _refuse(request_id, "upload", str(exc)) from None
    try:
        modes = check_modes(chat.modes, request.get("modes"))
    except ValueError as exc:
        raise _refuse(request_id, "bad_request", str(exc)) from None
    message = chat.accept_user_message(content, uploaded, command, modes)
    if key is not None:
        chat.delivered.add(key, message.id)
    chat.answer_after_start(message)
    return {"message_id": message.id}


def stop(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    return {"stopped": chat.stop()}


def resync(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    step = chat.conversation.get(wire.field(request, "step", str, max_chars=wire.MAX_ID_CHARS))
    if step is None:
        raise _refuse(request_id, "not_found", "No such step.")
    return {"step": chat.wire(step)}


async def _answer(chat: ChatSession, request_id: str, ask_id: str, answer: Any) -> Any:
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


def upload_start(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    name = wire.field(request, "name", str, max_chars=1_000)
    mime = wire.field(request, "mime", str, max_chars=200)
    size = wire.field(request, "size", int)
    purpose = request.get("for") or "message"
    rules = chat.upload_rules(purpose)
    if rules is None:
        raise _refuse(request_id, "upload", "Files cannot be sent here.")
    try:
        upload_id = chat.uploads.start(name, mime, size, purpose, rules)
    except UploadError as exc:
        raise _refuse(request_id, "upload", str(exc)) from None
    return {"upload": upload_id, "chunk_bytes": CHUNK_BYTES}


def upload_chunk(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    upload_id = wire.field(request, "upload", str, max_chars=wire.MAX_ID_CHARS)
    offset = wire.field(request, "offset", int)
    if len(buffers) != 1:
        raise _refuse(request_id, "bad_request", "A chunk carries exactly one buffer.")
    try:
        chat.uploads.chunk(upload_id, offset, bytes(buffers[0]))
    except UploadError as exc:
        raise _refuse(request_id, "upload", str(exc)) from None
    return {"received": offset + len(buffers[0])}


def upload_end(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    upload_id = wire.field(request, "upload", str, max_chars=wire.MAX_ID_CHARS)
    try:
        done = chat.uploads.finish(upload_id)
    except UploadError as exc:
        raise _refuse(request_id, "upload", str(exc)) from None
    return {"file": {"id": done.id, "name": done.name, "size": done.size, "type": done.type}}


def upload_abort(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    chat.uploads.abort(wire.field(request, "upload", str, max_chars=wire.MAX_ID_CHARS))
    return {"aborted": True}


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


def mcp_connect(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    """Connect the server a user described in the dialog, within the app's MCP options only."""
    name = wire.field(request, "name", str, max_chars=200)
    transport = wire.field(request, "transport", str, max_chars=40)
    target = wire.field(request, "target", str, max_chars=4_000)
    feature = chat.app.mcp
    try:
        if not feature.dialog:
            raise McpRefusedError("This app does not let its users connect MCP servers.")
        connection = connection_from_dialog(name, transport, target)
        feature.check(connection)
    except McpRefusedError as exc:
        raise _refuse(request_id, "mcp_refused", str(exc)) from None

    async def run() -> Any:
        try:
            await chat.mcp.connect(connection)
        except McpRefusedError as exc:
            raise _refuse(request_id, "mcp_refused", str(exc)) from None
        except Exception as exc:
            cause = first_cause(exc)
            log.warning("chatwidget: could not connect the MCP server %r", connection.name, exc_info=exc)
            reason = "it did not answer in time" if isinstance(cause, TimeoutError) else str(cause)[:300]
            message = f"Could not connect to {connection.name!r}: {reason or type(cause).__name__}."
            raise _refuse(request_id, "mcp_failed", message) from None
        tools = chat.mcp.tools()[connection.name]
        return {"name": connection.name, "tools": [tool["name"] for tool in tools]}

    return run()


def mcp_disconnect(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    name = wire.field(request, "name", str, max_chars=200)
    if name not in chat.mcp:
        raise _refuse(request_id, "not_found", "No MCP server of that name is connected.")

    async def run() -> Any:
        return {"disconnected": await chat.mcp.disconnect(name)}

    return run()


def library(chat: ChatSession, request_id: str, request: Request, buffers: list[bytes]) -> Any:
    """A front-end library the browser could not load from the server (see js/src/lazy.ts)."""
    name = wire.field(request, "name", str, max_chars=wire.MAX_ID_CHARS)
    if name not in REQUESTABLE_LIBRARIES:
        raise _refuse(request_id, "not_found", "No such front-end library.")
    return {"shipped": chat.elements.ship_library(name)}


#: Libraries a browser may ask for; plotly.js is shipped by the kernel when a figure is shown.
REQUESTABLE_LIBRARIES = frozenset({"math", "highlight", "voice"})


HANDLERS: dict[str, Handler] = {
    wire.HELLO: hello,
    wire.SEND: send,
    wire.STOP: stop,
    wire.RESYNC: resync,
    wire.ASK_REPLY: ask_reply,
    wire.ACTION: action,
    wire.FEEDBACK: feedback,
    wire.SETTINGS: settings,
    wire.UPLOAD_START: upload_start,
    wire.UPLOAD_CHUNK: upload_chunk,
    wire.UPLOAD_END: upload_end,
    wire.UPLOAD_ABORT: upload_abort,
    wire.EDIT: edit,
    wire.PROFILE: profile,
    wire.NEW_CHAT: new_chat,
    wire.THREADS: threads,
    wire.RESUME: resume,
    wire.RENAME: rename,
    wire.DELETE_THREAD: delete_thread,
    wire.SHARE: share,
    wire.ELEMENT_PROPS: element_props,
    wire.MCP_CONNECT: mcp_connect,
    wire.MCP_DISCONNECT: mcp_disconnect,
    wire.LIBRARY: library,
    **PAGE_HANDLERS,
    **VOICE_HANDLERS,
}


def dispatch(chat: ChatSession, content: Any, buffers: Any) -> None:
    """Check a browser message, run its handler, and settle it with exactly one reply."""
    try:
        kind, request_id, request = wire.parse_request(content)
    except wire.ProtocolError as exc:
        log.warning("chatwidget: ignored a message from the browser: %s", exc)
        if exc.request_id:
            chat.send_to_views(wire.reply_error(exc.request_id, exc.code, str(exc)))
        return
    try:
        result = HANDLERS[kind](chat, request_id, request, list(buffers or []))
    except Exception as exc:
        _reply_failure(chat, kind, request_id, exc)
        return
    if asyncio.iscoroutine(result):
        asyncio.get_running_loop().create_task(_settle_later(chat, kind, request_id, result))
    else:
        chat.send_to_views(wire.reply_ok(request_id, result))


async def _settle_later(chat: ChatSession, kind: str, request_id: str, pending: Any) -> None:
    try:
        result = await pending
    except Exception as exc:
        _reply_failure(chat, kind, request_id, exc)
    else:
        chat.send_to_views(wire.reply_ok(request_id, result))


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
