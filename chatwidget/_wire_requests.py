"""The fields of each request kind from the browser (the envelope's ``kind`` and ``id`` aside),
one TypedDict each, with the same names in ``js/src/protocol.ts``.

``tests/kernel/test_wire_types.py`` fails when the two sides disagree on a kind or a field.
Every handler still checks each field with ``_protocol.field`` (the browser is not trusted
to respect the types), so nothing at run time imports this module; ``_protocol`` exposes
its names on first access (``wire.REQUESTS``).
"""

from __future__ import annotations

from typing import Any, Final, Literal, TypedDict

from . import _protocol as wire


class HelloRequest(TypedDict, total=False):
    protocol: str
    identity: str
    copy_html_at_save: bool  # the page's server writes the saved copy as HTML when it saves


class _SendContent(TypedDict):
    content: str


class SendRequest(_SendContent, total=False):
    files: list[str]
    command: str | None
    modes: dict[str, str]
    key: str  # the outbox's id of the message: a second send of it gets the first delivery


class StepRequest(TypedDict):
    """resync: one step's full wire form."""

    step: str


class _AskId(TypedDict):
    ask: str


class AskReplyRequest(_AskId, total=False):
    """Exactly one answer field, of the kind the prompt asks for."""

    output: str
    action: str
    files: list[str]
    submitted: bool
    data: Any


class ActionRequest(TypedDict):
    action: str


class _FeedbackValue(TypedDict):
    step: str
    value: Literal[0, 1] | None


class FeedbackRequest(_FeedbackValue, total=False):
    comment: str | None


class SettingsRequest(TypedDict):
    values: dict[str, Any]


# ``for`` (the ask prompt an upload answers) is a keyword in Python: the functional form
# keeps the wire's field name.
_UploadFor = TypedDict("_UploadFor", {"for": str}, total=False)


class UploadStartRequest(_UploadFor):
    name: str
    mime: str
    size: int


class UploadChunkRequest(TypedDict):
    upload: str
    offset: int


class UploadRequest(TypedDict):
    """upload_end, upload_abort."""

    upload: str


class EditRequest(TypedDict):
    step: str
    content: str


class ProfileRequest(TypedDict):
    name: str


class EmptyRequest(TypedDict):
    """stop, new_chat."""


class ThreadsRequest(TypedDict, total=False):
    search: str | None
    cursor: str | None
    all: bool | None  # every app's threads, not only this app's


class ThreadRequest(TypedDict):
    """resume, delete_thread."""

    thread: str


class RenameRequest(TypedDict):
    thread: str
    name: str


class ShareRequest(TypedDict):
    thread: str
    shared: bool


class ElementPropsRequest(TypedDict):
    element: str
    props: dict[str, Any]


class McpConnectRequest(TypedDict):
    """The connect dialog: a command line for stdio, a URL for the HTTP transports."""

    name: str
    transport: str
    target: str


class McpDisconnectRequest(TypedDict):
    name: str


class LibraryRequest(TypedDict):
    name: str


class _ElementActionName(TypedDict):
    element: str
    name: str


class ElementActionRequest(_ElementActionName, total=False):
    payload: dict[str, Any]


class ElementRequest(TypedDict):
    """element_delete."""

    element: str


class _ElementMessageContent(TypedDict):
    element: str
    content: str


class ElementMessageRequest(_ElementMessageContent, total=False):
    command: str | None


class ValuesRequest(TypedDict):
    """user_env, settings_edit."""

    values: dict[str, Any]


class WindowMessageRequest(TypedDict):
    data: Any


# The voice requests use the reference's camelCase field names, as its InputAudioChunk has them.
class AudioStartRequest(TypedDict):
    sampleRate: int
    mimeType: str


class _AudioChunkFields(TypedDict):
    recording: str
    mimeType: str
    elapsedTime: float


class AudioChunkRequest(_AudioChunkFields, total=False):
    """One piece of a recording: its PCM16 samples are the message's one binary buffer."""

    isStart: bool


class AudioEndRequest(TypedDict):
    recording: str


class DrawingRequest(TypedDict):
    """A view (its own id) started or ended drawing a long text."""

    view: str
    busy: bool


#: The fields of each request kind (the envelope's ``kind`` and ``id`` aside).
REQUESTS: Final[dict[str, type]] = {
    wire.HELLO: HelloRequest,
    wire.SEND: SendRequest,
    wire.STOP: EmptyRequest,
    wire.RESYNC: StepRequest,
    wire.ASK_REPLY: AskReplyRequest,
    wire.ACTION: ActionRequest,
    wire.FEEDBACK: FeedbackRequest,
    wire.SETTINGS: SettingsRequest,
    wire.UPLOAD_START: UploadStartRequest,
    wire.UPLOAD_CHUNK: UploadChunkRequest,
    wire.UPLOAD_END: UploadRequest,
    wire.UPLOAD_ABORT: UploadRequest,
    wire.EDIT: EditRequest,
    wire.PROFILE: ProfileRequest,
    wire.NEW_CHAT: EmptyRequest,
    wire.THREADS: ThreadsRequest,
    wire.RESUME: ThreadRequest,
    wire.RENAME: RenameRequest,
    wire.DELETE_THREAD: ThreadRequest,
    wire.SHARE: ShareRequest,
    wire.ELEMENT_PROPS: ElementPropsRequest,
    wire.MCP_CONNECT: McpConnectRequest,
    wire.MCP_DISCONNECT: McpDisconnectRequest,
    wire.LIBRARY: LibraryRequest,
    wire.ELEMENT_ACTION: ElementActionRequest,
    wire.ELEMENT_DELETE: ElementRequest,
    wire.ELEMENT_MESSAGE: ElementMessageRequest,
    wire.USER_ENV: ValuesRequest,
    wire.SETTINGS_EDIT: ValuesRequest,
    wire.WINDOW_MESSAGE: WindowMessageRequest,
    wire.AUDIO_START: AudioStartRequest,
    wire.AUDIO_CHUNK: AudioChunkRequest,
    wire.AUDIO_END: AudioEndRequest,
    wire.DRAWING: DrawingRequest,
}
