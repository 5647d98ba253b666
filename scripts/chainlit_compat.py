"""Run Chainlit's own end-to-end example apps through chatwidget and check what their specs check.

    .venv/bin/python scripts/chainlit_compat.py /path/to/chainlit-checkout [app ...]

Each app under ``cypress/e2e/`` of a Chainlit checkout is loaded unchanged with
``cw.load_chainlit_app`` and driven headless: user messages through
``app.send_user_message``, everything else a browser would do (clicking an action,
answering a prompt, uploading a file, changing settings or profile, editing a message)
through the widget's wire protocol, as the front end sends it. The checks below restate,
per app, what its ``spec.cy.ts`` asserts on the page, in terms of the conversation
(``.step`` elements are the entries of the chat: messages and steps). Prints a table:
app, pass/fail, reason. The apps are read from the checkout, never copied.

The apps' own dependencies must be installed (``aiofiles``, ``pandas``, ``plotly``,
``matplotlib``, ``llama-index-core``). The file is long because it holds one check per app
(54 of them): each is short and reads next to the spec it restates.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import comm
from comm import DummyComm

import chatwidget as cw

Check = Callable[["Driver"], Awaitable[None]]
CHECKS: dict[str, Check] = {}
LOAD_OPTIONS: dict[str, dict[str, Any]] = {}


class Browser(DummyComm):
    """The widget's comm, answered as the front end would: keeps the kernel's replies."""

    def __init__(self, **kwargs: Any) -> None:
        self.replies: dict[str, dict[str, Any]] = {}
        self.customs: list[dict[str, Any]] = []
        super().__init__(**kwargs)

    def publish_msg(
        self, msg_type: str, data: Any = None, metadata: Any = None, buffers: Any = None, **k: Any
    ) -> None:
        if isinstance(data, dict) and data.get("method") == "custom":
            content = data["content"]
            if content.get("kind") == "reply":
                self.replies[content["id"]] = content
            else:
                self.customs.append(content)

    def request(self, kind: str, buffers: list[bytes] | None = None, **fields: Any) -> str:
        request_id = f"r{len(self.replies)}-{time.monotonic_ns()}"
        self.handle_msg(
            {
                "content": {
                    "data": {"method": "custom", "content": {"id": request_id, "kind": kind, **fields}}
                },
                "buffers": buffers or [],
            }
        )
        return request_id


class Driver:
    """One app being checked: acts as its user, reads its conversation."""

    def __init__(self, app: cw.ChatApp, root: Path, fixtures: Path) -> None:
        self.app = app
        self.root = root
        self.fixtures = fixtures
        assert app.widget is not None and isinstance(app.widget.comm, Browser)
        self.browser: Browser = app.widget.comm
        self.background: list[asyncio.Task[Any]] = []

    # -- acting ----------------------------------------------------------------------
    async def open(self) -> None:
        """A view connects: the chat starts (``on_chat_start`` runs to its end)."""
        await self.app.start()
        await self.app.wait()

    def open_in_background(self) -> None:
        """A view connects while ``on_chat_start`` waits for the user."""
        self.background.append(asyncio.ensure_future(self.app.start()))

    async def say(self, text: str, **kwargs: Any) -> None:
        await self.app.send_user_message(text, **kwargs)
        await self.app.wait()

    def say_in_background(self, text: str) -> None:
        self.background.append(asyncio.ensure_future(self.app.send_user_message(text)))

    async def until(self, condition: Callable[[], Any], what: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; chat: {self.texts()}")
            await asyncio.sleep(0.02)

    async def ask(self, kind: str) -> str:
        await self.until(lambda: self.app.ask.get("kind") == kind, f"a {kind} prompt")
        return str(self.app.ask["id"])

    async def request(
        self, kind: str, *, buffers: list[bytes] | None = None, **fields: Any
    ) -> dict[str, Any]:
        request_id = self.browser.request(kind, buffers, **fields)
        await self.until(lambda: request_id in self.browser.replies, f"the reply to {kind}")
        reply = self.browser.replies[request_id]
        await asyncio.sleep(0.05)  # let a handler the request started begin
        await self.app.wait()
        return reply

    async def click(self, action_id: str) -> None:
        reply = await self.request("action", action=action_id)
        check(reply["ok"], f"clicking {action_id} was refused: {reply.get('error')}")

    async def upload(self, name: str, mime: str, purpose: str | None = None) -> dict[str, Any]:
        """Upload a fixture as Chromium reports it; the kernel's reply (ok or refused)."""
        data = (self.fixtures / name).read_bytes()
        fields: dict[str, Any] = {"name": name, "mime": mime, "size": len(data)}
        if purpose:
            fields["for"] = purpose
        start = await self.request("upload_start", **fields)
        if not start["ok"]:
            return start
        upload_id = start["result"]["upload"]
        await self.request("upload_chunk", buffers=[data], upload=upload_id, offset=0)
        return await self.request("upload_end", upload=upload_id)

    # -- reading ---------------------------------------------------------------------
    def entries(self) -> list[Any]:
        """What the page shows as ``.step``: every message and step but the hidden run steps."""
        return [s for s in self.app.steps if s.type != "run"]

    def texts(self) -> list[str]:
        return [text_of(s) for s in self.entries()]

    def elements_of(self, entry: Any, type_: str | None = None, display: str | None = None) -> list[Any]:
        return [
            e
            for e in entry.elements
            if (type_ is None or e.type == type_) and (display is None or e.display == display)
        ]

    def step_named(self, name: str) -> Any:
        found = [
            s
            for s in self.entries()
            if s.name == name and s.type not in ("user_message", "assistant_message")
        ]
        check(len(found) == 1, f"expected one step named {name!r}, found {len(found)}")
        return found[0]


def text_of(entry: Any) -> str:
    """The visible text of an entry: markdown emphasis and code marks are not shown as such."""
    shown = (
        f"{entry.name} {entry.output}"
        if entry.type not in ("user_message", "assistant_message")
        else entry.output
    )
    return re.sub(r"[`*]", "", shown)


def check(condition: Any, reason: str) -> None:
    if not condition:
        raise AssertionError(reason)


def count(d: Driver, n: int) -> None:
    check(len(d.entries()) == n, f"expected {n} entries, found {len(d.entries())}: {d.texts()}")


def contains(d: Driver, index: int, text: str) -> None:
    texts = d.texts()
    check(index < len(texts), f"no entry {index} (expected one containing {text!r}); chat: {texts}")
    check(text in texts[index], f"entry {index} should contain {text!r}: {texts[index]!r}")


def app_check(name: str, **load: Any) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        CHECKS[name] = fn
        LOAD_OPTIONS[name] = load
        return fn

    return register


def not_in_a_notebook(name: str, why: str) -> None:
    async def refuse(d: Driver) -> None:
        raise AssertionError(why)

    CHECKS[name] = refuse
    LOAD_OPTIONS[name] = {}


# -- the checks, one per app, from its spec.cy.ts ------------------------------------------------
@app_check("action")
async def _action(d: Driver) -> None:
    d.open_in_background()
    ask = await d.ask("action")
    reply = await d.request("ask_reply", ask=ask, action="first-action")
    check(reply["ok"], f"the prompt refused first-action: {reply.get('error')}")
    await d.app.wait()
    count(d, 3)
    contains(d, 2, "Thanks for pressing: first-action")
    first = d.entries()[0]
    ids = lambda: {a.id for a in first.actions}  # noqa: E731
    await d.click("test-action")
    count(d, 4)
    contains(d, 3, "Executed test action!")
    check("test-action" in ids(), "test-action should stay")
    await d.click("removable-action")
    contains(d, 4, "Executed removable action!")
    check("removable-action" not in ids(), "removable-action should be gone")
    await d.click("multiple-action-one")
    contains(d, 5, "Action(id=multiple-action-one) has been removed!")
    check("multiple-action-one" not in ids(), "multiple-action-one should be gone")
    await d.click("multiple-action-two")
    count(d, 7)
    contains(d, 6, "Action(id=multiple-action-two) has been removed!")
    await d.click("all-actions-removed")
    contains(d, 7, "All actions have been removed!")
    check(not ids(), f"every action should be gone, left: {ids()}")


@app_check("ask_custom_element")
async def _ask_custom_element(d: Driver) -> None:
    d.open_in_background()
    ask = await d.ask("element")
    count(d, 1)
    fields = {"summary": "Bug fix", "description": "Detailed description", "priority": "Medium"}
    reply = await d.request("ask_reply", ask=ask, submitted=True, data=fields)
    check(reply["ok"], f"the submission was refused: {reply.get('error')}")
    await d.until(lambda: len(d.entries()) == 2, "the answer")
    contains(d, 1, "Bug fix")


@app_check("ask_file")
async def _ask_file(d: Driver) -> None:
    d.open_in_background()
    ask = await d.ask("file")
    done = await d.upload("state_of_the_union.txt", "text/plain", ask)
    check(done["ok"], f"the text file was refused: {done.get('error')}")
    await d.request("ask_reply", ask=ask, files=[done["result"]["file"]["id"]])
    await d.until(lambda: len(d.entries()) >= 2, "the text file's answer")
    contains(d, 1, "Text file state_of_the_union.txt uploaded, it contains")
    ask = await d.ask("file")
    refused = await d.upload("hello.cpp", "text/x-c++src", ask)
    check(not refused["ok"], "the C++ file should be refused")
    count(d, 3)
    done = await d.upload("hello.py", "text/x-python", ask)
    check(done["ok"], f"the Python file was refused: {done.get('error')}")
    await d.request("ask_reply", ask=ask, files=[done["result"]["file"]["id"]])
    await d.until(lambda: len(d.entries()) >= 4, "the Python file's answer")
    count(d, 4)
    contains(d, 3, "Python file hello.py uploaded, it contains")
    await d.until(lambda: not d.app.ask, "the prompt to close")


@app_check("ask_multiple_files")
async def _ask_multiple_files(d: Driver) -> None:
    d.open_in_background()
    ask = await d.ask("file")
    ids = []
    for name, mime in (("state_of_the_union.txt", "text/plain"), ("hello.py", "text/x-python")):
        done = await d.upload(name, mime, ask)
        check(done["ok"], f"{name} was refused: {done.get('error')}")
        ids.append(done["result"]["file"]["id"])
    await d.request("ask_reply", ask=ask, files=ids)
    await d.until(lambda: len(d.entries()) >= 2, "the answer")
    contains(d, 1, "2 files uploaded: state_of_the_union.txt,hello.py")
    check(not d.app.ask, "the prompt should be closed")


@app_check("ask_user")
async def _ask_user(d: Driver) -> None:
    d.open_in_background()
    ask = await d.ask("text")
    count(d, 1)
    await d.request("ask_reply", ask=ask, output="Jeeves")
    await d.until(lambda: len(d.entries()) == 3, "the answer")
    contains(d, 2, "Jeeves")


@app_check("audio_element")
async def _audio_element(d: Driver) -> None:
    await d.open()
    count(d, 1)
    audio = d.elements_of(d.entries()[0], "audio", "inline")
    check(len(audio) == 1 and audio[0].data(), "one inline audio element with its bytes")


not_in_a_notebook("auth", "custom FastAPI routes on Chainlit's server (chainlit.server, chainlit.auth)")


@app_check("blinking_cursor")
async def _blinking_cursor(d: Driver) -> None:
    await d.open()
    count(d, 1)
    contains(d, 0, "Hello, this is a test message!")
    await d.say("tool")
    count(d, 3)
    check(d.entries()[2].type == "tool", "the last entry should be the tool step")
    check(not d.app.running, "no cursor once the tool answered")
    d.say_in_background("Jeeves")
    await d.until(lambda: d.app.running, "the running indicator")
    await d.until(lambda: len(d.entries()) == 5 and not d.app.running, "the answer", timeout=10)
    contains(d, 4, "Received message: Jeeves")


@app_check("chat_context")
async def _chat_context(d: Driver) -> None:
    await d.say("Hello 1")
    contains(d, 1, "Chat context length: 1")
    await d.say("Hello 2")
    contains(d, 3, "Chat context length: 3")


not_in_a_notebook(
    "chat_prefill", "prefilling the composer from the page URL (?prompt=): a notebook has no app URL"
)


def _profile_names(d: Driver) -> list[str]:
    return [p["name"] for p in d.app.profiles]


@app_check("chat_profiles", login=("admin", "admin"))
async def _chat_profiles(d: Driver) -> None:
    await d.open()
    starters = {s["label"]: s["message"] for s in d.app.starters}
    check("Say hi" in starters, f"starter 'Say hi' expected, got {list(starters)}")
    await d.say(starters["Say hi"])
    count(d, 2)
    contains(d, 0, "Start a conversation with a greeting")
    contains(d, 1, "starting chat with admin using the GPT-3.5 chat profile")
    check(_profile_names(d) == ["GPT-3.5", "GPT-4", "GPT-5"], f"profiles: {_profile_names(d)}")
    await d.request("profile", name="GPT-4")
    await d.until(lambda: d.app.profile == "GPT-4" and d.app.starters, "the GPT-4 profile")
    await d.say({s["label"]: s["message"] for s in d.app.starters}["Ask for help"])
    count(d, 2)
    contains(d, 1, "starting chat with admin using the GPT-4 chat profile")
    await d.request("new_chat")
    await d.until(lambda: d.app.starters and not d.entries(), "a new empty chat with starters")
    await d.say("hello")
    count(d, 2)
    await d.request("profile", name="GPT-5")
    await d.until(lambda: d.app.profile == "GPT-5" and d.app.starters, "the GPT-5 profile")


@app_check("chat_settings")
async def _chat_settings(d: Driver) -> None:
    await d.open()
    inputs = {i["id"]: i for i in d.app.settings.get("inputs", [])}
    check(
        {"Model", "Temperature", "SAI_Steps", "SAI_Cfg_Scale", "SAI_Width"} <= set(inputs),
        f"inputs: {list(inputs)}",
    )
    changed = {"Model": "gpt-4", "Temperature": 0.4, "SAI_Steps": 36, "SAI_Cfg_Scale": 7.6}
    reply = await d.request("settings", values=changed)
    check(reply["ok"], f"settings refused: {reply.get('error')}")
    await d.until(lambda: d.entries(), "the handler's message")
    count(d, 1)
    contains(d, 0, "Settings updated!")
    values = d.app.settings["values"]
    check(all(values[k] == v for k, v in changed.items()), f"values: {values}")
    check(values["SAI_Width"] == 512 and values["SAI_Height"] == 512, "unchanged values stay")


@app_check("command")
async def _command(d: Driver) -> None:
    await d.open()
    ids = {c["id"]: c for c in d.app.commands}
    check(set(ids) == {"Picture", "Search", "Canvas", "Sticky", "StickyButton"}, f"commands: {list(ids)}")
    check({i for i, c in ids.items() if c["button"]} == {"Search", "StickyButton"}, "button commands")
    await d.say("Hello", command="Search")
    count(d, 2)
    check(d.entries()[0].command == "Search", "the user message carries its command")
    check(d.texts()[1].strip() == "Command: Search", f"reply: {d.texts()[1]!r}")
    check(d.app.commands, "the commands stay")
    await d.say("Hello", command="Picture")
    count(d, 4)
    check(d.entries()[2].command == "Picture", "Picture command on the message")
    check(not d.app.commands, "Picture clears the commands")


not_in_a_notebook("config_overrides", "MCP servers per chat profile (config_overrides with McpFeature)")


@app_check("context")
async def _context(d: Driver) -> None:
    await d.open()
    count(d, 3)
    contains(d, 0, "emitter from async found!")
    contains(d, 1, "emitter from make_async found!")
    contains(d, 2, "emitter from async_from_sync found!")


not_in_a_notebook("copilot", "the copilot widget embedded in another page, and CopilotFunction calls into it")
not_in_a_notebook("custom_build", "serving a custom front-end build instead of the chat")


@app_check("custom_element")
async def _custom_element(d: Driver) -> None:
    await d.open()
    count(d, 1)
    (element,) = d.elements_of(d.entries()[0], "custom")
    check(element.props.get("count") == 1, f"props: {element.props}")
    reply = await d.request("element_props", element=element.id, props={"count": 2})
    check(reply["ok"] and element.props["count"] == 2, f"updateElement: {reply}")
    reply = await d.request("element_action", element=element.id, name="test", payload={})
    check(reply["ok"], f"callAction from the element: {reply.get('error')}")
    await d.until(lambda: len(d.entries()) == 2, "the action's message")
    contains(d, 1, "Executed test action!")
    reply = await d.request("element_delete", element=element.id)
    check(reply["ok"] and not d.elements_of(d.entries()[0], "custom"), f"deleteElement: {reply}")
    check(element.data(), "no component source: Counter.jsx is a React component, not an ESM render()")


@app_check("custom_element_auth", login=("admin", "admin"))
async def _custom_element_auth(d: Driver) -> None:
    await d.open()
    count(d, 1)
    # A browser that names a file in an element's description must read nothing.
    forged = {
        "type": "custom",
        "id": "test",
        "name": "test",
        "display": "inline",
        "path": str(d.root / "test.txt"),
    }
    reply = await d.request("element_props", element="test", props=forged)
    check(not reply["ok"], "a forged element must be refused")
    check(all(b"Test" not in (e.data() or b"") for s in d.entries() for e in s.elements), "no file was read")


@app_check("custom_element_command")
async def _custom_element_command(d: Driver) -> None:
    await d.open()
    (element,) = d.elements_of(d.entries()[0], "custom")
    reply = await d.request(
        "element_message", element=element.id, content="Hello from custom element", command="my_command"
    )
    check(reply["ok"], f"sendUserMessage from the element: {reply.get('error')}")
    await d.until(lambda: len(d.entries()) == 3, "the message and its answer")
    contains(d, 1, "Hello from custom element")
    contains(d, 2, "Received command: my_command")


not_in_a_notebook("custom_theme", "a theme.json for Chainlit's page: the chat follows JupyterLab's theme")


@app_check("data_layer", login=("user1", "user1"))
async def _data_layer(d: Driver) -> None:
    await d.open()
    count(d, 2)


@app_check("dataframe")
async def _dataframe(d: Driver) -> None:
    await d.open()
    count(d, 1)
    frames = d.elements_of(d.entries()[0], "dataframe")
    check(len(frames) == 1 and b"Olivia" in (frames[0].data() or b""), "one dataframe with its rows")


@app_check("edit_message")
async def _edit_message(d: Driver) -> None:
    await d.say("Hello 1")
    await d.say("Hello 2")
    count(d, 4)
    contains(d, 3, "Chat context length: 3")
    reply = await d.request("edit", step=d.entries()[0].id, content="Hello 1Hello 3")
    check(reply["ok"], f"edit refused: {reply.get('error')}")
    await d.until(lambda: len(d.entries()) == 2, "the edited chat")
    contains(d, 1, "Chat context length: 1")


@app_check("elements")
async def _elements(d: Driver) -> None:
    await d.open()
    entries = d.entries()
    count(d, 4)
    check(not entries[0].elements, "the tool step shows no element")
    check(len(d.elements_of(entries[1], "image", "inline")) == 1, "message 1: one inline image")
    for entry in entries[2:]:
        check(len(d.elements_of(entry, "image", "inline")) == 1, "one inline image")
        check(len(d.elements_of(entry, "pdf", "inline")) == 1, "one inline pdf")
        links = [e for e in entry.elements if e.display in ("side", "page")]
        check(
            [e.name for e in links] == ["text1", "text2"], f"side and page links: {[e.name for e in links]}"
        )
        check(links[0].data() == b"Here is a side text document", "the side text's content")


@app_check("error_handling")
async def _error_handling(d: Driver) -> None:
    await d.open()
    count(d, 1)
    contains(d, 0, "This is an error message")


@app_check("file_element")
async def _file_element(d: Driver) -> None:
    await d.open()
    count(d, 1)
    files = d.elements_of(d.entries()[0], "file", "inline")
    names = sorted(f.name for f in files)
    check(names == sorted(["example.mp4", "cat.jpeg", "hello.py", "example.mp3"]), f"files: {names}")
    check(all(f.data() for f in files), "each file's bytes")


@app_check("header_auth", headers={"test-header": "test header value"})
async def _header_auth(d: Driver) -> None:
    await d.open()
    contains(d, 0, "Hello admin")


@app_check("llama_index_cb")
async def _llama_index_cb(d: Driver) -> None:
    await d.open()
    count(d, 3)
    retrieve = d.step_named("retrieve")
    check(retrieve.elements and retrieve.elements[0].name == "Source 0", "the retrieval's sources")


@app_check("modes")
async def _modes(d: Driver) -> None:
    await d.open()
    modes = {m["id"]: m for m in d.app.modes}
    check(set(modes) == {"model", "reasoning"}, f"modes: {list(modes)}; chat: {d.texts()}")
    await d.say("Test message 1", modes={"model": "gemini_3_pro", "reasoning": "low"})
    contains(d, 1, "Model: gemini_3_pro")
    contains(d, 1, "Reasoning: low")


@app_check("on_chat_start")
async def _on_chat_start(d: Driver) -> None:
    await d.open()
    count(d, 1)
    contains(d, 0, "Hello!")


@app_check("password_auth", login=("admin", "admin"))
async def _password_auth(d: Driver) -> None:
    await d.open()
    contains(d, 0, "Hello admin")
    try:
        cw.load_chainlit_app(d.root / "main.py", headless=True, login=("user", "user"))
    except PermissionError:
        return
    raise AssertionError("wrong credentials must be refused")


@app_check("pdf_viewer")
async def _pdf_viewer(d: Driver) -> None:
    await d.open()
    entries = d.entries()
    check(len(d.elements_of(entries[0], "pdf", "inline")) == 1, "an inline pdf")
    side = d.elements_of(entries[1], "pdf", "side")
    check(len(side) == 1 and side[0].data(), "a side pdf with its bytes")


@app_check("plotly")
async def _plotly(d: Driver) -> None:
    await d.open()
    count(d, 1)
    check(len(d.elements_of(d.entries()[0], "plotly", "inline")) == 1, "one inline plotly chart")


@app_check("pyplot")
async def _pyplot(d: Driver) -> None:
    await d.open()
    count(d, 1)
    images = d.elements_of(d.entries()[0], "image", "inline")
    check(len(images) == 1 and (images[0].data() or b"").startswith(b"\x89PNG"), "one inline PNG")


@app_check("readme")
async def _readme(d: Driver) -> None:
    portuguese = cw.load_chainlit_app(d.root / "main.py", headless=True, language="pt-BR")
    check("Bem-vindo ao Chainlit!" in portuguese.readme, "pt-BR shows chainlit_pt-BR.md")
    klingon = cw.load_chainlit_app(d.root / "main.py", headless=True, language="tlh")
    check("Bem-vindo" not in klingon.readme, "another language falls back to chainlit.md")
    check("Welcome to Chainlit!" in d.app.readme, "the default chainlit.md (the reference writes one)")


@app_check("remove_elements")
async def _remove_elements(d: Driver) -> None:
    await d.open()
    count(d, 2)
    tool = d.step_named("tool1")
    check(
        len(d.elements_of(tool, "image")) == 1, f"the step keeps one image: {[e.name for e in tool.elements]}"
    )
    check(tool.elements[0].id in {e["id"] for e in _shipped(d)}, "the step's image reached the browser")
    check(len(d.elements_of(d.entries()[1], "image")) == 1, "the message keeps one image")


def _shipped(d: Driver) -> list[dict[str, Any]]:
    state = d.app.widget.get_state()
    return [v for k, v in state.items() if k.startswith("e") and isinstance(v, dict) and "type" in v]


@app_check("remove_step")
async def _remove_step(d: Driver) -> None:
    d.open_in_background()
    ask = await d.ask("text")
    await d.until(lambda: d.texts() == ["Message 3"], "only the prompt left")
    await d.request("ask_reply", ask=ask, output="foo")
    await d.until(lambda: d.texts() == ["foo"], "the prompt removed, the answer kept", timeout=5)


@app_check("sidebar")
async def _sidebar(d: Driver) -> None:
    await d.open()
    panel = d.app.element_sidebar
    check(panel.get("title") == "Test title", f"sidebar: {panel}")
    check(len(panel.get("elements", [])) == 4, "four elements in the sidebar")
    d.say_in_background("Update sidebar")
    await d.until(lambda: d.app.element_sidebar.get("title") == "Title changed!", "the new title")
    (changed,) = d.app.element_sidebar["elements"]
    check(changed in {e["id"] for e in _shipped(d)}, "the new element reached the browser")
    await d.until(lambda: d.app.element_sidebar == {}, "the sidebar to close", timeout=10)


@app_check("starters")
async def _starters(d: Driver) -> None:
    await d.open()
    starters = {s["label"]: s["message"] for s in d.app.starters}
    check(list(starters) == ["test1", "test2", "test3"], f"starters: {list(starters)}")
    await d.say(starters["test1"])
    count(d, 2)
    contains(d, 0, "Running starter 1")
    contains(d, 1, "Running starter 1")


@app_check("starters_categories")
async def _starters_categories(d: Driver) -> None:
    await d.open()
    categories = {c["label"]: c for c in d.app.starter_categories}
    check(list(categories) == ["Creative", "Educational"], f"categories: {list(categories)}")
    poem = next(s for s in categories["Creative"]["starters"] if s["label"] == "poem")
    await d.say(poem["message"])
    count(d, 2)
    contains(d, 0, "Write a poem")


async def _nested_steps(d: Driver) -> None:
    await d.say("Hello")
    count(d, 5)
    tool1, tool2, tool3 = (d.step_named(n) for n in ("tool1", "tool2", "tool3"))
    check(tool2.parent_id == tool1.id and tool3.parent_id == tool2.id, "tool3 in tool2 in tool1")


CHECKS["step_async"] = _nested_steps
CHECKS["step_sync"] = _nested_steps


@app_check("step_icon")
async def _step_icon(d: Driver) -> None:
    await d.say("Hello")
    count(d, 5)
    icons = {n: getattr(d.step_named(n), "icon", None) for n in ("search", "database", "regular", "cpu")}
    check(
        icons == {"search": "search", "database": "database", "regular": None, "cpu": "cpu"},
        f"icons: {icons}",
    )


async def _stop_task(d: Driver) -> None:
    d.say_in_background("Hello")
    await d.until(lambda: "Message 1" in d.texts(), "the first message")
    check(d.app.stop(), "the answer should be running")
    await d.app.wait()
    await asyncio.sleep(1.5)  # longer than the app's pause: a message 2 would be there by now
    count(d, 3)
    contains(d, 2, "Task manually stopped.")


CHECKS["stop_task_async"] = _stop_task
CHECKS["stop_task_sync"] = _stop_task


@app_check("streaming")
async def _streaming(d: Driver) -> None:
    await d.open()
    count(d, 3)
    contains(d, 0, "the quick brown fox")
    contains(d, 1, "the quick brown fox")
    check(d.step_named("tool1").output == "the quick brown fox", "the tool's streamed output")


@app_check("tasklist")
async def _tasklist(d: Driver) -> None:
    await d.open()
    lists = [e for e in _shipped(d) if e["type"] == "tasklist"]
    count(d, 0)
    check(len(lists) == 1, "one task list")
    statuses = [t["status"] for t in lists[0]["props"]["tasks"]]
    want = {"ready": 7, "running": 0, "failed": 1, "done": 9}
    check({k: statuses.count(k) for k in want} == want, f"statuses: {statuses}")
    await d.say("ok")
    check(not [e for e in _shipped(d) if e["type"] == "tasklist"], "the task list is removed")


@app_check("thread_resume", login=("alice", "a"))
async def _thread_resume(d: Driver) -> None:
    await d.say("hi")
    thread_id = d.app.thread_id
    await d.app.save()
    await d.app.new_chat()
    await d.app.resume(thread_id)
    await d.say("still here")
    check(any("Echo: still here" in t for t in d.texts()), f"chat: {d.texts()}")


@app_check("update_step")
async def _update_step(d: Driver) -> None:
    await d.open()
    count(d, 2)
    contains(d, 0, "Hello again!")
    check(d.step_named("tool1").output == "Foo Bar", "the step's updated output")


@app_check("upload_attachments")
async def _upload_attachments(d: Driver) -> None:
    await d.open()
    ids = []
    for name, mime in (
        ("state_of_the_union.txt", "text/plain"),
        ("hello.cpp", "text/x-c++src"),
        ("hello.py", "text/x-python"),
    ):
        done = await d.upload(name, mime)
        check(done["ok"], f"{name} was refused: {done.get('error')}")
        ids.append(done["result"]["file"]["id"])
    reply = await d.request("send", content="Message with attachments", files=ids)
    check(reply["ok"], f"sending refused: {reply.get('error')}")
    await d.until(lambda: len(d.entries()) == 5, "the answers")
    contains(d, 1, "Content: Message with attachments")
    for i, name in enumerate(("state_of_the_union.txt", "hello.cpp", "hello.py")):
        contains(d, 2 + i, f"Received element {i}: {name}")
    check(
        [e.name for e in d.entries()[0].elements] == ["state_of_the_union.txt", "hello.cpp", "hello.py"],
        "files",
    )


@app_check("user_env")
async def _user_env(d: Driver) -> None:
    await d.open()
    check(d.app.user_env_keys == ["TEST_KEY"], "the chat asks for TEST_KEY")
    reply = await d.request("user_env", values={"TEST_KEY": "TEST_VALUE"})
    check(reply["ok"], f"the keys were refused: {reply.get('error')}")
    await d.say("Hello")
    count(d, 2)
    contains(d, 1, "TEST_VALUE")


@app_check("user_session")
async def _user_session(d: Driver) -> None:
    await d.say("Hello 1")
    contains(d, 1, "Prev message: None")
    await d.say("Hello 2")
    contains(d, 3, "Prev message: Hello 1")
    await d.request("new_chat")
    await d.say("Hello 3")
    count(d, 2)
    contains(d, 1, "Prev message: None")
    await d.say("Hello 4")
    contains(d, 3, "Prev message: Hello 3")


@app_check("window_message")
async def _window_message(d: Driver) -> None:
    await d.open()
    contains(d, 0, "Window message test ready")
    await d.request("window_message", data="Client: Hello")
    sent = [c for c in d.browser.customs if c.get("kind") == "window_message"]
    check([c.get("data") for c in sent] == ["Server: World"], f"sent to the page: {sent}")


# -- running ----------------------------------------------------------------------------
def entry_points(e2e: Path) -> dict[str, Path]:
    apps: dict[str, Path] = {}
    for folder in sorted(p for p in e2e.iterdir() if p.is_dir()):
        for variant in ("main_async", "main_sync"):
            if (folder / f"{variant}.py").is_file():
                apps[f"{folder.name}_{variant.removeprefix('main_')}"] = folder / f"{variant}.py"
        if (folder / "main.py").is_file():
            apps[folder.name] = folder / "main.py"
    return apps


async def run_one(name: str, path: Path, fixtures: Path) -> tuple[bool, str]:
    check_fn = CHECKS.get(name)
    if check_fn is None:
        return False, "no check written for this app"
    try:
        app = cw.load_chainlit_app(path, persist=False, **LOAD_OPTIONS.get(name, {}))
    except Exception as exc:  # the reason is the point of the table
        return False, f"load: {type(exc).__name__}: {exc}"
    driver = Driver(app, path.parent, fixtures)
    try:
        await asyncio.wait_for(check_fn(driver), 60)
    except AssertionError as exc:
        return False, str(exc)
    except Exception as exc:
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return False, f"{type(exc).__name__}: {exc} ({Path(where.filename).name}:{where.lineno})"
    finally:
        for task in driver.background:
            task.cancel()
        app.close()
    return True, ""


async def main(checkout: Path, wanted: list[str]) -> int:
    e2e = checkout / "cypress" / "e2e"
    comm.create_comm = Browser  # type: ignore[assignment]  # the widget's comm is the browser double
    logging.getLogger("chatwidget").setLevel(logging.CRITICAL)
    apps = entry_points(e2e)
    wanted = wanted or list(apps)
    rows = []
    for name in wanted:
        ok, reason = await run_one(name, apps[name], checkout / "cypress" / "fixtures")
        rows.append((name, ok, reason))
        print(f"{name:24} {'pass' if ok else 'FAIL'}  {reason[:150]}", flush=True)
    passed = sum(ok for _, ok, _ in rows)
    print(f"\n{passed} of {len(rows)} apps behave as their spec describes")
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 2 or not (Path(sys.argv[1]) / "cypress" / "e2e").is_dir():
        print(__doc__)
        sys.exit(2)
    sys.exit(asyncio.run(main(Path(sys.argv[1]).resolve(), sys.argv[2:])))
