"""Bill explanations worded by a model, checked by code, never trusted.

The model gets masked facts and, fenced as data, the customer's words; it writes text only.
Whatever it writes is verified against the facts; a failure gets one retry inside the channel's
latency budget, then the deterministic wording. Nothing here can change an amount, apply an
adjustment or read another customer's data: these functions only read and record calls.
Case summaries for the agent use the same services and guard: domain/usecases/case_wording.py.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from domain.bill_facts import BillFacts
from domain.explanation import explain_change
from domain.grounding import GroundingFacts, Verdict, verify
from domain.llm import LlmConfig, Purpose, Usage, usage_of
from domain.llm_prompts import explanation_messages, mask_json
from domain.ports import Llm, LlmCallLog
from domain.privacy import KnownPii, Masker, unknown_placeholders
from domain.records import Status
from domain.usecases.billing import current_and_previous
from domain.usecases.deps import Deps
from domain.usecases.llm_runner import Request, run_guarded

Source = Literal["llm", "cache", "deterministic"]
MAX_EXPLANATION_CHARS = 1200


class ExplanationCache:
    """Verified explanations per bill version (bounded, thread-safe, in process)."""

    def __init__(self, size: int = 1024) -> None:
        self._items: OrderedDict[str, str] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
            return self._items.get(key)

    def put(self, key: str, text: str) -> None:
        with self._lock:
            self._items[key] = text
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


@dataclass(frozen=True)
class LlmServices:
    llm: Llm
    log: LlmCallLog
    config: LlmConfig
    cache: ExplanationCache
    monotonic: Callable[[], float]


class Wording(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    source: Source
    fallback_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: int = 0


def known_pii_of(deps: Deps, account_id: str) -> KnownPii:
    account = deps.billing.get_account(account_id)
    return KnownPii(names=(account.name,), phones=(account.phone,), account_ids=(account_id,))


def gather_bill_facts(deps: Deps, account_id: str) -> BillFacts:
    """Read-only: the bills, incidents in the period, and what was done on the current bill."""
    account = deps.billing.get_account(account_id)
    current, previous = current_and_previous(deps, account_id)
    incidents = deps.network.incidents_for_zip(
        account.zip_code, current.period_start, current.period_end
    )
    with deps.reading() as office:
        adjustments = [
            a
            for a in office.adjustments.for_account(account_id)
            if a.bill_id == current.bill_id and a.status is not Status.FAILED
        ]
        extensions = [
            e for e in office.extensions.for_account(account_id) if e.bill_id == current.bill_id
        ]
    return BillFacts(
        first_name=account.first_name,
        currency=account.currency,
        current=current,
        previous=previous,
        balance_cents=deps.billing.get_balance_cents(account_id),
        incidents=tuple(incidents),
        adjustments=tuple(adjustments),
        extensions=tuple(extensions),
    )


def _checked_text(
    masker: Masker, grounding: GroundingFacts
) -> Callable[[str], tuple[Verdict, str | None]]:
    def check(text: str) -> tuple[Verdict, str | None]:
        text = text.strip()
        verdict = verify(text, grounding)
        reasons = list(verdict.reasons)
        reasons += [f"unknown placeholder {p}" for p in unknown_placeholders(text, masker)]
        if not text:
            reasons.append("empty reply")
        if len(text) > MAX_EXPLANATION_CHARS:
            reasons.append("reply too long")
        return Verdict(ok=not reasons, reasons=tuple(reasons)), text if not reasons else None

    return check


def explain_bill_with_llm(
    deps: Deps,
    services: LlmServices,
    account_id: str,
    *,
    conversation_id: str,
    channel: str = "chat",
    customer_text: str | None = None,
) -> Wording:
    """The customer-facing explanation of the current bill. Call only for a verified customer."""
    facts = gather_bill_facts(deps, account_id)
    key = facts.version_key(channel)
    cached = services.cache.get(key)
    if cached is not None:
        return Wording(text=cached, source="cache")
    deterministic = explain_change(facts.current, facts.previous)
    if not services.llm.configured:
        return Wording(
            text=deterministic, source="deterministic", fallback_reason="no LLM configured"
        )
    masker = Masker(known_pii_of(deps, account_id))
    masked_facts = mask_json(facts.for_prompt(), masker.mask)
    masked_customer = masker.mask(customer_text) if customer_text else None
    grounding = facts.grounding(tuple(masker.mask(i) for i in facts.identifiers()))
    outcome = run_guarded(
        services.llm,
        services.log,
        services.config,
        deps.clock,
        services.monotonic,
        Request(
            conversation_id,
            channel,
            Purpose.EXPLAIN_BILL.value,
            explanation_messages(masked_facts, masked_customer, channel),
        ),
        _checked_text(masker, grounding),
    )
    tokens = {
        "prompt_tokens": outcome.prompt_tokens,
        "completion_tokens": outcome.completion_tokens,
    }
    if outcome.value is None:
        return Wording(
            text=deterministic,
            source="deterministic",
            fallback_reason=outcome.fallback_reason,
            latency_ms=outcome.latency_ms,
            **tokens,
        )
    text = masker.unmask(outcome.value)
    services.cache.put(key, text)
    return Wording(text=text, source="llm", latency_ms=outcome.latency_ms, **tokens)


def prepare_bill_explanation(
    deps: Deps,
    services: LlmServices,
    account_id: str,
    *,
    conversation_id: str,
    channel: str = "chat",
) -> None:
    """Warm the cache as soon as the customer is verified, so the answer is instant when asked."""
    explain_bill_with_llm(
        deps, services, account_id, conversation_id=conversation_id, channel=channel
    )


def conversation_usage(services: LlmServices, conversation_id: str) -> Usage:
    """Tokens and cost of every model call made for one conversation."""
    calls = services.log.for_conversation(conversation_id)
    return usage_of(conversation_id, calls, services.config.prices)
