"""Streaming is coalesced, gap-free and never resends the history."""

from __future__ import annotations

import asyncio
import time

import chatwidget as cw
from chatwidget._protocol import FLUSH_INTERVAL


def rebuild_text(wire, step_id: str) -> str:
    """Replay what a view receives: state updates and stream deltas, in order."""
    text = ""
    for m in wire.sent:
        data = m["data"] or {}
        if data.get("method") == "update":
            for value in data["state"].values():
                if isinstance(value, dict) and value.get("id") == step_id:
                    if "output" in value:
                        text = value["output"]
                    else:  # the views have the text from the deltas: only its length comes
                        assert value["outputLength"] == len(text), "a state whose text was not streamed"
        elif data.get("method") == "custom" and data["content"].get("kind") == "stream":
            for d in data["content"]["deltas"]:
                if d["step"] != step_id:
                    continue
                if d.get("replace"):
                    text = d["text"]
                else:
                    assert d["offset"] <= len(text), "a gap in the stream"
                    text = text[: d["offset"]] + d["text"]
    return text


async def test_tokens_are_coalesced_and_arrive_whole(app, wire):
    tokens = [f"t{i} " for i in range(10_000)]

    @app.on_message
    async def reply(message):
        answer = cw.Message("")
        for i, token in enumerate(tokens):
            await answer.stream_token(token)
            if i % 50 == 0:
                await asyncio.sleep(0.001)  # a model that yields now and then
        await answer.send()

    started = time.monotonic()
    await app.send_user_message("go")
    elapsed = time.monotonic() - started
    answer = app.messages[-1]
    assert answer.content == "".join(tokens)
    assert rebuild_text(wire, answer.id) == answer.content
    streams = wire.customs("stream")
    assert len(streams) >= 2, "tokens should flow while streaming, not only at the end"
    # at most one stream message per flush interval (plus the final one)
    assert len(streams) <= elapsed / FLUSH_INTERVAL + 2
    seqs = [s["seq"] for s in streams]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


async def test_the_final_state_leaves_out_the_streamed_text(app, wire):
    """The views have the text from the deltas: the final state says how long it is, and a
    long answer crosses the websocket once, not twice."""
    tokens = [f"word{i} " for i in range(40_000)]

    @app.on_message
    async def reply(message):
        answer = cw.Message("")
        for i, token in enumerate(tokens):
            await answer.stream_token(token)
            if i % 10_000 == 0:
                await asyncio.sleep(FLUSH_INTERVAL * 2)  # the views see it stream
        await answer.send()

    wire.clear()
    await app.send_user_message("go")
    text = "".join(tokens)
    finals = [
        v
        for u in wire.updates()
        for v in u.values()
        if isinstance(v, dict) and v.get("type") == "assistant_message"
    ]
    assert finals[-1]["streaming"] is False
    assert "output" not in finals[-1] and finals[-1]["outputLength"] == len(text)
    assert rebuild_text(wire, app.messages[-1].id) == text
    sent = sum(m["bytes"] for m in wire.sent)
    assert len(text) < sent < 1.2 * len(text) + 20_000, (sent, len(text))


async def test_a_text_set_after_streaming_is_sent_whole(app, wire):
    @app.on_message
    async def reply(message):
        answer = cw.Message("")
        for token in ["a", "b", "c"]:
            await answer.stream_token(token)
        await asyncio.sleep(FLUSH_INTERVAL * 2)
        answer.content = "something else"
        await answer.update()
        await answer.send()

    await app.send_user_message("go")
    answer = app.messages[-1]
    assert rebuild_text(wire, answer.id) == "something else"


async def test_is_sequence_replaces_the_text(app, wire):
    @app.on_message
    async def reply(message):
        answer = cw.Message("")
        await answer.stream_token("draft")
        await asyncio.sleep(FLUSH_INTERVAL * 2)
        await answer.stream_token("final", is_sequence=True)
        await answer.send()

    await app.send_user_message("go")
    answer = app.messages[-1]
    assert answer.content == "final"
    assert rebuild_text(wire, answer.id) == "final"


async def test_appending_one_message_does_not_resend_history(app, wire):
    for i in range(2_000):
        cw.Message(f"message number {i} " + "lorem ipsum " * 10)._send_now()
    app.flush()
    wire.clear()
    cw.Message("one more " + "lorem ipsum " * 10)._send_now()
    app.flush()
    sent = sum(m["bytes"] for m in wire.sent)
    assert 0 < sent < 4_096, sent


async def test_a_new_view_gets_the_whole_conversation(app):
    for i in range(5):
        await cw.Message(f"m{i}").send()
    removed = app.messages[2]
    await removed.remove()
    state = app.widget.get_state()
    assert state["head"] == 5
    assert [state[f"s{i}"]["output"] for i in (0, 1, 3, 4)] == ["m0", "m1", "m3", "m4"]
    assert "s2" not in state
    assert all(state[f"s{i}"]["slot"] == i for i in (0, 1, 3, 4))


async def test_resync_returns_the_full_step(app, wire):
    answer = cw.Message("")
    for token in ["x"] * 10:
        await answer.stream_token(token)
    wire.browser_sends({"kind": "resync", "id": "r1", "step": answer.id})
    reply = wire.customs("reply")[-1]
    assert reply == {"kind": "reply", "id": "r1", "ok": True, "result": {"step": app.chat.wire(answer)}}
    assert reply["result"]["step"]["output"] == "x" * 10


async def test_five_chats_streaming_at_once_stay_under_the_rate_limit(recording):
    apps = [cw.ChatApp(title=f"chat {i}", persist=False) for i in range(5)]

    async def stream(app):
        with app:
            answer = cw.Message("")
            for i in range(10_000):
                await answer.stream_token("tok ")
                if i % 20 == 0:
                    await asyncio.sleep(0.0005)
            await answer.send()
        app.flush()

    for a in apps:
        a.widget.comm.clear()
    started = time.monotonic()
    await asyncio.gather(*(stream(a) for a in apps))
    elapsed = time.monotonic() - started
    for a in apps:  # one stream message per flush interval at most, whatever the token rate
        assert len(a.widget.comm.customs("stream")) <= elapsed / FLUSH_INTERVAL + 2
    total = sum(len(a.widget.comm.sent) for a in apps)
    assert total / elapsed < 1_000 / 4
    for a in apps:
        a.close()
