"""Ask prompts: ``await cw.AskUserMessage("Your name?").send()`` waits for the user's answer.

A prompt shows its content as an assistant message and sets the app's ``ask`` state, which
the composer turns into the right input. The answer comes back as an ``ask_reply`` request
that names the prompt; a late, duplicate or forged reply finds no pending prompt (or an
action that was not offered, or a file that was not uploaded) and is refused. Headless,
``app.send_user_message(..., answers=[...])`` feeds the prompts in order; ``None`` in the
list stands for a timeout.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import uuid
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._context import current_chat, require_chat
from ._uploads import UploadedFile, UploadRules, clean_name
from .action import Action
from .element import CustomElement
from .message import Message
from .types import AskFileResponse

if TYPE_CHECKING:
    from .chat import ChatSession

log = logging.getLogger("chatwidget")
_NO_SCRIPT = object()


class AskTimeoutError(TimeoutError):
    """Raised by a prompt with ``raise_on_timeout=True`` that got no answer in time."""


class AskBase(ABC):
    kind = ""

    def __init__(self, content: str, author: str | None, timeout: float, raise_on_timeout: bool) -> None:
        self.content = content
        self.author = author
        self.timeout = timeout
        self.raise_on_timeout = raise_on_timeout
        self.id = str(uuid.uuid4())
        self.message: Message | None = None
        #: The chat that asks; an answer (which arrives outside the handler) is shown there.
        self.chat: ChatSession | None = None
        #: Why answers were refused (a file of the wrong type...), in order.
        self.rejections: list[str] = []

    def spec(self) -> dict[str, Any]:
        return {}

    def prompt(self) -> Message:
        """The message that asks."""
        return Message(self.content, author=self.author)

    async def send(self) -> Any:
        chat = self.chat = require_chat()
        self.message = await self.prompt().bind(chat).send()
        # A scripted answer that breaks the prompt's rules is refused, as in the browser,
        # and the next one is tried.
        while (scripted := self._scripted_answer()) is not _NO_SCRIPT:
            if scripted is None:
                return self._timed_out()
            try:
                return await self.accept(scripted, scripted=True)
            except ValueError as exc:
                self.reject(str(exc))
        future = chat.asks.open(self)
        try:
            return await asyncio.wait_for(future, self.timeout)
        except asyncio.TimeoutError:
            return self._timed_out()
        finally:
            chat.asks.close(self)

    async def remove(self) -> bool:
        """Take the prompt's message away (and the prompt, if it still waits for an answer)."""
        if self.message is None:
            return False
        chat = self.message.chat
        if chat.asks.get(self.id) is not None:
            chat.asks.close(self)
        return await self.message.remove()

    def _scripted_answer(self) -> Any:
        chat = current_chat.get()
        if chat is None or chat.scripted is False:
            return _NO_SCRIPT
        if not chat.answers:
            log.warning(
                "chatwidget: no scripted answer left for %s; treating it as a timeout", type(self).__name__
            )
            return None
        return chat.answers.pop(0)

    def _asking(self) -> ChatSession:
        return self.chat if self.chat is not None else require_chat()

    def reject(self, reason: str) -> None:
        log.info("chatwidget: %s refused an answer: %s", type(self).__name__, reason)
        self.rejections.append(reason)

    def _timed_out(self) -> None:
        if self.raise_on_timeout:
            raise AskTimeoutError(f"{type(self).__name__} got no answer within {self.timeout:g} s")
        return

    @abstractmethod
    async def accept(self, answer: Any, *, scripted: bool = False) -> Any:
        """Turn an answer (from the browser or a script) into the prompt's result, or raise ValueError."""


class AskUserMessage(AskBase):
    """Ask for a line of text; returns the user's message as a dict with ``"output"``, or ``None``."""

    kind = "text"

    def __init__(
        self, content: str, author: str | None = None, timeout: float = 60, raise_on_timeout: bool = False
    ) -> None:
        super().__init__(content, author, timeout, raise_on_timeout)

    async def accept(self, answer: Any, *, scripted: bool = False) -> Any:
        text = answer.get("output") if isinstance(answer, dict) else answer
        if not isinstance(text, str) or not text.strip():
            raise ValueError("The answer must be some text.")
        chat = self._asking()
        reply = await Message(text, type="user_message", author=chat.app.user_name).bind(chat).send()
        return reply.to_dict()


class AskActionMessage(AskBase):
    """Offer buttons; returns the chosen action's dict (``name``, ``payload``, ``label``...), or ``None``."""

    kind = "action"

    def __init__(
        self,
        content: str,
        actions: list[Action],
        author: str | None = None,
        timeout: float = 90,
        raise_on_timeout: bool = False,
    ) -> None:
        super().__init__(content, author, timeout, raise_on_timeout)
        self.actions = list(actions)

    def spec(self) -> dict[str, Any]:
        return {"actions": [a.to_dict() for a in self.actions]}

    async def accept(self, answer: Any, *, scripted: bool = False) -> Any:
        if isinstance(answer, Action):
            answer = answer.id if scripted else answer
        chosen = next((a for a in self.actions if answer in (a.id, scripted and a.name)), None)
        if chosen is None:
            raise ValueError("That action was not offered.")
        if self.message is not None:
            self.message.metadata["selected_action"] = chosen.label or chosen.name
            await self.message.update()
        return chosen.to_dict()


class AskFileMessage(AskBase):
    """Ask for files; returns a list of :class:`AskFileResponse` (``id, name, path, size, type``) or None."""

    kind = "file"

    def __init__(
        self,
        content: str,
        accept: list[str] | dict[str, list[str]],
        max_size_mb: float = 2,
        max_files: int = 1,
        author: str | None = None,
        timeout: float = 90,
        raise_on_timeout: bool = False,
    ) -> None:
        super().__init__(content, author, timeout, raise_on_timeout)
        self.rules = UploadRules(accept=accept, max_size_mb=max_size_mb, max_files=max_files)

    def spec(self) -> dict[str, Any]:
        return self.rules.to_dict()

    async def accept(self, answer: Any, *, scripted: bool = False) -> Any:
        chat = self._asking()
        if scripted:
            files = [self._scripted_file(chat, item) for item in answer]
        else:
            if not isinstance(answer, list) or not all(isinstance(i, str) for i in answer):
                raise ValueError("'files' must be a list of upload ids.")
            files = chat.uploads.take(answer, self.id, self.rules)
        if not files or len(files) > self.rules.max_files:
            raise ValueError(f"Send between 1 and {self.rules.max_files} file(s).")
        for f in files:
            self.rules.check_file(f.name, f.type, f.size)
        if self.message is not None:  # the prompt says what it received, as no user message is added
            self.message.metadata["received_files"] = [f.name for f in files]
            await self.message.update()
        return [AskFileResponse(id=f.id, name=f.name, path=f.path, size=f.size, type=f.type) for f in files]

    def _scripted_file(self, chat: ChatSession, item: Any) -> UploadedFile:
        """A test's answer: a path, or a dict with ``name``, ``content`` and ``type``."""
        if isinstance(item, str | Path):
            data, name = Path(item).read_bytes(), Path(item).name
            mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        else:
            data, name = item["content"], item["name"]
            data = data.encode() if isinstance(data, str) else data
            mime = item.get("type") or mimetypes.guess_type(name)[0] or "application/octet-stream"
        self.rules.check_file(clean_name(name), mime, len(data))
        uploads = chat.uploads
        upload_id = uploads.start(name, mime, len(data), self.id, self.rules)
        uploads.chunk(upload_id, 0, data)
        return uploads.finish(upload_id)


class AskElementMessage(AskBase):
    """Show a custom element and wait for it to ``submit``; returns what it submitted.

    The answer is the submitted object itself with ``"submitted": True`` added (so
    ``res["summary"]`` reads a field), ``{"submitted": False}`` if the user cancelled, or
    ``None`` on timeout.
    """

    kind = "element"

    def __init__(
        self,
        content: str,
        element: CustomElement,
        author: str | None = None,
        timeout: float = 90,
        raise_on_timeout: bool = False,
    ) -> None:
        super().__init__(content, author, timeout, raise_on_timeout)
        self.element = element

    def spec(self) -> dict[str, Any]:
        return {"element": self.element.id}

    def prompt(self) -> Message:
        self.element.display = "inline"
        return Message(self.content, author=self.author, elements=[self.element])

    async def accept(self, answer: Any, *, scripted: bool = False) -> Any:
        if not isinstance(answer, dict):
            raise ValueError("The answer must be an object.")
        submitted = answer.get("submitted", True) is not False
        # The wire form is {"submitted", "data"}; a script may also give the fields themselves.
        data = (
            answer.get("data") if "data" in answer else {k: v for k, v in answer.items() if k != "submitted"}
        )
        if submitted and not isinstance(data, dict):
            raise ValueError("'data' must be an object.")
        return {**(data or {}), "submitted": True} if submitted else {"submitted": False}


class PendingAsks:
    """The prompt a chat is waiting on, at most one at a time; cleaned up however it ends."""

    def __init__(self, on_change: Any) -> None:
        self._pending: dict[str, tuple[AskBase, asyncio.Future[Any]]] = {}
        self._on_change = on_change

    def __len__(self) -> int:
        return len(self._pending)

    def get(self, ask_id: str) -> AskBase | None:
        entry = self._pending.get(ask_id)
        return entry[0] if entry else None

    def open(self, ask: AskBase) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[ask.id] = (ask, future)
        self._on_change(ask)
        return future

    def close(self, ask: AskBase) -> None:
        self._pending.pop(ask.id, None)
        self._on_change(None)

    async def answer(self, ask_id: str, answer: Any) -> Any:
        entry = self._pending.get(ask_id)
        if entry is None:
            raise LookupError("This prompt is no longer waiting for an answer.")
        ask, future = entry
        try:
            result = await ask.accept(answer)
        except ValueError as exc:
            ask.reject(str(exc))
            raise
        if future.done():
            raise LookupError("This prompt was already answered.")
        future.set_result(result)
        return result
