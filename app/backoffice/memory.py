"""The LLM call log in memory: the fake for tests that need no database (same contract suite).

The back office itself has one adapter, SQL (SQLite by default, PostgreSQL at scale): its
semantics (serialised transactions, the audit chain) are what the money path relies on, so unit
tests run it on a throw-away SQLite file rather than on a twin that could drift from it.
"""

from __future__ import annotations

import threading

from domain.llm import LlmCall


class InMemoryLlmCallLog:
    """The LLM call log in memory (satisfies domain.ports.LlmCallLog); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: list[LlmCall] = []

    def add(self, call: LlmCall) -> None:
        with self._lock:
            self.calls.append(call)

    def for_conversation(self, conversation_id: str) -> list[LlmCall]:
        with self._lock:
            rows = [c for c in self.calls if c.conversation_id == conversation_id]
        return sorted(rows, key=lambda c: (c.at, c.id))
