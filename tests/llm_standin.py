"""A local stand-in for an LLM endpoint: speaks OpenAI's chat completions (``POST /v1/chat/completions``,
plain JSON or ``stream: true`` server-sent events) and Ollama's chat (``POST /api/chat``, JSON lines), as
LangChain's ChatOpenAI and ChatOllama call them. The test decides what it says and how it behaves:

- ``reply(prompt) -> str``: the model's answer to the prompt it was sent (the last user message);
- ``delay``: seconds before the first byte (a slow model); ``token_delay``: between streamed tokens;
- ``fail``: "status" answers 500, "json" answers 200 with a body that is not the protocol's JSON.

Each request is recorded in ``calls`` (path, whether it streamed, the prompt).
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal


@dataclass
class Call:
    path: str
    stream: bool
    prompt: str


@dataclass
class StandIn:
    reply: Callable[[str], str] = lambda prompt: "A lead."
    delay: float = 0.0
    token_delay: float = 0.0
    fail: Literal["", "status", "json"] = ""
    calls: list[Call] = field(default_factory=list)
    port: int = 0

    @property
    def openai_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _tokens(text: str) -> list[str]:
    return re.findall(r"\S+\s*|\s+", text) or [""]


def _handler(standin: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
            messages = body.get("messages") or []
            prompt = next((m.get("content", "") for m in reversed(messages) if m.get("role") == "user"), "")
            ollama = self.path.rstrip("/") == "/api/chat"
            stream = bool(body.get("stream", ollama))
            standin.calls.append(Call(self.path, stream, prompt if isinstance(prompt, str) else str(prompt)))
            if self.path.rstrip("/") not in ("/v1/chat/completions", "/api/chat"):
                return self._send(404, b'{"error": "not found"}', "application/json")
            time.sleep(standin.delay)
            if standin.fail == "status":
                return self._send(500, b'{"error": {"message": "the model crashed"}}', "application/json")
            if standin.fail == "json":
                return self._send(200, b"<html>Bad gateway</html>", "application/json")
            text = standin.reply(prompt)
            model = body.get("model", "standin")
            try:
                if ollama:
                    self._ollama(model, text, stream)
                else:
                    self._openai(model, text, stream)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (its time budget): as a real server, carry on

        def _send(self, status: int, payload: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _chunked(self, content_type: str, pieces: Iterator[bytes]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in pieces:
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

        def _openai(self, model: str, text: str, stream: bool) -> None:
            head = {"id": "chatcmpl-standin", "created": int(time.time()), "model": model}
            if not stream:
                payload = {
                    **head,
                    "object": "chat.completion",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": text},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
                }
                return self._send(200, json.dumps(payload).encode(), "application/json")

            def events() -> Iterator[bytes]:
                for n, token in enumerate(_tokens(text)):
                    if n:
                        time.sleep(standin.token_delay)
                    delta = {"role": "assistant", "content": token} if n == 0 else {"content": token}
                    chunk = {
                        **head,
                        "object": "chat.completion.chunk",
                        "choices": [{"index": 0, "delta": delta}],
                    }
                    yield f"data: {json.dumps(chunk)}\n\n".encode()
                done = {
                    **head,
                    "object": "chat.completion.chunk",
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                }
                yield f"data: {json.dumps(done)}\n\n".encode()
                yield b"data: [DONE]\n\n"

            self._chunked("text/event-stream", events())

        def _ollama(self, model: str, text: str, stream: bool) -> None:
            def line(content: str, done: bool) -> bytes:
                item: dict[str, Any] = {
                    "model": model,
                    "created_at": "2026-01-01T00:00:00Z",
                    "message": {"role": "assistant", "content": content},
                    "done": done,
                }
                if done:
                    item |= {
                        "done_reason": "stop",
                        "total_duration": 1,
                        "eval_count": 1,
                        "prompt_eval_count": 1,
                    }
                return (json.dumps(item) + "\n").encode()

            if not stream:
                return self._send(200, line(text, True), "application/json")

            def lines() -> Iterator[bytes]:
                for n, token in enumerate(_tokens(text)):
                    if n:
                        time.sleep(standin.token_delay)
                    yield line(token, False)
                yield line("", True)

            self._chunked("application/x-ndjson", lines())

    return Handler


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that gave up is no error
            super().handle_error(request, client_address)


@contextmanager
def llm_standin(**options: Any) -> Iterator[StandIn]:
    """A stand-in serving on a free loopback port while the block runs."""
    standin = StandIn(**options)
    server = _Server(("127.0.0.1", 0), _handler(standin))
    server.daemon_threads = True
    standin.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="llm-standin", daemon=True)
    thread.start()
    try:
        yield standin
    finally:
        server.shutdown()
        server.server_close()
