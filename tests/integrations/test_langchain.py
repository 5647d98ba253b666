"""LangchainTracer with LangChain's own fake chat models, tools and retrievers."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("langchain_core")

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda, RunnableParallel
from langchain_core.tools import tool

import chatwidget as cw
from chatwidget.langchain import LangchainTracer


def fake_model(*replies: str | AIMessage) -> GenericFakeChatModel:
    return GenericFakeChatModel(
        messages=iter([r if isinstance(r, AIMessage) else AIMessage(r) for r in replies])
    )


class Capitals(BaseRetriever):
    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun):
        return [Document("Paris is the capital of France.", metadata={"source": "atlas.txt"})]


@tool
def shout(text: str) -> str:
    """Upper-case the text."""
    return text.upper()


@tool
def broken(text: str) -> str:
    """Always fails."""
    raise ValueError("the tool broke")


PROMPT = ChatPromptTemplate.from_messages([("system", "You are terse."), ("human", "{question}")])


def by_name(app, name):
    (step,) = [s for s in app.steps if s.name == name]
    return step


async def test_a_chain_in_a_sync_handler_maps_runs_to_steps_and_skips_lcel_plumbing(chat):
    app = chat()

    @app.on_message
    def reply(message):
        chain = PROMPT | fake_model("Paris.") | StrOutputParser()
        answer = chain.invoke({"question": message.content}, config={"callbacks": [LangchainTracer()]})
        cw.Message(answer).send_sync()

    await app.send_user_message("Capital of France?")
    lines = app.transcript().splitlines()
    assert [line for line in lines if line.lstrip().startswith("- ")] == [
        "  - ChatPromptTemplate [undefined]",
        "  - GenericFakeChatModel [llm]",
        "  - StrOutputParser [undefined]",
    ]
    assert lines[-1] == "Assistant: Paris."
    llm = by_name(app, "GenericFakeChatModel")
    g = llm.generation
    assert isinstance(g, cw.ChatGeneration) and g.provider == "genericfakechatmodel"
    assert [(m.role, m.content) for m in g.messages] == [
        ("system", "You are terse."),
        ("user", "Capital of France?"),
    ]
    assert g.message_completion.content == "Paris." and llm.output == "Paris."
    assert g.duration >= 0 and llm.start <= llm.end
    assert json.loads(llm.input) == [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Capital of France?"},
    ]
    assert by_name(app, "StrOutputParser").output == "Paris."


async def test_a_root_chain_is_a_run_with_tool_retriever_and_llm_children(chat):
    app = chat()
    model = fake_model("It is Paris.")

    def answer(question: str) -> str:
        docs = Capitals().invoke(question)
        loud = shout.invoke({"text": docs[0].page_content})
        return model.invoke(f"{question} {loud}").content

    chain = RunnableLambda(answer).with_config(run_name="rag")

    @app.on_message
    async def reply(message):
        text = await chain.ainvoke(message.content, config={"callbacks": [LangchainTracer()]})
        await cw.Message(text).send()

    await app.send_user_message("Capital?")
    assert app.transcript().splitlines()[1:] == [
        "  - rag [run]",
        "      input: Capital?",
        "      output: It is Paris.",
        "    - Capitals [tool]",
        "        input: Capital?",
        "        output: [",
        "              {",
        '                  "page_content": "Paris is the capital of France.",',
        '                  "metadata": {',
        '                      "source": "atlas.txt"',
        "                  }",
        "              }",
        "          ]",
        "    - shout [tool]",
        "        input: Paris is the capital of France.",
        "        output: PARIS IS THE CAPITAL OF FRANCE.",
        "    - GenericFakeChatModel [llm]",
        "        input: [",
        "              {",
        '                  "role": "user",',
        '                  "content": "Capital? PARIS IS THE CAPITAL OF FRANCE."',
        "              }",
        "          ]",
        "        output: It is Paris.",
        "Assistant: It is Paris.",
    ]
    assert by_name(app, "rag").metadata["langchain_run_type"] == "chain"


async def test_streaming_tokens_time_the_call(chat):
    app = chat()

    @app.on_message
    async def reply(message):
        model = fake_model("one two three")
        out = cw.Message("")
        async for chunk in model.astream(message.content, config={"callbacks": [LangchainTracer()]}):
            await out.stream_token(chunk.content)
        await out.send()

    await app.send_user_message("count")
    g = by_name(app, "GenericFakeChatModel").generation
    assert g.message_completion.content == "one two three"
    assert g.output_token_count == 5  # the fake model streams words and the spaces between
    assert g.tt_first_token is not None and g.token_throughput_in_s > 0


async def test_ignored_runs_reattach_their_children_to_the_nearest_kept_ancestor(chat):
    app = chat()
    inner = RunnableLambda(lambda x: x + "!").with_config(run_name="inner")
    middle = RunnableLambda(lambda x: inner.invoke(x)).with_config(run_name="middle")
    outer = RunnableLambda(lambda x: middle.invoke(x)).with_config(run_name="outer")
    tracer = LangchainTracer(to_ignore=["middle"])

    @app.on_message
    async def reply(message):
        async with cw.Step(name="handler", type="run"):
            await outer.ainvoke(message.content, config={"callbacks": [tracer]})

    await app.send_user_message("hi")
    handler, outer_step, inner_step = (by_name(app, n) for n in ("handler", "outer", "inner"))
    assert outer_step.parent_id == handler.id and inner_step.parent_id == outer_step.id
    assert not [s for s in app.steps if s.name == "middle"]
    assert outer_step.type == "run" and inner_step.type == "undefined"  # the trace's root is the run
    assert inner_step.output == "hi!"

    tracer = LangchainTracer(ignore_run_types=["chain"])
    app2 = chat()

    @app2.on_message
    async def reply2(message):
        await (PROMPT | fake_model("ok")).ainvoke({"question": "q"}, config={"callbacks": [tracer]})

    await app2.send_user_message("x")
    assert [s.name for s in app2.steps if s.type != "user_message"] == [
        "ChatPromptTemplate",
        "GenericFakeChatModel",
    ]


async def test_a_sync_invoke_on_the_loop_with_parallel_branches_does_not_deadlock(chat):
    app = chat()
    branches = RunnableParallel(a=RunnableLambda(lambda x: x * 2).with_config(run_name="double"), b=shout)

    @app.on_message
    async def reply(message):
        # Blocks the loop while LangChain's pool threads report: their steps arrive afterwards.
        result = branches.invoke("ab", config={"callbacks": [LangchainTracer(to_ignore=[])]})
        await cw.Message(json.dumps(result, sort_keys=True)).send()

    await app.send_user_message("go")
    parallel, double, loud = (by_name(app, n) for n in ("RunnableParallel<a,b>", "double", "shout"))
    assert parallel.type == "run" and double.parent_id == parallel.id == loud.parent_id
    assert double.output == "abab" and loud.output == "AB" and parallel.end is not None


async def test_errors_mark_the_failing_step_and_its_ancestors(chat):
    app = chat()
    chain = RunnableLambda(lambda x: broken.invoke({"text": x})).with_config(run_name="uses_tool")

    @app.on_message
    async def reply(message):
        with pytest.raises(ValueError, match="the tool broke"):
            await chain.ainvoke(message.content, config={"callbacks": [LangchainTracer()]})

    await app.send_user_message("x")
    tool_step, chain_step = by_name(app, "broken"), by_name(app, "uses_tool")
    assert tool_step.is_error and tool_step.output == "the tool broke"
    assert chain_step.is_error and chain_step.end is not None


async def test_tool_calls_of_a_chat_model_are_recorded_in_the_openai_form(chat):
    app = chat()
    call = {"name": "shout", "args": {"text": "hi"}, "id": "call_9", "type": "tool_call"}

    @app.on_message
    async def reply(message):
        await fake_model(AIMessage("", tool_calls=[call])).ainvoke(
            "hi", config={"callbacks": [LangchainTracer()]}
        )

    await app.send_user_message("x")
    step = by_name(app, "GenericFakeChatModel")
    (recorded,) = step.generation.message_completion.tool_calls
    assert recorded == {
        "id": "call_9",
        "type": "function",
        "function": {"name": "shout", "arguments": '{"text": "hi"}'},
    }
    assert json.loads(step.output)["tool_calls"][0]["id"] == "call_9"


AGENT_REPLY = "Thought: I know this.\nFinal Answer: Paris is the capital."


@pytest.mark.parametrize("streamed", [True, False])
async def test_the_final_answer_streams_into_a_message(chat, streamed):
    app = chat()
    tracer = LangchainTracer(stream_final_answer=True)

    @app.on_message
    async def reply(message):
        model = fake_model(AGENT_REPLY)
        async with cw.Step(name="agent", type="run"):
            if streamed:
                async for _ in model.astream(message.content, config={"callbacks": [tracer]}):
                    pass
            else:
                await model.ainvoke(message.content, config={"callbacks": [tracer]})

    await app.send_user_message("Capital?")
    answer = app.messages[-1]
    assert answer.content == "Paris is the capital." and answer.name == "Assistant"
    assert answer.parent_id == by_name(app, "agent").id and not answer.streaming
    assert by_name(app, "GenericFakeChatModel").output == AGENT_REPLY


async def test_the_answer_prefix_is_configurable_and_a_reply_without_it_sends_nothing(chat):
    app = chat()
    tracer = LangchainTracer(
        stream_final_answer=True, answer_prefix_tokens=["ANSWER", ">>"], answer_author="Bot"
    )

    @app.on_message
    async def reply(message):
        async for _ in fake_model(message.content).astream("q", config={"callbacks": [tracer]}):
            pass

    await app.send_user_message("thinking... ANSWER >> forty two")
    assert app.messages[-1].content == "forty two" and app.messages[-1].name == "Bot"
    await app.send_user_message("Final Answer: not with this prefix")
    assert len(app.messages) == 3  # two user messages and the first answer
