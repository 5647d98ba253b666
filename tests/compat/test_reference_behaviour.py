"""Behaviours where reference code expects what the reference does: shapes, arguments, rules."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pandas as pd
import pytest

import chatwidget as cw
from chatwidget.data.sql import SQLDataLayer

from .conftest import until


def wire_of(app: cw.ChatApp, step) -> dict:
    """The step as a view receives it."""
    state = app.widget.get_state()
    return next(
        v for k, v in state.items() if k.startswith("s") and isinstance(v, dict) and v.get("id") == step.id
    )


def shipped(app: cw.ChatApp) -> dict[str, dict]:
    """The element descriptions a view receives, by id."""
    state = app.widget.get_state()
    return {v["id"]: v for k, v in state.items() if k.startswith("e") and isinstance(v, dict) and "type" in v}


# -- elements given after the first send ------------------------------------------------------
async def test_elements_set_inside_an_open_step_are_shipped_stored_and_removable(
    browser_app, tmp_path, monkeypatch
):
    monkeypatch.setenv("CHATWIDGET_OWNER", "alice")
    layer = SQLDataLayer(f"sqlite+aiosqlite:///{tmp_path / 'threads.db'}")
    app = browser_app(cw.ChatApp(data_layer=layer))
    kept = cw.Image(name="kept", content=b"\x89PNG kept", mime="image/png")
    dropped = cw.Image(name="dropped", content=b"\x89PNG dropped", mime="image/png")

    @app.on_message
    async def main(message):
        async with cw.Step(name="tool1", type="tool") as step:
            step.elements = [kept, dropped]  # the step was sent when the block opened
            step.output = "This step has an image"
        await dropped.remove()

    await app.send_user_message("go")
    (step,) = [s for s in app.steps if s.name == "tool1"]
    assert [e.name for e in step.elements] == ["kept"]
    assert kept.id in shipped(app) and dropped.id not in shipped(app)
    assert app.widget.get_state()[f"b{kept.id}"]["data"] == b"\x89PNG kept"
    assert wire_of(app, step)["elements"] == [kept.id]
    await app.save()
    assert (await layer.get_element(app.thread_id, kept.id))["name"] == "kept"
    await layer.close()


async def test_elements_appended_to_a_sent_message_reach_the_browser_on_update(browser_app):
    app = browser_app()
    with app:
        msg = await cw.Message("look").send()
        chart = cw.Text(name="later", content="added after send")
        msg.elements.append(chart)
        await msg.update()
    assert shipped(app)[chart.id]["forId"] == msg.id
    assert wire_of(app, msg)["elements"] == [chart.id]
    with app:
        await chart.remove()
    assert chart.id not in shipped(app) and msg.elements == []


# -- answers in the reference's shapes -----------------------------------------------------------
async def test_ask_file_answers_ask_file_response_objects(browser_app, tmp_path):
    source = tmp_path / "notes.txt"
    source.write_text("hello")
    app = browser_app(cw.ChatApp(headless=True))
    got = []

    @app.on_message
    async def main(message):
        got.append(await cw.AskFileMessage("A file", accept=["text/plain"]).send())

    await app.send_user_message("go", answers=[[source]])
    (answer,) = got[0]
    assert isinstance(answer, cw.AskFileResponse)
    assert (answer.name, answer.size, answer.type) == ("notes.txt", 5, "text/plain")
    assert Path(answer.path).read_text() == "hello" and answer.id
    assert [m.type for m in app.messages] == ["user_message", "assistant_message"]  # no echo of the names


async def test_ask_element_answers_the_submitted_object_itself(browser_app):
    app = browser_app()
    form = cw.CustomElement(name="JiraTicket", source="export function render() {}")
    got = []

    @app.on_message
    async def main(message):
        got.append(await cw.AskElementMessage("Create a ticket", element=form).send())

    task = asyncio.ensure_future(app.send_user_message("go"))
    await until(lambda: app.ask, "the prompt")
    reply = await app.widget.comm.send_request(
        "ask_reply", ask=app.ask["id"], submitted=True, data={"summary": "Bug fix", "priority": "High"}
    )
    await task
    assert reply["ok"]
    assert got == [{"summary": "Bug fix", "priority": "High", "submitted": True}]
    assert got[0]["summary"] == "Bug fix"


def test_dataframe_takes_data_like_the_reference():
    frame = pd.DataFrame({"Name": ["Alice", "Bob"], "Age": [25, 30]})
    element = cw.Dataframe(data=frame, name="people")
    assert element.data_frame is frame
    assert b'"Alice"' in element.data()
    assert cw.Dataframe(data_frame=frame).data() == element.data()
    with pytest.raises(TypeError, match="not both"):
        cw.Dataframe(data=frame, data_frame=frame)


async def test_task_list_add_task_is_awaitable_and_statuses_are_task_status():
    tasks = cw.TaskList()
    await tasks.add_task(cw.Task(title="first", status=cw.TaskStatus.RUNNING))
    tasks.add_task(cw.Task(title="second"))  # the earlier, synchronous use still works
    tasks.tasks[1].status = cw.TaskStatus.DONE
    assert [t["status"] for t in tasks.to_dict()["props"]["tasks"]] == ["running", "done"]
    assert cw.TaskStatus.FAILED == "failed"


# -- the accept rule -------------------------------------------------------------------------
async def test_accept_map_takes_a_file_matching_the_type_or_the_extension(browser_app):
    app = browser_app()
    got = []

    @app.on_message
    async def main(message):
        got.append(await cw.AskFileMessage("A Python file", accept={"text/plain": [".py"]}).send())

    task = asyncio.ensure_future(app.send_user_message("go"))
    await until(lambda: app.ask, "the prompt")
    ask = app.ask["id"]
    cpp = await app.widget.comm.send_request(
        "upload_start", name="hello.cpp", mime="text/x-c++src", size=3, **{"for": ask}
    )
    assert not cpp["ok"]
    assert cpp["error"]["message"] == (
        "hello.cpp is not accepted here: accepted are text/plain or .py files; "
        "this file was detected as text/x-c++src (.cpp)."
    )
    # Chromium reports .py files as text/x-python: the extension is enough.
    start = await app.widget.comm.send_request(
        "upload_start", name="hello.py", mime="text/x-python", size=3, **{"for": ask}
    )
    assert start["ok"], start
    upload = start["result"]["upload"]
    await app.widget.comm.send_request("upload_chunk", buffers=[b"x=1"], upload=upload, offset=0)
    done = await app.widget.comm.send_request("upload_end", upload=upload)
    await app.widget.comm.send_request("ask_reply", ask=ask, files=[done["result"]["file"]["id"]])
    await task
    assert [f.name for f in got[0]] == ["hello.py"]


def test_accept_rules_by_type_or_extension():
    from chatwidget._uploads import accepts

    rule = {"text/plain": [".py", ".txt"], "text/x-python": [".py"]}
    assert accepts(rule, "notes.txt", "text/plain")
    assert accepts(rule, "hello.py", "application/octet-stream")  # a dialog's unknown type
    assert accepts(rule, "README", "text/plain")  # the type alone
    assert not accepts(rule, "hello.cpp", "text/x-c++src")
    assert accepts(["image/*", ".pdf"], "scan.PDF", "")
    assert not accepts(["image/*"], "x.png.exe", "application/x-msdownload")


# -- handlers get the arguments they accept --------------------------------------------------
async def test_on_message_and_action_callbacks_may_take_no_parameters(browser_app):
    app = browser_app()
    ran = []

    @app.on_message
    async def main():
        ran.append("message")
        await cw.Message("pick", actions=[cw.Action(name="go", id="go-1")]).send()

    @app.action_callback("go")
    def clicked():
        ran.append("action")

    await app.send_user_message("hi")
    reply = await app.widget.comm.send_request("action", action="go-1")
    await app.wait()
    assert reply["ok"] and ran == ["message", "action"]
    assert "error" not in app.transcript().lower()


async def test_starters_and_profiles_get_the_user_and_language_they_ask_for(browser_app):
    app = browser_app(cw.ChatApp(headless=True, language="fr-FR"))
    app.session["user"] = cw.User(identifier="ada", metadata={"role": "ADMIN"})
    seen = []

    @app.set_starters
    async def starters(user, language):
        seen.append(("starters", user.identifier, language))
        return [cw.Starter(label="Hi", message="hello")]

    @app.set_chat_profiles
    def profiles(current_user):
        seen.append(("profiles", current_user.metadata["role"]))
        return [cw.ChatProfile(name="GPT-4", display_name="Smart")]

    @app.set_starter_categories
    async def categories():
        seen.append(("categories",))
        return [cw.StarterCategory(label="Creative", starters=[cw.Starter(label="poem", message="a poem")])]

    await app.start()
    assert seen == [("profiles", "ADMIN"), ("starters", "ada", "fr-FR"), ("categories",)]
    assert app.profiles[0]["display_name"] == "Smart"
    assert app.starter_categories[0]["starters"][0]["message"] == "a poem"
