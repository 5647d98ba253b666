"""``import chatwidget`` loads only what every chat needs; the rest is imported on first use.

Each check runs in a fresh interpreter (this one has imported everything already): it fails
when a module that a plain chat does not need is imported eagerly again, and when a public
name or a request kind stops resolving. No timing is asserted; benchmarks/first_message.py
prints the import cost.
"""

from __future__ import annotations

import json
import subprocess
import sys

import chatwidget as cw
from chatwidget import _protocol as wire
from chatwidget import _requests

#: Modules a chat that shows text needs none of; importing ``chatwidget`` must not load them.
DEFERRED = [
    "chatwidget._mcp_options",
    "chatwidget._mcp_requests",
    "chatwidget._mcp_shutdown",
    "chatwidget._page_requests",
    "chatwidget._persistence",
    "chatwidget._requests",
    "chatwidget._thread_requests",
    "chatwidget._threads",
    "chatwidget._upload_requests",
    "chatwidget._uploads",
    "chatwidget._voice",
    "chatwidget._voice_requests",
    "chatwidget._wire_requests",
    "chatwidget.action",
    "chatwidget.ask",
    "chatwidget.audio",
    "chatwidget.chainlit",
    "chatwidget.data",
    "chatwidget.data.types",
    "chatwidget.element",
    "chatwidget.generation",
    "chatwidget.input_widget",
    "chatwidget.mcp",
    "chatwidget.modes",
    "chatwidget.settings",
    "chatwidget.sidebar",
    "chatwidget.types",
]

#: Of those, the ones an app still does not load when it is made and answers a message (the
#: options of MCP and voice are read by then, a message's modes are checked, and a persisted
#: app has its thread writer and the data layer's shapes).
NOT_FOR_AN_APP = [
    m
    for m in DEFERRED
    if m not in {"chatwidget._mcp_options", "chatwidget.audio", "chatwidget.modes", "chatwidget._persistence"}
    and not m.startswith("chatwidget.data")
]


def fresh(code: str) -> object:
    """What ``code`` prints as JSON on its last line, run in a new interpreter."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_chatwidget_leaves_the_deferred_modules_unloaded() -> None:
    loaded = fresh(
        "import json, sys; import chatwidget; "
        f"print(json.dumps([m for m in {DEFERRED!r} if m in sys.modules]))"
    )
    assert loaded == []


def test_an_app_made_and_sent_a_message_loads_no_feature_it_does_not_use() -> None:
    code = """
import asyncio, json, sys
import chatwidget as cw

app = cw.ChatApp("x", persist=False)

@app.on_message
async def reply(message):
    await cw.Message("ok").send()

async def main():
    await app.send_user_message("hello")
    assert app.transcript().count("ok") == 1, app.transcript()

asyncio.run(main())
"""
    code += f"print(json.dumps([m for m in {NOT_FOR_AN_APP!r} if m in sys.modules]))"
    assert fresh(code) == []


def test_every_public_name_resolves_to_the_object_of_its_module() -> None:
    names = fresh(
        "import importlib, json, chatwidget as cw; "
        "print(json.dumps({n: [getattr(cw, n).__module__, getattr(cw, n).__qualname__] "
        "for n in cw.__all__ if hasattr(getattr(cw, n), '__qualname__')}))"
    )
    assert isinstance(names, dict)
    for name, (module, qualname) in names.items():
        assert getattr(cw, name) is getattr(sys.modules[module], qualname), name
    assert set(cw.__all__) <= set(dir(cw))
    assert isinstance(cw.__version__, str)
    assert cw.input_widget.Slider is cw.Slider


def test_an_unknown_name_is_still_an_attribute_error() -> None:
    assert not hasattr(cw, "NoSuchName")


def test_the_first_use_from_many_threads_gives_every_thread_the_same_objects() -> None:
    code = """
import json, threading, chatwidget as cw
names = [n for n in cw.__all__ if n != "__version__"]
barrier = threading.Barrier(8)
seen = []
def use():
    barrier.wait()
    seen.append([id(getattr(cw, n)) for n in names])
threads = [threading.Thread(target=use) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps(len({tuple(s) for s in seen}) == 1 and len(seen) == 8))
"""
    assert fresh(code) is True


def test_every_request_kind_has_exactly_one_handler() -> None:
    """(``test_wire_types`` checks that every kind is handled in one of the two tables.)"""
    assert not set(_requests.HANDLERS) & set(_requests.HANDLED_ELSEWHERE)
    for kind in wire.REQUEST_KINDS:
        assert callable(_requests.handler_for(kind)), kind
    by_module: dict[str, set[str]] = {}
    for kind, module in _requests.HANDLED_ELSEWHERE.items():
        by_module.setdefault(module, set()).add(kind)
    for module, kinds in by_module.items():  # each module answers exactly the kinds sent to it
        assert set(sys.modules[f"chatwidget.{module}"].HANDLERS) == kinds, module
