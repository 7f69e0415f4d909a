"""One contract for the LLM call log, run against the SQL and the in-memory adapters."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from app.backoffice.llm_call_log import SqlLlmCallLog
from app.backoffice.memory import InMemoryLlmCallLog
from domain.llm import LlmCall
from domain.ports import LlmCallLog

pytestmark = pytest.mark.integration
T = datetime(2026, 11, 22, 20, 54, 34, tzinfo=timezone.utc)


@pytest.fixture(params=["memory", "sql"])
def call_log(request: pytest.FixtureRequest) -> LlmCallLog:
    if request.param == "memory":
        return InMemoryLlmCallLog()
    return SqlLlmCallLog(request.getfixturevalue("engine"))


def _call(n: int, conversation_id: str = "c1", **changes: object) -> LlmCall:
    fields: dict[str, object] = {
        "id": f"llm_{n}",
        "at": T + timedelta(seconds=n),
        "conversation_id": conversation_id,
        "channel": "chat",
        "purpose": "explain_bill",
        "model": "m",
        "prompt_masked": "[system]\nfacts for [NAME_1]",
        "response_masked": "Hi [NAME_1]",
        "prompt_tokens": 600,
        "completion_tokens": 40,
        "latency_ms": 812,
        "verdict": "fail",
        "reasons": ("amount not in the facts: '$52.25'",),
        "fallback": False,
        "fallback_reason": None,
    }
    return LlmCall.model_validate(fields | changes)


def test_calls_come_back_per_conversation_in_order_and_unchanged(call_log: LlmCallLog):
    second = _call(2, verdict="error", fallback=True, fallback_reason="timeout: stalled")
    call_log.add(second)
    call_log.add(_call(1))
    call_log.add(_call(3, conversation_id="other"))
    assert call_log.for_conversation("c1") == [_call(1), second]
    assert call_log.for_conversation("nobody") == []
