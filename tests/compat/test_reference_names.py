"""The reference's names that chatwidget lacked: each does what the reference's does."""

from __future__ import annotations

import asyncio
import datetime
import gc
import threading

import pytest

import chatwidget as cw
import chatwidget.chainlit as cl

from .conftest import until


async def test_sleep_and_make_async_keep_the_chat_reachable(browser_app):
    app = browser_app()
    seen = []

    def blocking():
        seen.append(threading.current_thread() is not threading.main_thread())
        seen.append(cw.context.emitter is not None)
        cw.run_sync(cw.Message("from a thread").send())
        return 42

    @app.on_message
    async def main():
        await cw.sleep(0.01)
        seen.append(await cw.make_async(blocking)())

    await app.send_user_message("go")
    assert seen == [True, True, 42]
    assert app.messages[-1].content == "from a thread"


async def test_chat_context_follows_the_conversation(browser_app):
    app = browser_app()
    lengths = []

    @app.on_message
    async def main(message):
        lengths.append(len(cw.chat_context.get()))
        if message.content == "forget":
            cw.chat_context.clear()
            cw.chat_context.add(cw.Message("You are terse.", type="system_message"))
            lengths.append(cw.chat_context.to_openai())
        await cw.Message(f"ok {message.content}").send()

    first = await app.send_user_message("one")
    await app.send_user_message("two")
    assert lengths == [1, 3]
    await app.widget.comm.send_request("edit", step=first.id, content="uno")
    await until(lambda: len(app.messages) == 2, "the edited chat")
    await app.send_user_message("forget")
    assert lengths[2:] == [1, 3, [{"role": "system", "content": "You are terse."}]]


async def test_context_names_the_running_chat_its_session_and_steps(browser_app):
    app = browser_app()
    app.session["user"] = cw.User(identifier="ada")
    seen = {}

    @app.on_message
    async def main():
        session = cw.context.session
        seen["session"] = (session.id == app.thread_id, session.user.identifier, session.client_type)
        async with cw.Step(name="outer") as outer, cw.Step(name="inner"):
            seen["steps"] = (cw.context.current_step.name, cw.context.current_run is outer)
        await cw.context.emitter.set_commands([{"id": "Search", "description": "web"}])

    await app.send_user_message("go")
    assert seen == {"session": (True, "ada", "jupyter"), "steps": ("inner", True)}
    assert [c["id"] for c in app.commands] == ["Search"]
    app.close()
    gc.collect()  # an app another test dropped without closing it is gone, not "the open one"
    with pytest.raises(cw.NoChatError):
        cw.context.session  # noqa: B018 - outside any chat


def test_users_as_the_reference_spells_them():
    user = cl.PersistedUser(id="u1", createdAt="2026-01-01T00:00:00Z", identifier="ada")
    assert (user.id, user.identifier) == ("u1", "ada")
    assert user.createdAt == user.created_at == "2026-01-01T00:00:00Z"
    assert isinstance(user, cw.PersistedUser) and isinstance(cw.User(identifier="x"), cw.User)


def test_date_pickers_check_what_the_browser_sends():
    single = cw.input_widget.DatePicker(id="due", initial=datetime.date(2026, 3, 1), max_date="2026-12-31")
    assert single.to_dict()["initial"] == "2026-03-01"
    assert single.check("2026-05-02") == "2026-05-02"
    for bad in ("2027-01-01", "2026-02-30", "tomorrow", 20260101, ["2026-01-01"]):
        with pytest.raises(ValueError, match="'due' must be"):
            single.check(bad)
    span = cw.input_widget.DatePicker(id="span", mode="range", initial=("2026-01-01", "2026-01-31"))
    assert span.check(["2026-01-02", "2026-01-05"]) == ["2026-01-02", "2026-01-05"]
    with pytest.raises(ValueError, match="ends after"):
        span.check(["2026-02-01", "2026-01-01"])
    with pytest.raises(ValueError, match="pair"):
        cw.input_widget.DatePicker(id="x", mode="range", initial="2026-01-01")


async def test_settings_tabs_group_inputs_and_edits_reach_on_settings_edit(browser_app):
    app = browser_app()
    edits = []

    @app.on_settings_edit
    async def editing(values):
        edits.append(values)

    @app.on_chat_start
    async def start():
        await cw.ChatSettings(
            [
                cw.input_widget.Tab(id="model", label="Model", inputs=[cw.Slider(id="t", initial=1, max=2)]),
                cw.input_widget.Tab(id="when", label="When", inputs=[cw.input_widget.DatePicker(id="due")]),
            ]
        ).send()

    await app.start()
    assert [(i["id"], i["tab"]) for i in app.settings["inputs"]] == [("t", "Model"), ("due", "When")]
    reply = await app.widget.comm.send_request("settings_edit", values={"t": 1.5})
    await until(lambda: edits, "the edit")
    assert reply["ok"] and edits == [{"t": 1.5, "due": None}]
    assert app.settings["values"]["t"] == 1  # an edit is not a change
    refused = await app.widget.comm.send_request("settings_edit", values={"t": 99, "evil": 1})
    assert not refused["ok"] and len(edits) == 1
    with pytest.raises(ValueError, match="own id"):
        cw.ChatSettings(
            [cw.input_widget.Tab(id="a", label="A", inputs=[cw.Switch(id="x"), cw.Switch(id="x")])]
        )


async def test_step_icons_and_the_step_decorators_identity(browser_app):
    app = browser_app()

    @cw.step(name="search", type="tool", icon="search", id="fixed-id")
    async def search():
        return "found"

    @app.on_message
    async def main(message):
        await search()
        async with cw.Step(name="cpu", type="tool", icon="cpu", auto_collapse=True):
            pass

    await app.send_user_message("go")
    by_name = {s.name: s.to_dict() for s in app.steps}
    assert by_name["search"]["id"] == "fixed-id" and by_name["search"]["icon"] == "search"
    assert by_name["cpu"]["icon"] == "cpu" and by_name["cpu"]["autoCollapse"] is True


async def test_a_prompt_can_be_removed_with_its_message(browser_app):
    app = browser_app()

    @app.on_chat_start
    async def start():
        ask = cw.AskUserMessage("Your name?", timeout=5)
        await ask.send()
        assert await ask.remove()

    task = asyncio.ensure_future(app.start())
    await until(lambda: app.ask, "the prompt")
    await app.widget.comm.send_request("ask_reply", ask=app.ask["id"], output="Ada")
    await task
    assert [m.content for m in app.messages] == ["Ada"] and app.ask == {}


async def test_profiles_display_names_and_config_overrides(browser_app):
    app = browser_app(cw.ChatApp(title="Plain"))

    @app.set_chat_profiles
    def profiles():
        return [
            cw.ChatProfile(name="basic", default=True),
            cw.ChatProfile(
                name="mcp", display_name="With tools", config_overrides={"title": "MCP UI", "cot": "hidden"}
            ),
            cw.ChatProfile(name="bad", config_overrides={"db_url": "sqlite:///elsewhere"}),
        ]

    await app.start()
    assert [p["display_name"] for p in app.profiles] == ["basic", "With tools", "bad"]
    await app.widget.comm.send_request("profile", name="mcp")
    await until(lambda: app.profile == "mcp", "the profile")
    assert (app.title, app.cot) == ("MCP UI", "hidden")
    await app.widget.comm.send_request("profile", name="basic")
    await until(lambda: app.profile == "basic", "the profile")
    assert (app.title, app.cot) == ("Plain", "full")  # put back as they were
    refused = await app.widget.comm.send_request("profile", name="bad")
    assert not refused["ok"] and app.db_url == ""


async def test_modes_reach_the_message_and_only_offered_options_are_taken(browser_app):
    app = browser_app()
    got = []

    @app.on_chat_start
    async def start():
        await cw.context.emitter.set_modes(
            [
                cl.Mode(
                    id="model",
                    name="Model",
                    options=[cl.ModeOption(id="a", name="A"), cl.ModeOption(id="b", name="B", default=True)],
                )
            ]
        )

    @app.on_message
    async def main(message):
        got.append(message.modes)

    await app.send_user_message("defaults")
    await app.send_user_message("chosen", modes={"model": "a"})
    reply = await app.widget.comm.send_request("send", content="x", modes={"model": "../../etc"})
    assert got == [{"model": "b"}, {"model": "a"}]
    assert not reply["ok"] and "not an option" in reply["error"]["message"]
    with pytest.raises(ValueError, match="Unknown mode"):
        await app.send_user_message("y", modes={"other": "a"})


async def test_the_element_sidebar_and_chat_level_task_lists(browser_app):
    app = browser_app()

    @app.on_chat_start
    async def start():
        await cw.ElementSidebar.set_elements([cw.Text(name="a", content="A"), cw.Text(name="b", content="B")])
        await cw.ElementSidebar.set_title("Sources")
        tasks = cw.TaskList()
        await tasks.add_task(cw.Task(title="fetch", status=cw.TaskStatus.DONE))
        await tasks.send()

    await app.start()
    panel = app.element_sidebar
    assert panel["title"] == "Sources" and len(panel["elements"]) == 2
    state = app.widget.get_state()
    shipped = {
        v["id"]: v for k, v in state.items() if k.startswith("e") and isinstance(v, dict) and "type" in v
    }
    assert {shipped[i]["name"] for i in panel["elements"]} == {"a", "b"}
    (tasklist,) = [i for i in app.chat_elements if shipped[i]["type"] == "tasklist"]
    assert app.messages == []  # the task list belongs to the chat, not to a message

    with app:
        await cw.ElementSidebar.set_elements([cw.Text(name="c", content="C")])
    assert len(app.element_sidebar["elements"]) == 1
    assert not set(panel["elements"]) & set(app.chat_elements)  # the replaced ones are gone
    with app:
        await cw.ElementSidebar.set_elements([])
    assert app.element_sidebar == {} and app.chat_elements == [tasklist]


async def test_toasts_and_window_messages_both_ways(browser_app):
    app = browser_app()
    received = []

    @app.on_window_message
    async def from_page(data):
        received.append(data)
        await cl.send_window_message(f"Server: {data}")

    reply = await app.widget.comm.send_request("window_message", data="Client: hi")
    await until(lambda: received, "the window message")
    await app.wait()
    events = app.widget.comm.events
    assert reply["ok"] and received == ["Client: hi"]
    assert {"kind": "window_message", "data": "Server: Client: hi"} in events
    too_big = await app.widget.comm.send_request("window_message", data="x" * 200_000)
    assert not too_big["ok"]
    app.toast("Saved", "success")
    assert events[-1] == {"kind": "toast", "message": "Saved", "type": "success"}
    with pytest.raises(ValueError, match="info, success, warning, error"):
        app.toast("x", "<script>")


async def test_user_env_keeps_only_the_keys_asked_for(browser_app):
    app = browser_app(cw.ChatApp(user_env_keys=["OPENAI_API_KEY"]))
    seen = []

    @app.on_message
    async def main():
        seen.append(cw.user_session.get("env"))

    for bad in ({"PATH": "/tmp"}, {"OPENAI_API_KEY": 12}, {"OPENAI_API_KEY": "k" * 20_000}, ["x"]):
        assert not (await app.widget.comm.send_request("user_env", values=bad))["ok"]
    ok = await app.widget.comm.send_request("user_env", values={"OPENAI_API_KEY": "sk-1"})
    assert ok["ok"] and ok["result"] == {"keys": ["OPENAI_API_KEY"]}
    await app.new_chat()
    await app.send_user_message("hi")
    assert seen == [{"OPENAI_API_KEY": "sk-1"}]  # a new chat keeps the user's keys
    assert app.widget.config["user_env_keys"] == ["OPENAI_API_KEY"]


async def test_custom_elements_call_actions_delete_themselves_and_send_messages(browser_app):
    app = browser_app()
    clicked, answered = [], []
    counter = cw.CustomElement(name="Counter", source="export function render() {}", props={"count": 1})

    @app.action_callback("test")
    async def on_test(action):
        clicked.append(action.payload)

    @app.on_message
    async def main(message):
        answered.append((message.content, message.command))

    await cw.Message("counter", elements=[counter]).bind(app.chat).send()
    send = app.widget.comm.send_request
    assert (await send("element_action", element=counter.id, name="test", payload={"n": 1}))["ok"]
    await app.wait()
    assert not (await send("element_action", element=counter.id, name="rm -rf"))["ok"]
    reply = await send("element_message", element=counter.id, content="Hello", command="my_command")
    await until(lambda: answered, "the element's message")
    assert reply["ok"] and answered == [("Hello", "my_command")] and clicked == [{"n": 1}]
    image = cw.Image(name="cat", content=b"\x89PNG", mime="image/png")
    await cw.Message("img", elements=[image]).bind(app.chat).send()
    assert not (await send("element_delete", element=image.id))["ok"]  # only custom elements
    assert (await send("element_delete", element=counter.id))["ok"]
    assert app.messages[0].elements == []


async def test_app_startup_runs_when_the_file_is_loaded(chainlit_file, browser_app):
    path = chainlit_file(
        "import chainlit as cl\nSTARTED = []\n\n@cl.on_app_startup\nasync def up():\n    STARTED.append(1)\n"
    )
    app = browser_app(cw.load_chainlit_app(path))
    assert cl._hooks.hooks_of(app)["module"]().STARTED == [1]
