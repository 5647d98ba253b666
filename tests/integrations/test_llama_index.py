"""LlamaIndexCallbackHandler with LlamaIndex's MockLLM and MockEmbedding (no network)."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("llama_index.core")

from llama_index.core import Document, VectorStoreIndex, get_response_synthesizer
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.callbacks import CallbackManager, CBEventType, EventPayload
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.tools import ToolMetadata

import chatwidget as cw
from chatwidget.llama_index import LlamaIndexCallbackHandler

DOCS = [Document(text="Paris is the capital of France.", metadata={"source": "atlas"})]


def query_engine(handler):
    manager = CallbackManager([handler])
    index = VectorStoreIndex.from_documents(
        DOCS, embed_model=MockEmbedding(embed_dim=8), callback_manager=manager
    )
    synthesizer = get_response_synthesizer(
        llm=MockLLM(max_tokens=4, callback_manager=manager), callback_manager=manager
    )
    return RetrieverQueryEngine(
        index.as_retriever(similarity_top_k=1), response_synthesizer=synthesizer, callback_manager=manager
    )


def kinds(app):
    return [(s.name, s.type) for s in app.steps if s.type not in ("user_message", "assistant_message")]


@pytest.mark.parametrize("use_async", [False, True])
async def test_a_query_shows_query_retrieval_and_llm_steps_with_sources(chat, use_async):
    app = chat()
    handler = LlamaIndexCallbackHandler()

    @app.on_message
    async def reply(message):
        engine = query_engine(handler)
        if use_async:
            response = await engine.aquery(message.content)
        else:
            response = engine.query(message.content)
        await cw.Message(str(response)).send()

    await app.send_user_message("What is the capital of France?")
    # Async, MockLLM completes through its sync twin: two LLM events, siblings in LlamaIndex's tree.
    assert kinds(app) == [("query", "tool"), ("retrieve", "tool")] + [("MockLLM", "llm")] * (1 + use_async)
    query, retrieve, llm, *_ = (s for s in app.steps if s.type in ("tool", "llm"))
    assert query.parent_id is None and retrieve.parent_id == query.id and llm.parent_id == query.id
    assert query.input == retrieve.input == "What is the capital of France?"
    assert query.output == "text text text text" == app.messages[-1].content
    (node,) = retrieve.metadata["source_nodes"]
    assert node["text"] == "Paris is the capital of France." and node["metadata"] == {"source": "atlas"}
    assert isinstance(node["score"], float)
    assert json.loads(retrieve.output)[0]["text"] == "Paris is the capital of France."
    assert query.metadata["source_nodes"][0]["id"] == node["id"]
    g = llm.generation
    assert isinstance(g, cw.CompletionGeneration) and g.provider == "MockLLM"
    assert "Paris is the capital of France." in g.prompt and g.completion == "text text text text"
    assert g.settings["context_window"] == 3900 and g.duration >= 0
    assert "Paris is the capital of France." in app.transcript()


async def test_a_query_in_a_sync_handler_goes_under_the_current_step(chat):
    app = chat()
    handler = LlamaIndexCallbackHandler()

    @app.on_message
    def reply(message):
        engine = query_engine(handler)
        with cw.Step(name="rag", type="run") as outer:
            engine.query(message.content)
        assert outer.output == ""

    await app.send_user_message("capital?")
    rag = next(s for s in app.steps if s.name == "rag")
    query = next(s for s in app.steps if s.name == "query")
    assert query.parent_id == rag.id and query.end is not None


async def test_a_chat_call_is_a_chat_generation(chat):
    app = chat()
    llm = MockLLM(callback_manager=CallbackManager([LlamaIndexCallbackHandler()]))

    @app.on_message
    async def reply(message):
        await llm.achat(
            [ChatMessage(role="system", content="Be kind."), ChatMessage(role="user", content="hi")]
        )

    await app.send_user_message("x")
    # MockLLM's achat calls its chat, which calls its complete: three LLM events, siblings in
    # LlamaIndex's own tree (an LLM event is a leaf there).
    step, _, inner = [s for s in app.steps if s.type == "llm"]
    assert isinstance(inner.generation, cw.CompletionGeneration) and step.name == "MockLLM"
    g = step.generation
    assert isinstance(g, cw.ChatGeneration)
    assert [(m.role, m.content) for m in g.messages] == [("system", "Be kind."), ("user", "hi")]
    assert g.message_completion.role == "assistant" and step.output == g.message_completion.content


async def test_function_calls_and_errors(chat):
    app = chat()
    manager = CallbackManager([LlamaIndexCallbackHandler()])

    @app.on_message
    async def reply(message):
        with manager.event(
            CBEventType.FUNCTION_CALL,
            payload={
                EventPayload.FUNCTION_CALL: {"city": "Paris"},
                EventPayload.TOOL: ToolMetadata(name="weather", description="w"),
            },
        ) as event:
            event.on_end(payload={EventPayload.FUNCTION_OUTPUT: "sunny"})
        with (
            pytest.raises(RuntimeError),
            manager.event(CBEventType.RETRIEVE, payload={EventPayload.QUERY_STR: "q"}),
        ):
            raise RuntimeError("index offline")

    await app.send_user_message("x")
    weather = next(s for s in app.steps if s.name == "weather")
    assert (
        weather.type == "tool"
        and json.loads(weather.input) == {"city": "Paris"}
        and weather.output == "sunny"
    )
    failed = next(s for s in app.steps if s.name == "retrieve")
    assert failed.is_error and failed.output == "index offline"


async def test_shown_event_types_are_configurable(chat):
    app = chat()
    handler = LlamaIndexCallbackHandler(shown=[CBEventType.LLM, CBEventType.SYNTHESIZE])

    @app.on_message
    async def reply(message):
        await query_engine(handler).aquery(message.content)

    await app.send_user_message("capital?")
    assert kinds(app) == [("synthesize", "tool"), ("MockLLM", "llm"), ("MockLLM", "llm")]
    synthesize, llm, _ = (s for s in app.steps if s.type in ("tool", "llm"))
    assert llm.parent_id == synthesize.id and synthesize.parent_id is None
