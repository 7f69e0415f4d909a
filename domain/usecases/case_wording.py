"""The agent's case summary worded by a model, checked against the facts code gathered.

The same guard as the bill explanation (domain/usecases/llm_wording.py): masked facts in, one
retry on a failed check, then the deterministic template. Read-only apart from the call log.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from pydantic import ValidationError

from domain.case_summary import (
    CaseFacts,
    CaseSummary,
    deterministic_summary,
    render_for_agent,
    verify_summary,
)
from domain.grounding import GroundingFacts, Verdict
from domain.llm import Purpose
from domain.llm_prompts import mask_json, summary_messages
from domain.privacy import KnownPii, Masker, unknown_placeholders
from domain.records import Adjustment
from domain.usecases.deps import Deps
from domain.usecases.llm_runner import Request, run_guarded
from domain.usecases.llm_wording import LlmServices, Wording, gather_bill_facts, known_pii_of


class CaseWording(Wording):
    summary: CaseSummary


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


_APPLY_RULES = (".eligible", ".full_days", ".credit_n_minus_1", ".within_max_days", "seed.history")


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
