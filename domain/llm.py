"""Values of the LLM layer: a reply, a recorded call, prices and budgets, usage per conversation.

The model only writes words; these values say what it was asked (masked), what it answered, how
long it took, whether the verifier let it through and what it cost.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum

from pydantic import BaseModel, ConfigDict


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class LlmReply(_Frozen):
    text: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0


class Channel(str, Enum):
    CHAT = "chat"
    VOICE = "voice"


class Purpose(str, Enum):
    EXPLAIN_BILL = "explain_bill"
    CASE_SUMMARY = "case_summary"


class LlmCall(_Frozen):
    """One call to the model, as recorded. The prompt is the masked one: never clear PII."""

    id: str
    at: datetime
    conversation_id: str
    channel: str
    purpose: str
    model: str
    prompt_masked: str
    response_masked: str
    prompt_tokens: int
    completion_tokens: int
    latency_ms: int
    verdict: str  # "pass", "fail" (verifier) or "error" (the call itself failed)
    reasons: tuple[str, ...]
    fallback: bool  # the deterministic wording was used in the end
    fallback_reason: str | None


class LlmPrices(_Frozen):
    prompt_per_1k_usd: Decimal = Decimal("0")
    completion_per_1k_usd: Decimal = Decimal("0")

    def cost_usd(self, prompt_tokens: int, completion_tokens: int) -> Decimal:
        """Cost to the micro-dollar, rounded half-up."""
        raw = (
            Decimal(prompt_tokens) * self.prompt_per_1k_usd
            + Decimal(completion_tokens) * self.completion_per_1k_usd
        ) / Decimal(1000)
        return raw.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


class LlmConfig(_Frozen):
    """What the use cases need to know about the model: name, time limits, prices."""

    model: str = ""
    timeout_s: float = 2.0  # one call
    budget_chat_s: float = 2.5  # the whole wording, retries included
    budget_voice_s: float = 1.2
    min_attempt_s: float = 0.15  # less time than this left: do not start a call
    prices: LlmPrices = LlmPrices()

    def budget_s(self, channel: str) -> float:
        return self.budget_voice_s if channel == Channel.VOICE.value else self.budget_chat_s


class Usage(_Frozen):
    """Tokens and cost of one conversation's calls."""

    conversation_id: str
    calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: Decimal


def usage_of(conversation_id: str, calls: list[LlmCall], prices: LlmPrices) -> Usage:
    prompt = sum(c.prompt_tokens for c in calls)
    completion = sum(c.completion_tokens for c in calls)
    return Usage(
        conversation_id=conversation_id,
        calls=len(calls),
        prompt_tokens=prompt,
        completion_tokens=completion,
        cost_usd=prices.cost_usd(prompt, completion),
    )
