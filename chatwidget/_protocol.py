"""The wire protocol between the kernel and the browser; mirrored by ``js/src/protocol.ts``.

Lasting state travels as widget state, so a reloaded page or a second view recovers it
without replaying events, and a notebook saved with widget state keeps it:

* ``protocol``, ``instance``, ``title``, ``config``, ``running``, ``ask``, ``settings``,
  ``starters``, ``commands``, ``profiles``, ``profile``, ``connected_mcp`` are traits.
* Every step (messages are steps too) owns one state key, ``s<slot>``, holding its
  wire form (a StepDict plus ``slot``) or ``None`` once removed; ``head`` is the number of
  slots handed out. Appending a message therefore sends one small state update, whatever
  the length of the conversation: never the whole history. On the wire a step also lists
  its ``elements`` (ids), ``actions`` and ``feedback``.
* An element's description is under ``e<id>``, its bytes (a binary buffer) under
  ``b<id>``, so updating the element or its message never resends the bytes.

Events travel as custom messages. Every message has a ``kind``; a request from the
browser also has an ``id`` and always gets exactly one ``reply`` (``ok`` true with a
``result``, or ``ok`` false with an ``error``). A successful reply may carry a ``notice``
for the user: text of the request that could not be stored was replaced (U+FFFD).

Streaming text is coalesced in the kernel: a ``stream`` message carries a flush sequence
number and, per streaming step, the text appended since the last flush together with its
character offset. A view that finds a gap (an offset past what it holds) asks for the
step with ``resync``. A state sent once the views hold a step's streamed text (its end, a
change while it streams) leaves the text out and says its length (``outputLength``); the
deltas of that flush go first. A view whose text is not that long asks for the step with
``resync``. Any other state carries the full text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, Literal, TypedDict

if TYPE_CHECKING:
    from ._wire_requests import REQUESTS as REQUESTS
    from .data.types import StepDict as StepDict  # the shape of a step, on the wire and in storage

PROTOCOL_VERSION: Final = "2"

#: Flush period for coalesced tokens and state updates, in seconds.
FLUSH_INTERVAL: Final = 0.03

# Kinds sent by the kernel.
REPLY: Final = "reply"
STREAM: Final = "stream"
WINDOW_MESSAGE: Final = "window_message"  # {data}: to the page hosting the chat; also a request, {data}
TOAST: Final = "toast"  # {message, type}
TOAST_TYPES: Final = ("info", "success", "warning", "error")
AUDIO_OUT: Final = "audio_chunk"  # {track, mimeType, sampleRate} + one binary buffer of PCM16 to play
AUDIO_INTERRUPT: Final = "audio_interrupt"  # {}: stop playing; the tracks sent so far stay silent

# Kinds sent by the browser (each is a request: it carries an ``id``).
HELLO: Final = "hello"  # {protocol, identity?, copy_html_at_save?} -> {protocol, signed_in}; starts the chat
SEND: Final = "send"  # {content, files?, command?, modes?, key?} -> {message_id, duplicate?}
STOP: Final = "stop"  # {} -> {stopped}
RESYNC: Final = "resync"  # {step} -> {step: StepDict}
ASK_REPLY: Final = "ask_reply"  # {ask, output | action | files | submitted+data} -> {accepted}
ACTION: Final = "action"  # {action} -> {started}
FEEDBACK: Final = "feedback"  # {step, value: 0 | 1 | null, comment?} -> {value}
SETTINGS: Final = "settings"  # {values} -> {values}
UPLOAD_START: Final = "upload_start"  # {name, mime, size, for?: ask id} -> {upload, chunk_bytes}
UPLOAD_CHUNK: Final = "upload_chunk"  # {upload, offset} + one binary buffer -> {received}
UPLOAD_END: Final = "upload_end"  # {upload} -> {file: {id, name, size, type}}
UPLOAD_ABORT: Final = "upload_abort"  # {upload} -> {aborted}
EDIT: Final = "edit"  # {step, content} -> {message_id}; later messages are dropped, on_message reruns
PROFILE: Final = "profile"  # {name} -> {profile}; starts a new chat
NEW_CHAT: Final = "new_chat"  # {} -> {thread_id}
THREADS: Final = (
    "threads"  # {search?, cursor?, all?} -> {pageInfo, data: [{id, name, createdAt, updatedAt, shared, app}]}
)
RESUME: Final = "resume"  # {thread} -> {thread_id}
RENAME: Final = "rename"  # {thread, name} -> {name}
DELETE_THREAD: Final = "delete_thread"  # {thread} -> {deleted}
SHARE: Final = "share"  # {thread, shared} -> {shared}; the link is the server extension's to give
ELEMENT_PROPS: Final = "element_props"  # {element, props} -> {props}: a custom element's updateProps
MCP_CONNECT: Final = "mcp_connect"  # {name, transport, target: command line | URL} -> {name, tools}
MCP_DISCONNECT: Final = "mcp_disconnect"  # {name} -> {disconnected}
LIBRARY: Final = "library"  # {name: "math" | "highlight"} -> {shipped}: sent once as lib_<name> state
ELEMENT_ACTION: Final = (
    "element_action"  # {element, name, payload?} -> {started}: a custom element's callAction
)
ELEMENT_DELETE: Final = "element_delete"  # {element} -> {deleted}: a custom element's deleteElement
ELEMENT_MESSAGE: Final = "element_message"  # {element, content, command?} -> {message_id}: sendUserMessage
USER_ENV: Final = "user_env"  # {values} -> {keys}: the user's values for the chat's user_env keys
SETTINGS_EDIT: Final = "settings_edit"  # {values} -> {edited}: values being edited, not yet confirmed
AUDIO_START: Final = "audio_start"  # {sampleRate, mimeType} -> {recording}: on_audio_start may refuse
AUDIO_CHUNK: Final = "audio_chunk"  # {recording, mimeType, elapsedTime, isStart?} + one buffer -> {received}
AUDIO_END: Final = "audio_end"  # {recording} -> {chunks, seconds}: on_audio_end runs once the chunks are in
DRAWING: Final = "drawing"  # {view, busy} -> {waits}: a view draws a long text; the saved copy waits
REQUEST_KINDS: Final = frozenset(
    {HELLO, SEND, STOP, RESYNC, ASK_REPLY, ACTION, FEEDBACK, SETTINGS, UPLOAD_START, UPLOAD_CHUNK}
    | {UPLOAD_END, UPLOAD_ABORT, EDIT, PROFILE, NEW_CHAT, THREADS, RESUME, RENAME, DELETE_THREAD}
    | {SHARE, ELEMENT_PROPS, MCP_CONNECT, MCP_DISCONNECT, LIBRARY}
    | {ELEMENT_ACTION, ELEMENT_DELETE, ELEMENT_MESSAGE, USER_ENV, SETTINGS_EDIT, WINDOW_MESSAGE}
    | {AUDIO_START, AUDIO_CHUNK, AUDIO_END, DRAWING}
)

#: Limits on what the browser may send; anything beyond is refused with a reply.
MAX_ID_CHARS: Final = 64
MAX_CONTENT_CHARS: Final = 100_000
MAX_PROPS_BYTES: Final = 100_000

StepType = Literal[
    "user_message",
    "assistant_message",
    "system_message",
    "run",
    "tool",
    "llm",
    "embedding",
    "retrieval",
    "rerank",
    "undefined",
]
MESSAGE_TYPES: Final = frozenset({"user_message", "assistant_message", "system_message"})


# The fields of each request kind, one TypedDict each, and ``REQUESTS`` (kind -> fields) are
# in ``_wire_requests.py``: read by type checkers and tests, imported here on first access.


class StreamDelta(TypedDict, total=False):
    step: str
    offset: int
    text: str
    replace: bool


class ErrorInfo(TypedDict):
    code: str
    message: str


def step_key(slot: int) -> str:
    return f"s{slot}"


def element_key(element_id: str) -> str:
    """State key of an element's description."""
    return f"e{element_id}"


def element_data_key(element_id: str) -> str:
    """State key of an element's bytes: ``{"data": <binary buffer>}``, sent once."""
    return f"b{element_id}"


def library_key(name: str) -> str:
    """State key of a front-end library shipped once by the kernel (plotly.js): ``{"data"}``."""
    return f"lib_{name}"


def reply_ok(request_id: str, result: Any = None, notice: str | None = None) -> dict[str, Any]:
    """A successful reply; ``notice`` tells the user something about the request (shown)."""
    reply = {"kind": REPLY, "id": request_id, "ok": True, "result": result}
    return reply if notice is None else {**reply, "notice": notice}


def reply_error(request_id: str, code: str, message: str) -> dict[str, Any]:
    return {"kind": REPLY, "id": request_id, "ok": False, "error": {"code": code, "message": message}}


class ProtocolError(ValueError):
    """A browser message that breaks the protocol; ``request_id`` is set when it can be answered."""

    def __init__(self, message: str, request_id: str | None = None, code: str = "bad_request"):
        super().__init__(message)
        self.request_id = request_id
        self.code = code


def parse_request(content: object) -> tuple[str, str, dict[str, Any]]:
    """Check the envelope of a browser message: returns ``(kind, id, content)``.

    Only the envelope is inspected here; each handler checks its own fields with
    :func:`field`.
    """
    if not isinstance(content, dict):
        raise ProtocolError(f"message is a {type(content).__name__}, not an object")
    request_id = content.get("id")
    if not isinstance(request_id, str) or not 0 < len(request_id) <= MAX_ID_CHARS:
        raise ProtocolError("message has no valid 'id'")
    kind = content.get("kind")
    if not isinstance(kind, str) or kind not in REQUEST_KINDS:
        raise ProtocolError(f"unknown kind {str(kind)[:40]!r}", request_id, "unknown_kind")
    return kind, request_id, content


def field(content: dict[str, Any], name: str, kind: type, *, max_chars: int | None = None) -> Any:
    """Read one typed field of a request, or raise a ProtocolError that will be answered."""
    value = content.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ProtocolError(f"'{name}' must be {kind.__name__}", content["id"])
    if max_chars is not None and isinstance(value, str) and len(value) > max_chars:
        raise ProtocolError(f"'{name}' is longer than {max_chars} characters", content["id"], "too_large")
    return value


def __getattr__(name: str) -> Any:
    """``StepDict`` (from the storage shapes), ``REQUESTS`` and the request TypedDicts: imported
    when first asked for, as nothing at run time needs them to handle a request."""
    import importlib

    if name == "StepDict":
        return importlib.import_module("chatwidget.data.types").StepDict
    if name == "REQUESTS" or name.endswith("Request"):
        shapes = importlib.import_module("chatwidget._wire_requests")
        if hasattr(shapes, name):
            return getattr(shapes, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
