"""Ask prompts, actions, elements, uploads, feedback, settings, starters, profiles, commands, editing."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

import chatwidget as cw


def reply_to(wire, request_id):
    replies = [r for r in wire.customs("reply") if r["id"] == request_id]
    assert len(replies) == 1, replies
    return replies[0]


# -- ask prompts, headless ----------------------------------------------------------------
async def test_ask_a_name_and_greet(app):
    @app.on_message
    async def main(message):
        res = await cw.AskUserMessage(content="What is your name?", timeout=10).send()
        if res:
            await cw.Message(content=f"Your name is: {res['output']}").send()

    await app.send_user_message("hi", answers=["Jeeves"])
    assert app.messages[-1].content == "Your name is: Jeeves"
    assert app.transcript().splitlines() == [
        "User: hi",
        "Assistant: What is your name?",
        "User: Jeeves",
        "Assistant: Your name is: Jeeves",
    ]


async def test_an_ask_that_times_out_returns_none(app):
    results = []

    @app.on_message
    async def main(message):
        results.append(await cw.AskUserMessage(content="Still there?", timeout=0.05).send())

    await app.send_user_message("hi")  # no answers scripted and no browser: it times out
    assert results == [None]
    assert app.ask == {} and len(app.chat.asks) == 0

    @app.on_message
    async def strict(message):
        await cw.AskUserMessage(content="Now!", timeout=0.01, raise_on_timeout=True).send()

    await app.send_user_message("again")
    assert "AskTimeoutError" in app.messages[-1].content


async def test_a_thousand_timed_out_prompts_leave_no_residue(app):
    async def ask_once():
        return await cw.AskUserMessage(content="?", timeout=0.001).send()

    @app.on_message
    async def main(message):
        results = await asyncio.gather(*(ask_once() for _ in range(1_000)))
        assert results == [None] * 1_000

    await app.send_user_message("go")
    assert len(app.chat.asks) == 0 and app.ask == {}
    assert not any(m.is_error for m in app.messages)


async def test_ask_action_returns_the_choice_and_shows_it(app):
    chosen = []

    @app.on_message
    async def main(message):
        res = await cw.AskActionMessage(
            content="Pick one",
            actions=[cw.Action(name="yes", payload={"v": 1}, label="Yes"), cw.Action(name="no", label="No")],
        ).send()
        chosen.append(res)

    await app.send_user_message("go", answers=["yes"])
    assert chosen[0]["name"] == "yes" and chosen[0]["payload"] == {"v": 1} and chosen[0]["label"] == "Yes"
    prompt = app.messages[1]
    assert app.chat.wire(prompt)["selectedAction"] == "Yes"


async def test_ask_file_rejects_a_cpp_file_when_text_and_pdf_are_accepted(app, tmp_path):
    source = tmp_path / "main.cpp"
    source.write_text("int main() {}")

    prompts = []

    @app.on_message
    async def main(message):
        ask = cw.AskFileMessage(content="Upload", accept=["text/plain", "application/pdf"])
        prompts.append((ask, await ask.send()))

    await app.send_user_message("go", answers=[[source]])
    ask, files = prompts[0]
    assert files is None  # refused, then no answer left: it times out
    assert ask.rejections == [
        "main.cpp is not accepted here: accepted are text/plain, application/pdf; "
        "this file was detected as text/x-c++src (.cpp)."
    ]


async def test_ask_file_honours_max_files_and_returns_file_responses(app, tmp_path):
    paths = []
    for i in range(3):
        p = tmp_path / f"note{i}.txt"
        p.write_text(f"note {i}")
        paths.append(p)
    got = []

    @app.on_message
    async def main(message):
        got.append(await cw.AskFileMessage(content="Two files", accept=["text/plain"], max_files=2).send())

    await app.send_user_message("ok", answers=[paths[:2]])
    files = got[0]
    assert [f["name"] for f in files] == ["note0.txt", "note1.txt"]
    assert all(isinstance(f, cw.AskFileResponse) for f in files)
    assert Path(files[0].path).read_text() == "note 0" and files[0].size == 6

    await app.send_user_message("too many", answers=[paths, paths[2:]])
    assert [f["name"] for f in got[1]] == ["note2.txt"]  # three files break max_files=2: refused


async def test_ask_element_returns_the_submitted_data(app):
    got = []
    form = cw.CustomElement(
        name="form", source="export function render({el}) {}", props={"fields": ["email"]}
    )

    @app.on_message
    async def main(message):
        got.append(await cw.AskElementMessage(content="Fill in", element=form).send())

    await app.send_user_message("go", answers=[{"submitted": True, "data": {"email": "a@b.c"}}])
    await app.send_user_message("go", answers=[{"submitted": False}])
    assert got == [{"submitted": True, "email": "a@b.c"}, {"submitted": False}]


# -- ask prompts, through the comm --------------------------------------------------------
async def test_browser_answers_and_forged_or_late_answers_are_refused(app, wire, until, replied):
    got = []

    @app.on_message
    async def main(message):
        got.append(
            await cw.AskActionMessage(
                content="Pick", actions=[cw.Action(name="a"), cw.Action(name="b")]
            ).send()
        )

    task = asyncio.ensure_future(app.send_user_message("go"))
    await until(lambda: app.ask)
    ask = app.ask
    assert ask["kind"] == "action" and [a["name"] for a in ask["spec"]["actions"]] == ["a", "b"]
    wire.browser_sends({"id": "forged", "kind": "ask_reply", "ask": ask["id"], "action": "not-offered"})
    wire.browser_sends({"id": "wrong", "kind": "ask_reply", "ask": "no-such-prompt", "action": "x"})
    offered = ask["spec"]["actions"][1]["id"]
    wire.browser_sends({"id": "good", "kind": "ask_reply", "ask": ask["id"], "action": offered})
    await asyncio.wait_for(task, 5)
    wire.browser_sends({"id": "late", "kind": "ask_reply", "ask": ask["id"], "action": offered})
    await until(replied(wire, "forged", "wrong", "good", "late"))
    assert reply_to(wire, "forged")["error"]["code"] == "bad_answer"
    assert reply_to(wire, "wrong")["error"]["code"] == "stale"
    assert reply_to(wire, "good")["ok"] is True
    assert reply_to(wire, "late")["error"]["code"] == "stale"
    assert got[0]["name"] == "b" and app.ask == {}


async def test_browser_uploads_a_file_in_chunks_for_a_prompt(app, wire, until):
    got = []

    @app.on_message
    async def main(message):
        got.append(await cw.AskFileMessage(content="A text file", accept={"text/plain": [".txt"]}).send())

    task = asyncio.ensure_future(app.send_user_message("go"))
    await until(lambda: app.ask)
    ask_id = app.ask["id"]
    data = b"x" * 1_300_000
    wire.browser_sends(
        {
            "id": "u1",
            "kind": "upload_start",
            "name": "../../etc/notes.txt",
            "mime": "text/plain",
            "size": len(data),
            "for": ask_id,
        }
    )
    start = reply_to(wire, "u1")["result"]
    chunk = start["chunk_bytes"]
    for n, offset in enumerate(range(0, len(data), chunk)):
        wire.handle_msg(
            {
                "content": {
                    "data": {
                        "method": "custom",
                        "content": {
                            "id": f"c{n}",
                            "kind": "upload_chunk",
                            "upload": start["upload"],
                            "offset": offset,
                        },
                    }
                },
                "buffers": [data[offset : offset + chunk]],
            }
        )
        assert reply_to(wire, f"c{n}")["ok"]
    wire.browser_sends({"id": "u2", "kind": "upload_end", "upload": start["upload"]})
    file_id = reply_to(wire, "u2")["result"]["file"]["id"]
    wire.browser_sends({"id": "a", "kind": "ask_reply", "ask": ask_id, "files": [file_id]})
    await asyncio.wait_for(task, 5)
    (received,) = got[0]
    assert received["name"] == "notes.txt" and received["size"] == len(data)
    assert ".." not in received["path"] and Path(received["path"]).read_bytes() == data


async def test_uploads_that_break_a_rule_leave_nothing_behind(app, wire):
    app.file_upload = {"enabled": True, "accept": ["image/*"], "max_files": 1, "max_size_mb": 1}
    wire.browser_sends(
        {"id": "big", "kind": "upload_start", "name": "a.png", "mime": "image/png", "size": 2**21}
    )
    wire.browser_sends(
        {
            "id": "type",
            "kind": "upload_start",
            "name": "a.exe",
            "mime": "application/x-msdownload",
            "size": 10,
        }
    )
    assert reply_to(wire, "big")["error"]["code"] == "upload"
    assert "not accepted" in reply_to(wire, "type")["error"]["message"]
    wire.browser_sends({"id": "ok", "kind": "upload_start", "name": "a.png", "mime": "image/png", "size": 10})
    upload = reply_to(wire, "ok")["result"]["upload"]
    wire.handle_msg(
        {
            "content": {
                "data": {
                    "method": "custom",
                    "content": {"id": "lie", "kind": "upload_chunk", "upload": upload, "offset": 0},
                }
            },
            "buffers": [b"y" * 50],
        }
    )
    assert reply_to(wire, "lie")["error"]["code"] == "upload"
    assert list(app.chat.uploads.directory.iterdir()) == []


async def test_spontaneous_attachments_reach_on_message(app, wire, until):
    app.file_upload = {"enabled": True, "accept": ["text/*"], "max_files": 2, "max_size_mb": 1}
    seen = []

    @app.on_message
    async def main(message):
        seen.append([(e.name, e.mime, Path(e.path).read_text()) for e in message.elements])

    wire.browser_sends({"id": "s", "kind": "upload_start", "name": "a.txt", "mime": "text/plain", "size": 2})
    upload = reply_to(wire, "s")["result"]["upload"]
    wire.handle_msg(
        {
            "content": {
                "data": {
                    "method": "custom",
                    "content": {"id": "c", "kind": "upload_chunk", "upload": upload, "offset": 0},
                }
            },
            "buffers": [b"hi"],
        }
    )
    wire.browser_sends({"id": "e", "kind": "upload_end", "upload": upload})
    wire.browser_sends({"id": "m", "kind": "send", "content": "see file", "files": [upload]})
    assert reply_to(wire, "m")["ok"]
    await until(lambda: seen)
    await app.wait()
    assert seen == [[("a.txt", "text/plain", "hi")]]
    wire.browser_sends({"id": "again", "kind": "send", "content": "reuse", "files": [upload]})
    assert reply_to(wire, "again")["error"]["code"] == "upload"  # a file is claimed once


# -- actions ---------------------------------------------------------------------------
async def test_action_callbacks_and_removing_actions(app, wire):
    clicked = []

    @app.action_callback("like")
    async def on_like(action):
        clicked.append(action.payload)
        await action.remove()

    msg = await cw.Message(
        "Rate",
        actions=[
            cw.Action(name="like", payload={"n": 1}),
            cw.Action(name="like", payload={"n": 2}),
            cw.Action(name="other"),
        ],
    ).send()
    first = msg.actions[0].id
    wire.browser_sends({"id": "a1", "kind": "action", "action": first})
    await app.wait()
    assert clicked == [{"n": 1}] and [a.payload for a in msg.actions] == [{"n": 2}, {}]
    wire.browser_sends({"id": "a2", "kind": "action", "action": first})
    assert reply_to(wire, "a2")["error"]["code"] == "not_found"  # removed: cannot be clicked again
    await msg.remove_actions()
    assert msg.actions == [] and "actions" not in app.chat.wire(msg)


# -- elements ---------------------------------------------------------------------------
async def test_elements_travel_as_buffers_once(app, wire, tmp_path):
    image = tmp_path / "dot.png"
    image.write_bytes(b"\x89PNG fake bytes")
    wire.clear()
    msg = await cw.Message("look", elements=[cw.Image(name="dot", path=image, display="inline")]).send()
    app.flush()
    (update,) = [m for m in wire.sent if m["data"].get("method") == "update"]
    element_id = msg.elements[0].id
    assert update["data"]["buffer_paths"] == [[f"b{element_id}", "data"]]
    state = update["data"]["state"]
    assert state[f"e{element_id}"]["mime"] == "image/png" and state[f"e{element_id}"]["forId"] == msg.id
    assert app.chat.wire(msg)["elements"] == [element_id]
    wire.clear()
    msg.content = "look again"
    await msg.update()
    app.flush()
    assert all(m["data"].get("buffer_paths") in ([], None) for m in wire.sent)  # bytes not resent


async def test_element_kinds_produce_their_data(app):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd
    import plotly.graph_objects as go

    fig, ax = plt.subplots()
    ax.plot([1, 2, 3])
    png = cw.Pyplot(name="plot", figure=fig).data()
    assert png.startswith(b"\x89PNG")
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    table = json.loads(cw.Dataframe(name="df", data_frame=frame).data())
    assert table == {"columns": ["a", "b"], "rows": [[1, "x"], [2, "y"]], "total": 2}
    figure = json.loads(cw.Plotly(name="p", figure=go.Figure(go.Bar(y=[1, 2]))).data())
    assert figure["data"][0]["type"] == "bar"
    tasks = cw.TaskList(tasks=[cw.Task(title="fetch", status="done"), cw.Task(title="sum")])
    assert tasks.to_dict()["props"]["tasks"][1] == {"title": "sum", "status": "ready", "forId": None}
    assert cw.Pdf(name="doc", content=b"%PDF", page=2).to_dict()["page"] == 2
    assert cw.Text(name="t", content="hello", language="python").data() == b"hello"
    assert cw.Image(name="x", url="javascript:alert(1)").to_dict()["url"] is None


async def test_a_standalone_element_gets_its_own_message(app):
    text = await cw.Text(name="note", content="standalone").send()
    host = app.messages[-1]
    assert host.elements == [text] and text.for_id == host.id


async def test_updating_a_task_list_does_not_resend_unchanged_bytes(app, wire):
    tasks = cw.TaskList(tasks=[cw.Task(title="one")])
    await cw.Message("tasks", elements=[tasks]).send()
    app.flush()
    wire.clear()
    tasks.tasks[0].status = "done"
    await tasks.send()
    app.flush()
    state = wire.updates()[-1]
    assert state[f"e{tasks.id}"]["props"]["tasks"][0]["status"] == "done"
    assert f"b{tasks.id}" not in state


# -- feedback, settings, starters, profiles, commands, editing ------------------------------
async def test_feedback_toggles(app, wire, until):
    given = []

    @app.on_feedback
    async def on_feedback(feedback):
        given.append((feedback.value, feedback.comment))

    reply = await cw.Message("answer").send()
    wire.browser_sends({"id": "f1", "kind": "feedback", "step": reply.id, "value": 1, "comment": "great"})
    await until(lambda: len(given) == 1)
    assert app.chat.wire(reply)["feedback"] == {"value": 1, "comment": "great"}
    wire.browser_sends({"id": "f2", "kind": "feedback", "step": reply.id, "value": None})
    await until(lambda: len(given) == 2)
    assert "feedback" not in app.chat.wire(reply) and given == [(1, "great"), (None, None)]
    wire.browser_sends({"id": "f3", "kind": "feedback", "step": reply.id, "value": 7})
    assert reply_to(wire, "f3")["error"]["code"] == "bad_request"


async def test_settings_are_checked_and_reach_the_handler(app, wire, until):
    updates = []

    @app.on_chat_start
    async def start():
        await cw.ChatSettings(
            [
                cw.Select(id="model", label="Model", values=["small", "large"], initial_index=0),
                cw.Slider(id="temperature", initial=1, min=0, max=2, step=0.1),
                cw.Switch(id="stream", initial=True),
                cw.TextInput(id="name"),
                cw.NumberInput(id="n", initial=3),
                cw.Tags(id="tags"),
                cw.MultiSelect(id="tools", values=["web", "math"]),
                cw.Checkbox(id="ok"),
                cw.RadioGroup(id="tone", values=["calm", "bold"], initial="calm"),
            ]
        ).send()

    @app.on_settings_update
    async def changed(values):
        updates.append(values)

    await app.start()
    assert app.session["chat_settings"]["model"] == "small"
    assert [i["type"] for i in app.settings["inputs"]][:3] == ["select", "slider", "switch"]
    wire.browser_sends({"id": "bad", "kind": "settings", "values": {"temperature": 5}})
    wire.browser_sends({"id": "bad2", "kind": "settings", "values": {"model": "huge"}})
    wire.browser_sends({"id": "bad3", "kind": "settings", "values": {"nope": 1}})
    wire.browser_sends({"id": "good", "kind": "settings", "values": {"temperature": 0.5, "tools": ["web"]}})
    await until(lambda: updates)
    assert [reply_to(wire, i)["ok"] for i in ("bad", "bad2", "bad3", "good")] == [False, False, False, True]
    assert updates[-1]["temperature"] == 0.5 and updates[-1]["model"] == "small"
    assert app.session["chat_settings"]["tools"] == ["web"]


async def test_starters_profiles_and_commands(app, wire, until):
    @app.set_starters
    def starters():
        return [cw.Starter(label="Say hi", message="hi", icon="👋")]

    @app.set_chat_profiles
    async def profiles():
        return [
            cw.ChatProfile(name="Fast"),
            cw.ChatProfile(name="Smart", default=True, starters=[cw.Starter(label="Think", message="think")]),
        ]

    seen = []

    @app.on_message
    async def main(message):
        seen.append((message.content, message.command, cw.user_session.get("chat_profile")))

    app.set_commands([cw.Command(id="search", description="Search the web", button=True)])
    await app.start()
    assert app.profile == "Smart" and [s["label"] for s in app.starters] == ["Think"]
    assert app.commands[0]["id"] == "search"
    await app.send_user_message("find cats", command="search")
    wire.browser_sends({"id": "bad", "kind": "send", "content": "x", "command": "rm -rf"})
    assert reply_to(wire, "bad")["error"]["code"] == "bad_request"
    wire.browser_sends({"id": "p", "kind": "profile", "name": "Fast"})
    await until(lambda: app.profile == "Fast" and app.starters)
    assert [s["label"] for s in app.starters] == ["Say hi"] and app.messages == []
    await app.send_user_message("hello")
    assert seen == [("find cats", "search", "Smart"), ("hello", None, "Fast")]


async def test_editing_a_message_truncates_and_reruns(app, wire, until):
    @app.on_message
    async def main(message):
        await cw.Message(f"echo: {message.content}").send()

    first = await app.send_user_message("one")
    await app.send_user_message("two")
    wire.browser_sends({"id": "e", "kind": "edit", "step": first.id, "content": "uno"})
    assert reply_to(wire, "e")["ok"]
    await until(lambda: len(app.messages) == 2 and not app.running)
    await app.wait()
    assert app.transcript() == "User: uno\nAssistant: echo: uno"
    wire.browser_sends({"id": "e2", "kind": "edit", "step": app.messages[1].id, "content": "x"})
    assert reply_to(wire, "e2")["error"]["code"] == "not_found"


@pytest.mark.parametrize("name", ["../../etc/passwd", "C:\\Windows\\evil.txt", "a\x00b.txt", "x" * 1000])
def test_uploaded_names_never_become_paths(name):
    from chatwidget._uploads import clean_name

    cleaned = clean_name(name)
    assert "/" not in cleaned and "\\" not in cleaned and "\x00" not in cleaned and len(cleaned) <= 255


async def test_plotly_js_is_shipped_once_with_the_first_figure(app, wire):
    import plotly.graph_objects as go

    wire.clear()
    for n in range(2):
        await cw.Message(
            f"chart {n}", elements=[cw.Plotly(name="p", figure=go.Figure(go.Bar(y=[1, n])))]
        ).send()
    app.flush()
    shipped = [
        path for m in wire.sent for path in m["data"].get("buffer_paths", []) if path[0] == "lib_plotly"
    ]
    assert shipped == [["lib_plotly", "data"]]
    assert app.widget.get_state()["lib_plotly"]["data"].startswith(b"/**\n* plotly.js")


async def test_a_custom_element_keeps_the_props_it_updates(app, wire, until, replied):
    counter = cw.CustomElement(name="counter", source="export function render() {}", props={"count": 0})
    await cw.Message("count", elements=[counter]).send()
    wire.browser_sends({"id": "p", "kind": "element_props", "element": counter.id, "props": {"count": 3}})
    wire.browser_sends({"id": "x", "kind": "element_props", "element": "nope", "props": {}})
    wire.browser_sends(
        {"id": "big", "kind": "element_props", "element": counter.id, "props": {"s": "x" * 200_000}}
    )
    await until(replied(wire, "p", "x", "big"))
    replies = {r["id"]: r for r in wire.customs("reply")}
    assert replies["p"]["result"] == {"props": {"count": 3}} and counter.props == {"count": 3}
    assert replies["x"]["error"]["code"] == "not_found" and replies["big"]["error"]["code"] == "too_large"


async def test_the_browser_may_ask_for_the_math_and_highlight_libraries_only(app, wire, until, replied):
    wire.browser_sends({"id": "m", "kind": "library", "name": "math"})
    wire.browser_sends({"id": "m2", "kind": "library", "name": "math"})
    wire.browser_sends({"id": "h", "kind": "library", "name": "highlight"})
    wire.browser_sends({"id": "p", "kind": "library", "name": "../../etc/passwd"})
    wire.browser_sends({"id": "q", "kind": "library", "name": "plotly"})
    await until(replied(wire, "m", "m2", "h", "p", "q"))
    replies = {r["id"]: r for r in wire.customs("reply")}
    assert replies["m"]["result"] == replies["h"]["result"] == {"shipped": True}
    assert replies["p"]["error"]["code"] == replies["q"]["error"]["code"] == "not_found"
    app.flush()
    state = app.widget.get_state()
    assert b"renderTex" in state["lib_math"]["data"] and b"highlight" in state["lib_highlight"]["data"]
    # Each library crosses the wire once, however often it is asked for.
    shipped = [path for m in wire.sent for path in m["data"].get("buffer_paths", []) if path[0] == "lib_math"]
    assert shipped == [["lib_math", "data"]]
    assert "lib_plotly" not in state
