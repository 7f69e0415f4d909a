"""Bill explanations and case summaries worded by a model, checked by code, never trusted.

The model gets masked facts and, fenced as data, the customer's words; it writes text only.
Whatever it writes is verified against the facts; a failure gets one retry inside the channel's
latency budget, then the deterministic wording. Nothing here can change an amount, apply an
adjustment or read another customer's data: these functions only read and record calls.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from domain.bill_facts import BillFacts
from domain.case_summary import (
    CaseFacts,
    CaseSummary,
    deterministic_summary,
    render_for_agent,
    verify_summary,
)
from domain.explanation import explain_change
from domain.grounding import GroundingFacts, Verdict, verify
from domain.llm import LlmConfig, Purpose, Usage, usage_of
from domain.llm_prompts import explanation_messages, mask_json, summary_messages
from domain.ports import Llm, LlmCallLog
from domain.privacy import KnownPii, Masker, unknown_placeholders
from domain.records import Adjustment, Status
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


class CaseWording(Wording):
    summary: CaseSummary


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
    with deps.backoffice() as office:
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


def _checked_summary(
    facts: CaseFacts, masker: Masker, grounding: GroundingFacts
) -> Callable[[str], tuple[Verdict, CaseSummary | None]]:
    def check(text: str) -> tuple[Verdict, CaseSummary | None]:
        try:
            summary = CaseSummary.model_validate(json.loads(text))
        except (ValueError, ValidationError) as error:
            return Verdict(ok=False, reasons=(f"not a valid summary: {str(error)[:200]}",)), None
        verdict = verify_summary(summary, facts, grounding)
        reasons = list(verdict.reasons)
        reasons += [f"unknown placeholder {p}" for p in unknown_placeholders(text, masker)]
        return Verdict(ok=not reasons, reasons=tuple(reasons)), summary if not reasons else None

    return check


def summarise_case(deps: Deps, services: LlmServices, facts: CaseFacts) -> CaseWording:
    """The agent's summary: the model's structured output if it passes, else the template.

    The agent view keeps placeholders in the model's prose (personal data is restored only for
    the customer); identity, proposed amount and policy rules are rendered from ``facts``.
    """
    fallback = deterministic_summary(facts)
    if not services.llm.configured:
        return CaseWording(
            text=render_for_agent(fallback, facts),
            source="deterministic",
            fallback_reason="no LLM configured",
            summary=fallback,
        )
    known = known_pii_of(deps, facts.account_id) if facts.account_id else KnownPii()
    masker = Masker(known)
    masked_facts = mask_json(facts.for_prompt(), masker.mask)
    messages = [masker.mask(m) for m in facts.customer_messages]
    identifiers = tuple(masker.mask(i) for i in (facts.bill.identifiers() if facts.bill else ()))
    grounding = facts.grounding(identifiers)
    schema = CaseSummary.model_json_schema()
    outcome = run_guarded(
        services.llm,
        services.log,
        services.config,
        deps.clock,
        services.monotonic,
        Request(
            facts.conversation_id,
            facts.channel,
            Purpose.CASE_SUMMARY.value,
            summary_messages(masked_facts, messages, schema),
            json_schema=schema,
        ),
        _checked_summary(facts, masker, grounding),
    )
    tokens = {
        "prompt_tokens": outcome.prompt_tokens,
        "completion_tokens": outcome.completion_tokens,
    }
    if outcome.value is None:
        return CaseWording(
            text=render_for_agent(fallback, facts),
            source="deterministic",
            fallback_reason=outcome.fallback_reason,
            summary=fallback,
            latency_ms=outcome.latency_ms,
            **tokens,
        )
    return CaseWording(
        text=render_for_agent(outcome.value, facts),
        source="llm",
        summary=outcome.value,
        latency_ms=outcome.latency_ms,
        **tokens,
    )


_APPLY_RULES = (".eligible", ".full_days", ".credit_n_minus_1", ".within_14_days", "seed.history")


def gather_case_facts(
    deps: Deps,
    *,
    conversation_id: str,
    channel: str,
    account_id: str | None,
    verified_how: str,
    reason: str,
    customer_messages: tuple[str, ...] = (),
    bot_did: tuple[str, ...] = (),
    proposed: Adjustment | None = None,
) -> CaseFacts:
    """Everything code knows for a hand-off; read-only."""
    bill = gather_bill_facts(deps, account_id) if account_id else None
    name = deps.billing.get_account(account_id).name if account_id else None
    rules = (
        tuple(r for r in proposed.rules_fired if not r.endswith(_APPLY_RULES)) if proposed else ()
    )
    return CaseFacts(
        conversation_id=conversation_id,
        channel=channel,
        account_id=account_id,
        customer_name=name,
        verified_how=verified_how if account_id else "not verified",
        reason=reason,
        customer_messages=customer_messages,
        bot_did=bot_did,
        done_kinds=bill.allowed_promises() if bill else frozenset(),
        amounts_done_cents=tuple(a.amount_cents for a in bill.done_adjustments()) if bill else (),
        proposed_kind=proposed.kind if proposed else None,
        proposed_description=proposed.description if proposed else None,
        proposed_amount_cents=proposed.amount_cents if proposed else None,
        rules_requiring_human=rules,
        bill=bill,
    )


def conversation_usage(services: LlmServices, conversation_id: str) -> Usage:
    """Tokens and cost of every model call made for one conversation."""
    calls = services.log.for_conversation(conversation_id)
    return usage_of(conversation_id, calls, services.config.prices)
