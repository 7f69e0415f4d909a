"""A fake OpenAI-compatible server on loopback: real HTTP, scripted per test, records every body.

``POST /v1/chat/completions`` answers in the OpenAI format. A test sets ``server.script`` to a
function of the parsed request body returning a ``Scripted`` answer: content, an HTTP error, a
broken body, or a stall. Token counts are estimates (characters / 4), like a tokenizer would
roughly give.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from tests.integration.loopback import LoopbackServer


@dataclass(frozen=True)
class Scripted:
    content: str = ""
    status: int = 200
    raw_body: str | None = None  # sent as is (broken JSON)
    stall_s: float = 0.0


Script = Callable[[dict[str, Any]], Scripted]


def answer(text: str) -> Script:
    return lambda _body: Scripted(content=text)


def answers(*texts: str) -> Script:
    """One text per request, the last one repeated."""
    count = {"n": 0}

    def script(_body: dict[str, Any]) -> Scripted:
        index = min(count["n"], len(texts) - 1)
        count["n"] += 1
        return Scripted(content=texts[index])

    return script


def by_purpose(explanation: Script, summary: Script) -> Script:
    """Summaries are the requests carrying a response_format (or a schema in the prompt)."""

    def script(body: dict[str, Any]) -> Scripted:
        return summary(body) if "response_format" in body else explanation(body)

    return script


def customer_text(body: dict[str, Any]) -> str:
    """What the customer wrote, as the model sees it (inside its data fence)."""
    user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    found = re.findall(r'<data name="customer_messages?" nonce="\w+">\n(.*?)\n</data', user, re.S)
    return found[0] if found else ""


def estimate_tokens(text: str) -> int:
    return max(1, len(text) // 4)


class FakeOpenAi:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.raw_requests: list[str] = []
        self.script: Script = answer("Hello.")
        self.release = threading.Event()  # set to end every stall at once (teardown)
        self._lock = threading.Lock()
        self._server = LoopbackServer(self._handler())

    @property
    def base_url(self) -> str:
        return f"{self._server.origin}/v1"

    def start(self) -> FakeOpenAi:
        self._server.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self._server.stop()

    def _respond(self, raw: str) -> tuple[int, str, float]:
        body = json.loads(raw)
        with self._lock:
            self.requests.append(body)
            self.raw_requests.append(raw)
        scripted = self.script(body)
        if scripted.raw_body is not None:
            return scripted.status, scripted.raw_body, scripted.stall_s
        if scripted.status != 200:
            error = {"error": {"message": "scripted failure", "type": "server_error"}}
            return scripted.status, json.dumps(error), scripted.stall_s
        prompt = "".join(m.get("content", "") for m in body.get("messages", []))
        reply = {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake-model"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": scripted.content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": estimate_tokens(prompt),
                "completion_tokens": estimate_tokens(scripted.content),
                "total_tokens": estimate_tokens(prompt) + estimate_tokens(scripted.content),
            },
        }
        return 200, json.dumps(reply), scripted.stall_s

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else ~40 ms delayed-ACK stalls per reply

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length).decode()
                if not self.path.endswith("/chat/completions"):
                    self._send(404, '{"error": {"message": "not found"}}')
                    return
                status, payload, stall_s = fake._respond(raw)
                if stall_s:
                    fake.release.wait(stall_s)
                self._send(status, payload)

            def _send(self, status: int, payload: str) -> None:
                data = payload.encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a stall past its timeout)

        return Handler


@pytest.fixture(name="fake_openai")
def fake_openai_fixture() -> Iterator[FakeOpenAi]:
    """Import ``fake_openai_fixture`` into a test module to use the ``fake_openai`` fixture."""
    server = FakeOpenAi().start()
    yield server
    server.stop()
