"""The case an agent picks up: a structured summary, how it is checked and how it is rendered.

The model fills ``CaseSummary`` from JSON output; code owns the identity, the proposed amount and
the policy rules (they are rendered from ``CaseFacts``, and a summary that disagrees is rejected).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.bill_facts import BillFacts
from domain.grounding import CREDIT, EXTENSION, WAIVER, GroundingFacts, Verdict, verify
from domain.money import format_cents
from domain.records import AdjustmentKind

Sentiment = Literal["positive", "neutral", "confused", "frustrated", "angry", "unknown"]


class CaseSummary(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    issue: str = Field(max_length=400)
    customer_wants: str = Field(max_length=400)
    verified_identity_and_how: str = Field(max_length=200)
    facts: list[str] = Field(max_length=12)
    bot_already_did: list[str] = Field(max_length=12)
    proposed_action: str = Field(max_length=300)
    proposed_amount_cents: int | None
    policy_rules_requiring_human: list[str] = Field(max_length=12)
    sentiment: Sentiment


class CaseFacts(BaseModel):
    """What code knows about the case. Customer messages are data, never instructions."""

    model_config = ConfigDict(frozen=True)

    conversation_id: str
    channel: str
    account_id: str | None
    customer_name: str | None
    verified_how: str  # e.g. "account number and PIN"; "not verified"
    reason: str
    customer_messages: tuple[str, ...] = ()
    bot_did: tuple[str, ...] = ()  # written by code: "explained the bill", "waived the late fee"
    done_kinds: frozenset[str] = frozenset()  # CREDIT / WAIVER / EXTENSION the bot applied
    amounts_done_cents: tuple[int, ...] = ()
    proposed_kind: AdjustmentKind | None = None
    proposed_description: str | None = None
    proposed_amount_cents: int | None = None
    rules_requiring_human: tuple[str, ...] = ()
    bill: BillFacts | None = None

    def identity(self) -> str:
        if self.account_id is None:
            return "not verified"
        return (
            f"{self.customer_name or 'customer'}, account {self.account_id}, by {self.verified_how}"
        )

    def proposal(self) -> str:
        if self.proposed_amount_cents is None:
            return "no adjustment proposed"
        what = self.proposed_description or "adjustment"
        return f"{what}: {format_cents(self.proposed_amount_cents)}"

    def for_prompt(self) -> dict[str, Any]:
        return {
            "reason_for_handoff": self.reason,
            "channel": self.channel,
            "verified_identity": self.identity(),
            "bot_already_did": list(self.bot_did),
            "proposed_by_policy_engine": self.proposal(),
            "proposed_amount_cents": self.proposed_amount_cents,
            "policy_rules_requiring_human": list(self.rules_requiring_human),
            "bill": self.bill.for_prompt() if self.bill else None,
        }

    def proposed_promises(self) -> frozenset[str]:
        if self.proposed_kind is None:
            return frozenset()
        if self.proposed_kind is AdjustmentKind.LATE_FEE_WAIVER:
            return frozenset({CREDIT, WAIVER})
        return frozenset({CREDIT})

    def grounding(self, identifiers: tuple[str, ...] = ()) -> GroundingFacts:
        base = (
            self.bill.grounding(identifiers)
            if self.bill
            else GroundingFacts(identifiers=identifiers)
        )
        extra = set(self.amounts_done_cents)
        if self.proposed_amount_cents is not None:
            extra.add(self.proposed_amount_cents)
        return base.model_copy(update={"amounts_cents": base.amounts_cents | extra})


def _verify_with(text: str, grounding: GroundingFacts, allowed: frozenset[str]) -> Verdict:
    return verify(text, grounding.model_copy(update={"allowed_promises": allowed}))


def verify_summary(summary: CaseSummary, facts: CaseFacts, grounding: GroundingFacts) -> Verdict:
    """Figures grounded everywhere; nothing claimed done that was not; code-owned fields agree."""
    reasons: list[str] = []
    anything = frozenset({CREDIT, WAIVER, EXTENSION})  # the customer may want anything
    checks = [
        (summary.issue, anything),
        (summary.customer_wants, anything),
        (summary.verified_identity_and_how, frozenset[str]()),
        *((fact, facts.done_kinds | facts.proposed_promises()) for fact in summary.facts),
        *((did, facts.done_kinds) for did in summary.bot_already_did),
        (summary.proposed_action, facts.proposed_promises() | facts.done_kinds),
    ]
    for text, allowed in checks:
        reasons += _verify_with(text, grounding, allowed).reasons
    if summary.proposed_amount_cents != facts.proposed_amount_cents:
        reasons.append(
            f"proposed amount {summary.proposed_amount_cents} is not the policy engine's "
            f"{facts.proposed_amount_cents}"
        )
    if set(summary.policy_rules_requiring_human) - set(facts.rules_requiring_human):
        reasons.append("names policy rules that did not fire")
    return Verdict(ok=not reasons, reasons=tuple(reasons))


def deterministic_summary(facts: CaseFacts) -> CaseSummary:
    bill_facts = []
    if facts.bill is not None:
        bill = facts.bill.current
        bill_facts.append(f"Current bill {bill.bill_id}: {format_cents(bill.total_cents)}")
        if facts.bill.previous is not None:
            previous = facts.bill.previous
            bill_facts.append(
                f"Previous bill {previous.bill_id}: {format_cents(previous.total_cents)}"
            )
    return CaseSummary(
        issue=facts.reason,
        customer_wants=facts.reason,
        verified_identity_and_how=facts.identity(),
        facts=bill_facts,
        bot_already_did=list(facts.bot_did),
        proposed_action=facts.proposal(),
        proposed_amount_cents=facts.proposed_amount_cents,
        policy_rules_requiring_human=list(facts.rules_requiring_human),
        sentiment="unknown",
    )


def render_for_agent(summary: CaseSummary, facts: CaseFacts) -> str:
    """The agent's view. Identity, amount and rules come from code, never from the model."""
    lines = [
        f"Issue: {summary.issue}",
        f"Customer wants: {summary.customer_wants}",
        f"Verified identity: {facts.identity()}",
        f"Channel: {facts.channel}; sentiment: {summary.sentiment}",
    ]
    if summary.facts:
        lines.append("Facts: " + "; ".join(summary.facts))
    lines.append("Bot already did: " + ("; ".join(summary.bot_already_did) or "nothing"))
    lines.append(f"Proposed: {facts.proposal()}")
    if summary.proposed_action and summary.proposed_action != facts.proposal():
        lines.append(f"Suggested next step: {summary.proposed_action}")
    rules = ", ".join(facts.rules_requiring_human) or "none"
    lines.append(f"Policy rules requiring a person: {rules}")
    return "\n".join(lines)
