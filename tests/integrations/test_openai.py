"""instrument_openai(): the real openai client against a loopback OpenAI-compatible server."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("openai")

import openai

import chatwidget as cw
from chatwidget.openai import instrument_openai, is_instrumented, uninstrument_openai

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "search",
            "description": "Search the web",
            "parameters": {"type": "object", "properties": {"query": {"type": "string"}}},
        },
    }
]


@pytest.fixture(autouse=True)
def instrumented():
    instrument_openai()
    yield
    uninstrument_openai()


@pytest.fixture
def clients(openai_server):
    sync = openai.OpenAI(base_url=openai_server.base_url, api_key="test", max_retries=0)
    aio = openai.AsyncOpenAI(base_url=openai_server.base_url, api_key="test", max_retries=0)
    yield sync, aio
    sync.close()


def llm_steps(app):
    return [s for s in app.steps if s.type == "llm"]


async def test_a_sync_chat_call_in_a_sync_handler_is_an_llm_step_under_the_current_step(chat, clients):
    sync, _ = clients
    app = chat()

    @app.on_message
    def reply(message):
        with cw.Step(name="answer", type="run"):
            response = sync.chat.completions.create(
                model="gpt-test",
                messages=[
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": message.content},
                ],
                temperature=0.2,
            )
        cw.Message(response.choices[0].message.content).send_sync()

    await app.send_user_message("hello there")
    (step,) = llm_steps(app)
    (parent,) = [s for s in app.steps if s.name == "answer"]
    assert step.parent_id == parent.id and step.name == "gpt-test"
    assert step.start and step.end and step.start <= step.end
    g = step.generation
    assert isinstance(g, cw.ChatGeneration)
    assert (g.provider, g.model) == ("openai", "gpt-test")
    assert g.settings == {"model": "gpt-test", "temperature": 0.2}
    assert [(m.role, m.content) for m in g.messages] == [("system", "Be brief."), ("user", "hello there")]
    assert g.message_completion.role == "assistant"
    assert g.message_completion.content == "Echo: hello there"
    assert (g.input_token_count, g.output_token_count, g.token_count) == (4, 3, 7)
    assert g.duration > 0 and g.token_throughput_in_s > 0
    assert step.output == "Echo: hello there"
    assert json.loads(step.input)[1] == {"role": "user", "content": "hello there"}
    assert step.to_dict()["generation"]["type"] == "CHAT"
    assert app.transcript().splitlines()[1:3] == ["  - answer [run]", "    - gpt-test [llm]"]
    assert app.transcript().endswith("Assistant: Echo: hello there")


async def test_an_async_stream_fills_the_step_as_it_is_read(chat, clients):
    _, aio = clients
    app = chat()
    seen = []

    @app.on_message
    async def reply(message):
        stream = await aio.chat.completions.create(
            model="gpt-test",
            messages=[{"role": "user", "content": message.content}],
            stream=True,
            stream_options={"include_usage": True},
        )
        assert isinstance(stream, openai.AsyncStream)  # the caller still gets the library's type
        answer = cw.Message("")
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                seen.append(llm_steps(app)[0].end)
                await answer.stream_token(chunk.choices[0].delta.content)
        await answer.send()

    await app.send_user_message("stream me please")
    (step,) = llm_steps(app)
    assert seen and all(end is None for end in seen)  # shown while running, finished at the end
    g = step.generation
    assert g.message_completion.content == "Echo: stream me please" == step.output
    assert g.settings["stream"] is True
    assert (g.input_token_count, g.output_token_count, g.token_count) == (3, 4, 7)
    assert g.tt_first_token is not None and 0 <= g.tt_first_token <= g.duration * 1000
    assert step.end is not None and not step.streaming
    assert app.messages[-1].content == "Echo: stream me please"


async def test_a_sync_stream_without_usage_counts_chunks(chat, clients):
    sync, _ = clients
    app = chat()

    @app.on_message
    def reply(message):
        with sync.chat.completions.create(
            model="gpt-test", messages=[{"role": "user", "content": message.content}], stream=True
        ) as stream:
            assert isinstance(stream, openai.Stream)
            text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        cw.Message(text).send_sync()

    await app.send_user_message("one two")
    g = llm_steps(app)[0].generation
    assert g.message_completion.content == "Echo: one two"
    assert g.output_token_count == 3 and g.input_token_count is None
    assert g.token_throughput_in_s > 0


async def test_tool_calls_are_recorded_streamed_or_not(chat, clients):
    _, aio = clients
    app = chat()
    messages = [{"role": "user", "content": "weather in Paris"}]

    @app.on_message
    async def reply(message):
        first = await aio.chat.completions.create(model="gpt-tools", messages=messages, tools=TOOLS)
        call = first.choices[0].message.tool_calls[0]
        stream = await aio.chat.completions.create(
            model="gpt-tools", messages=messages, tools=TOOLS, tool_choice="auto", stream=True
        )
        async for _ in stream:
            pass
        follow_up = [
            *messages,
            {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
            {"role": "tool", "tool_call_id": call.id, "content": "sunny"},
        ]
        final = await aio.chat.completions.create(model="gpt-tools", messages=follow_up, tools=TOOLS)
        await cw.Message(final.choices[0].message.content).send()

    await app.send_user_message("go")
    plain, streamed, final = (s.generation for s in llm_steps(app))
    expected = {"name": "search", "arguments": json.dumps({"query": "weather in Paris"})}
    for g in (plain, streamed):
        assert g.tools == TOOLS
        (tool_call,) = g.message_completion.tool_calls
        assert tool_call["id"] == "call_1" and tool_call["function"] == expected
        assert not g.message_completion.content
    assert streamed.settings["tool_choice"] == "auto"
    assert json.loads(llm_steps(app)[0].output)["tool_calls"][0]["function"]["name"] == "search"
    assert [m.role for m in final.messages] == ["user", "assistant", "tool"]
    assert final.messages[1].tool_calls[0]["id"] == "call_1" and final.messages[2].tool_call_id == "call_1"
    assert final.message_completion.content == "The tool said: sunny"


async def test_legacy_completions_sync_and_async_streamed(chat, clients):
    sync, aio = clients
    app = chat()

    @app.on_message
    async def reply(message):
        stream = await aio.completions.create(
            model="instruct-test",
            prompt=message.content,
            stream=True,
            max_tokens=5,
            stream_options={"include_usage": True},
        )
        async for _ in stream:
            pass

    await app.send_user_message("say hi")
    (step,) = llm_steps(app)
    g = step.generation
    assert isinstance(g, cw.CompletionGeneration) and g.to_dict()["type"] == "COMPLETION"
    assert g.prompt == "say hi" and g.completion == "Completion of: say hi" == step.output
    assert step.input == "say hi" and g.settings["max_tokens"] == 5
    assert (g.input_token_count, g.output_token_count) == (2, 4) and g.tt_first_token is not None

    @app.on_message
    def reply_sync(message):
        sync.completions.create(model="instruct-test", prompt=message.content)

    await app.send_user_message("again")
    assert llm_steps(app)[-1].generation.completion == "Completion of: again"


async def test_a_failing_call_is_an_error_step_and_the_error_propagates(chat, clients):
    _, aio = clients
    app = chat()

    @app.on_message
    async def reply(message):
        with pytest.raises(openai.BadRequestError):
            await aio.chat.completions.create(model="broken", messages=[{"role": "user", "content": "x"}])

    await app.send_user_message("go")
    (step,) = llm_steps(app)
    assert step.is_error and "not available" in step.output
    assert "not available" in step.generation.error and step.end is not None


async def test_a_stream_closed_early_ends_the_step_with_what_was_read(chat, clients):
    sync, _ = clients
    app = chat()

    @app.on_message
    def reply(message):
        stream = sync.chat.completions.create(
            model="gpt-test", messages=[{"role": "user", "content": "a b c d e f"}], stream=True
        )
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                break
        stream.close()

    await app.send_user_message("go")
    (step,) = llm_steps(app)
    assert step.end is not None and not step.is_error
    assert step.generation.message_completion.content == "Echo:"


async def test_instrumenting_twice_records_once_and_uninstrument_restores(chat, clients):
    _, aio = clients
    original = openai.resources.chat.completions.Completions.create
    instrument_openai()
    assert openai.resources.chat.completions.Completions.create is original and is_instrumented()
    app = chat()

    @app.on_message
    async def reply(message):
        await aio.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "x"}])

    await app.send_user_message("go")
    assert len(llm_steps(app)) == 1
    uninstrument_openai()
    assert not is_instrumented()
    await app.send_user_message("again")
    assert len(llm_steps(app)) == 1


async def test_calls_outside_a_chat_are_left_alone(chat, clients):
    sync, _ = clients
    app = chat()
    response = sync.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "x"}])
    assert response.choices[0].message.content == "Echo: x"
    assert llm_steps(app) == []


async def test_messages_given_as_a_generator_still_reach_the_server(chat, clients, openai_server):
    _, aio = clients
    app = chat()

    @app.on_message
    async def reply(message):
        messages = ({"role": "user", "content": w} for w in ["first", "second"])
        await aio.chat.completions.create(model="gpt-test", messages=messages)

    await app.send_user_message("go")
    assert [m["content"] for m in openai_server.requests[-1][1]["messages"]] == ["first", "second"]
    assert llm_steps(app)[0].generation.message_completion.content == "Echo: second"
