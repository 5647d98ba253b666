"""Messages, steps, nesting, handlers, errors, stop, sessions and the transcript."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from typing import Any

import pytest

import chatwidget as cw


async def test_steps_nest_through_the_context_across_awaits(app):
    @app.on_message
    async def reply(message):
        async with cw.Step(name="outer", type="run") as outer:
            await asyncio.sleep(0)
            async with cw.Step(name="inner", type="tool") as inner:
                await asyncio.sleep(0)
                note = await cw.Message("inside").send()
            assert inner.parent_id == outer.id and note.parent_id == inner.id
        after = await cw.Message("after").send()
        assert after.parent_id is None

    await app.send_user_message("go")
    assert app.transcript() == "\n".join(
        ["User: go", "  - outer [run]", "    - inner [tool]", "Assistant: inside", "Assistant: after"]
    )
    assert [m.content for m in app.messages] == ["go", "inside", "after"]


async def test_concurrent_handlers_keep_their_own_parents(app):
    async def work(label):
        async with cw.Step(name=label) as s:
            await asyncio.sleep(0.01)
            child = cw.Step(name=f"{label}-child")
            assert child.parent_id == s.id

    await asyncio.wait_for(asyncio.gather(work("a"), work("b")), 5)


async def test_a_failing_step_records_the_error_and_reraises(app):
    with pytest.raises(ValueError, match="bad input"):
        async with cw.Step(name="parse", type="tool") as s:
            raise ValueError("bad input")
    assert s.is_error and s.output == "bad input" and s.end is not None
    assert s.to_dict()["isError"] is True


async def test_step_records_start_end_input_output_and_options(app):
    async with cw.Step(name="s", type="llm", show_input="python", default_open=True, language="json") as s:
        s.input = "print(1)"
        s.output = {"answer": 42}
    d = s.to_dict()
    assert d["start"] <= d["end"] and d["start"].endswith("Z")
    assert d["input"] == "print(1)" and json.loads(d["output"]) == {"answer": 42}
    assert d["showInput"] == "python" and d["defaultOpen"] is True and d["language"] == "json"
    assert set(d) >= {
        "id",
        "threadId",
        "parentId",
        "name",
        "type",
        "streaming",
        "metadata",
        "tags",
        "isError",
        "createdAt",
        "generation",
    }


async def test_step_decorator_on_async_and_sync_functions(app):
    @cw.step(type="tool")
    async def search(query: str, limit: int = 3) -> list[str]:
        return [query] * limit

    @cw.step(name="adder")
    def add(a: int, b: int) -> int:
        return a + b

    assert await search("q", limit=2) == ["q", "q"]
    assert add(1, 2) == 3
    searched, added = app.steps
    assert searched.name == "search" and json.loads(searched.input) == {"query": "q", "limit": 2}
    assert json.loads(searched.output) == ["q", "q"]
    assert added.name == "adder" and added.output == "3" and added.end is not None


async def test_generation_is_serialized(app):
    async with cw.Step(name="llm", type="llm") as s:
        s.generation = cw.ChatGeneration(
            provider="openai",
            model="gpt-x",
            messages=[cw.GenerationMessage(role="user", content="hi")],
            message_completion=cw.GenerationMessage(role="assistant", content="hello"),
            token_count=5,
        )
    g = s.to_dict()["generation"]
    assert g["type"] == "CHAT" and g["model"] == "gpt-x" and g["messages"][0]["role"] == "user"
    c = cw.CompletionGeneration(prompt="p", completion="c").to_dict()
    assert c == {"type": "COMPLETION", "prompt": "p", "completion": "c"}


async def test_message_content_forms(app):
    as_json = await cw.Message({"a": [1, 2]}).send()
    assert json.loads(as_json.content) == {"a": [1, 2]} and as_json.language == "json"
    code = await cw.Message("x = 1", language="python").send()
    assert code.to_dict()["language"] == "python"
    m = await cw.Message("v1", author="Bot", tags=["t"], metadata={"k": 1}).send()
    m.content = "v2"
    await m.update()
    assert app.messages[-1].content == "v2" and m.author == "Bot"
    assert await m.remove() is True and m not in app.messages
    assert await m.remove() is False


async def test_handler_error_becomes_an_error_message_and_the_chat_goes_on(app, caplog):
    calls = []

    @app.on_message
    async def reply(message):
        calls.append(message.content)
        if message.content == "boom":
            raise RuntimeError("secret detail")
        await cw.Message("fine").send()

    with caplog.at_level(logging.ERROR, logger="chatwidget"):
        await app.send_user_message("boom")
    error = app.messages[-1]
    assert error.is_error and "RuntimeError" in error.content
    assert "secret detail" not in error.content  # details only with show_error_details
    assert "secret detail" in caplog.text and "Traceback" in caplog.text
    assert not app.running
    await app.send_user_message("again")
    assert app.messages[-1].content == "fine" and calls == ["boom", "again"]


async def test_error_details_can_be_shown(app):
    app.show_error_details = True

    @app.on_message
    def reply(message):
        raise KeyError("missing")

    await app.send_user_message("x")
    assert "KeyError: 'missing'" in app.messages[-1].content


async def test_sync_handler_runs_in_a_worker_thread_with_the_sync_twin(app):
    loop_thread = threading.get_ident()
    seen = {}

    @app.on_message
    def reply(message):
        seen["thread"] = threading.get_ident()
        with cw.Step(name="sync step", type="tool") as s:
            s.output = "done"
            inner = cw.Message("from thread").send_sync()
        answer = cw.Message("")
        for t in ["a", "b"]:
            answer.stream_token_sync(t)
        answer.send_sync()
        cw.run_sync(cw.Message("via run_sync").send())
        seen["parent"] = inner.parent_id
        seen["step"] = s.id

    await app.send_user_message("hi")
    assert seen["thread"] != loop_thread and seen["parent"] == seen["step"]
    assert [m.content for m in app.messages] == ["hi", "from thread", "ab", "via run_sync"]


async def test_stop_cancels_the_handler_and_calls_on_stop(app):
    started, stopped = asyncio.Event(), []

    @app.on_message
    async def reply(message):
        answer = cw.Message("")
        await answer.stream_token("partial")
        started.set()
        await asyncio.sleep(60)

    @app.on_stop
    async def on_stop():
        stopped.append(True)

    task = asyncio.ensure_future(app.send_user_message("long"))
    await asyncio.wait_for(started.wait(), 5)
    assert app.running
    assert app.stop() is True
    await asyncio.wait_for(task, 5)
    await app.wait()
    assert stopped == [True] and not app.running
    contents = [m.content for m in app.messages]
    assert contents == ["long", "partial", "Task manually stopped."]
    assert not any(m.streaming for m in app.messages)
    assert app.stop() is False


async def test_chat_start_once_and_user_session_per_chat(app):
    starts, ends = [], []

    @app.on_chat_start
    async def start():
        starts.append(1)
        cw.user_session.set("count", 0)

    @app.on_message
    async def reply(message):
        cw.user_session.set("count", cw.user_session.get("count") + 1)
        await cw.Message(f"count={cw.user_session.get('count')}").send()

    @app.on_chat_end
    def end():
        ends.append(1)

    await app.send_user_message("a")
    await app.send_user_message("b")
    assert app.messages[-1].content == "count=2" and starts == [1]
    old_thread = app.thread_id
    await app.new_chat()
    assert ends == [1] and app.messages == [] and app.thread_id != old_thread
    await app.send_user_message("c")
    assert app.messages[-1].content == "count=1" and starts == [1, 1]


async def test_two_apps_do_not_share_sessions(recording):
    a, b = cw.ChatApp(persist=False), cw.ChatApp(persist=False)
    for app in (a, b):

        @app.on_message
        async def reply(message):
            cw.user_session.set("last", message.content)

    await a.send_user_message("for a")
    await b.send_user_message("for b")
    assert a.session["last"] == "for a" and b.session["last"] == "for b"
    a.close()
    b.close()


def test_repr_is_deterministic(app):
    assert repr(app) == "ChatApp(title='Test', messages=0)"
    bundle = app._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert data["text/plain"] == "ChatApp(title='Test', messages=0)"
    assert "application/vnd.jupyter.widget-view+json" in data


def test_display_leaves_the_text_form_to_the_static_copy(app, monkeypatch):
    """A saved notebook shows the widget's text/plain where no kernel runs: display() makes it
    empty, so readers see the transcript (the static copy), not a count of messages."""
    from IPython import display as ipy_display

    shown: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(ipy_display, "display", lambda obj, **kw: shown.append((obj, kw)))
    app.display()
    widget_data = [obj for obj, kw in shown if "application/vnd.jupyter.widget-view+json" in obj]
    assert len(widget_data) == 1
    assert widget_data[0]["text/plain"] == ""
    assert widget_data[0]["application/vnd.jupyter.widget-view+json"]["model_id"] == app.widget.model_id
    assert any(kw.get("raw") and "cw-static" in obj.get("text/html", "") for obj, kw in shown)


async def test_headless_fixture_from_the_plugin(chat):
    app = chat(title="plugin")

    @app.on_message
    async def reply(message):
        await cw.Message(f"echo: {message.content}").send()

    await app.send_user_message("hello")
    assert app.transcript() == "User: hello\nAssistant: echo: hello"


async def test_a_stopped_sync_handler_stops_at_its_next_api_call(app):
    started, release = threading.Event(), threading.Event()
    reached = []

    @app.on_message
    def reply(message):
        started.set()
        release.wait(5)
        reached.append("before")
        cw.Message("never shown").send_sync()
        reached.append("after")

    task = asyncio.ensure_future(app.send_user_message("go"))
    await asyncio.get_running_loop().run_in_executor(None, started.wait, 5)
    app.stop()
    release.set()
    await asyncio.wait_for(task, 5)
    await asyncio.sleep(0.1)
    assert reached == ["before"]
    assert "never shown" not in app.transcript()


async def test_static_copy_renders_markdown_and_escapes_everything(app):
    async with cw.Step(name="search <b>", type="tool") as s:
        s.input = '{"q": "<script>alert(1)</script>"}'
        s.output = "found"
    await cw.Message(
        "**bold** <img src=x onerror=alert(1)> [x](javascript:alert(1))", author="<i>Bot</i>"
    ).send()
    page = app.transcript_html()
    assert "<strong>bold</strong>" in page and 'class="cw-static ' in page
    assert "<img" not in page and "<script>" not in page and 'href="javascript:' not in page
    assert "&lt;i&gt;Bot&lt;/i&gt;" in page and "search &lt;b&gt; [tool]" in page
    app.cot = "hidden"
    assert "search" not in app.transcript_html()  # hidden steps stay out of the copy too
