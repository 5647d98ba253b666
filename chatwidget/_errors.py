"""What a chat shows when a handler raises: as much as its app's ``error_details`` allows."""

from __future__ import annotations

import re
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

from .step import Step

if TYPE_CHECKING:
    from .chat import ChatSession


def _fenced(text: str) -> str:
    """``text`` as a code block whatever backticks it holds."""
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", text)), default=0))
    return f"{fence}text\n{text}\n{fence}"


_PACKAGE = str(Path(__file__).parent)


def _user_traceback(exc: BaseException) -> str:
    """The traceback from the handler's own frames on (chatwidget's frames that called it left out)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None and tb.tb_frame.f_code.co_filename.startswith(_PACKAGE):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb)).rstrip()


def report_error(chat: ChatSession, name: str, exc: Exception) -> None:
    """Tell the user that ``name`` failed, with as much detail as the app's ``error_details``.

    Exception texts are shown literally, never as markdown. A traceback is a collapsible
    step under the error that only this chat's views see: it is never stored, so a
    shared page or a resumed thread does not show it.
    """
    mode = chat.app.error_details
    if mode == "none":
        chat.say(f"An error occurred ({type(exc).__name__}).", error=True)
        return
    notice = chat.say(
        f"An error occurred in {name}:\n\n{_fenced(f'{type(exc).__name__}: {exc}')}", error=True
    )
    if mode == "traceback":
        trace = Step(name="Traceback", type="undefined", parent_id=notice.id, language="text")
        trace.output = _user_traceback(exc)
        trace.is_error, trace.ephemeral = True, True
        trace.bind(chat)._send_now()
