"""A tiny OpenAI-compatible server on loopback, with the standard library only.

``/v1/chat/completions`` echoes the last user message ("Echo: ..."), or, when tools are
offered and no tool has answered yet, calls the first tool with ``{"query": <message>}``.
``/v1/completions`` answers "Completion of: <prompt>". Both stream with SSE when asked
(word by word, tool arguments in two pieces, usage last if ``stream_options.include_usage``).
The model ``broken`` gets a 400 error.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _words(text: str) -> list[str]:
    """Pieces that join back to ``text``: each word with the space before it."""
    parts = text.split(" ")
    return [parts[0], *(" " + p for p in parts[1:])]


def _count(text: str) -> int:
    return len(text.split())


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeOpenAI/1"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        self.server.requests.append((self.path, body))  # type: ignore[attr-defined]
        if body.get("model") == "broken":
            self._json(400, {"error": {"message": "model broken is not available", "type": "invalid"}})
            return
        if self.path.endswith("/chat/completions"):
            self._chat(body)
        elif self.path.endswith("/completions"):
            self._completion(body)
        else:
            self._json(404, {"error": {"message": f"no route {self.path}"}})

    # -- answers ----------------------------------------------------------------------------
    def _chat(self, body: dict[str, Any]) -> None:
        messages = body.get("messages") or []
        last_user = next((m.get("content", "") for m in reversed(messages) if m.get("role") == "user"), "")
        prompt_tokens = sum(_count(str(m.get("content") or "")) for m in messages)
        tools = body.get("tools") or []
        answered = any(m.get("role") == "tool" for m in messages)
        created = int(time.time())
        if tools and not answered:
            name = tools[0]["function"]["name"]
            arguments = json.dumps({"query": last_user})
            call = {"id": "call_1", "type": "function", "function": {"name": name, "arguments": arguments}}
            usage = {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": 5,
                "total_tokens": prompt_tokens + 5,
            }
            if not body.get("stream"):
                message = {"role": "assistant", "content": None, "tool_calls": [call]}
                self._json(200, self._chat_body(body, message, "tool_calls", usage, created))
                return
            half = len(arguments) // 2
            deltas = [
                {"role": "assistant", "content": None},
                {
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": name, "arguments": arguments[:half]},
                        }
                    ]
                },
                {"tool_calls": [{"index": 0, "function": {"arguments": arguments[half:]}}]},
            ]
            self._stream_chat(body, deltas, "tool_calls", usage, created)
            return
        if answered:
            tool_result = next(m.get("content", "") for m in reversed(messages) if m.get("role") == "tool")
            text = f"The tool said: {tool_result}"
        else:
            text = f"Echo: {last_user}"
        n = _count(text)
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": n, "total_tokens": prompt_tokens + n}
        if not body.get("stream"):
            message = {"role": "assistant", "content": text}
            self._json(200, self._chat_body(body, message, "stop", usage, created))
            return
        deltas = [{"role": "assistant", "content": ""}, *({"content": w} for w in _words(text))]
        self._stream_chat(body, deltas, "stop", usage, created)

    @staticmethod
    def _chat_body(
        body: dict[str, Any], message: dict[str, Any], finish: str, usage: dict[str, int], created: int
    ) -> dict[str, Any]:
        return {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": created,
            "model": body.get("model"),
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": usage,
        }

    def _stream_chat(
        self,
        body: dict[str, Any],
        deltas: list[dict[str, Any]],
        finish: str,
        usage: dict[str, int],
        created: int,
    ) -> None:
        def chunk(choices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
            return {
                "id": "chatcmpl-1",
                "object": "chat.completion.chunk",
                "created": created,
                "model": body.get("model"),
                "choices": choices,
                **extra,
            }

        events = [chunk([{"index": 0, "delta": d, "finish_reason": None}]) for d in deltas]
        events.append(chunk([{"index": 0, "delta": {}, "finish_reason": finish}]))
        if (body.get("stream_options") or {}).get("include_usage"):
            events.append(chunk([], usage=usage))
        self._sse(events)

    def _completion(self, body: dict[str, Any]) -> None:
        prompt = body.get("prompt")
        prompt = prompt if isinstance(prompt, str) else json.dumps(prompt)
        text = f"Completion of: {prompt}"
        n = _count(text)
        usage = {"prompt_tokens": _count(prompt), "completion_tokens": n, "total_tokens": _count(prompt) + n}
        base = {
            "id": "cmpl-1",
            "object": "text_completion",
            "created": int(time.time()),
            "model": body.get("model"),
        }
        if not body.get("stream"):
            choice = {"index": 0, "text": text, "finish_reason": "stop", "logprobs": None}
            self._json(200, {**base, "choices": [choice], "usage": usage})
            return
        events = [
            {**base, "choices": [{"index": 0, "text": w, "finish_reason": None, "logprobs": None}]}
            for w in _words(text)
        ]
        events.append(
            {**base, "choices": [{"index": 0, "text": "", "finish_reason": "stop", "logprobs": None}]}
        )
        if (body.get("stream_options") or {}).get("include_usage"):
            events.append({**base, "choices": [], "usage": usage})
        self._sse(events)

    # -- transport ----------------------------------------------------------------------------
    def _json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _sse(self, events: list[dict[str, Any]]) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("connection", "close")
        self.end_headers()
        for event in events:
            self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
            self.wfile.flush()
            time.sleep(0.002)
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that closes a stream early is expected; anything else is reported."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeOpenAIServer:
    """``with FakeOpenAIServer() as server: OpenAI(base_url=server.base_url, api_key="test")``."""

    def __init__(self) -> None:
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self._httpd.requests = self.requests  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="fake-openai", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)
