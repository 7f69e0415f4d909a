"""The autonomy policy: data in, one pure decision out.

``decide`` is the only place that says whether the bot may apply an adjustment. It never looks
anything up: the caller gathers the facts and passes them in, so every decision can be replayed
from its record.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from domain.records import AdjustmentKind, Outcome


class StaffMember(BaseModel):
    """A person who may decide above the bot: credits up to a limit, extensions up to days."""

    model_config = ConfigDict(frozen=True)

    role: str  # "agent" or "supervisor"
    approval_limit_cents: int = Field(ge=0)
    extension_limit_days: int = Field(default=0, ge=0)  # days past the current due date


class Policy(BaseModel):
    """The operator's limits. Loaded from a versioned data file at the edge."""

    model_config = ConfigDict(frozen=True)

    version: str
    per_adjustment_cap_cents: int = 2500
    rolling_cap_cents: int = 5000
    rolling_window_days: int = 365
    daily_budget_cents: int = 100_000
    late_fee_waivers_per_window: int = 1
    late_fee_window_days: int = 365
    extension_max_days: int = 14
    extension_window_days: int = 90
    extensions_per_window: int = 1
    outage_full_day_hours: int = 24
    outage_days_per_month: int = 30
    staff: dict[str, StaffMember] = Field(default_factory=dict)


class Facts(BaseModel):
    """Everything the policy needs to know about the account and the operator right now."""

    model_config = ConfigDict(frozen=True)

    account_flagged: bool = False
    kill_switch: bool = False
    bot_credits_in_window_cents: int = 0
    bot_credits_today_cents: int = 0
    late_fee_waivers_in_window: int = 0
    extensions_in_window: int = 0


class CreditAsk(BaseModel):
    """A credit the customer asked for, with the amount the domain computed (0 = nothing found)."""

    model_config = ConfigDict(frozen=True)

    kind: AdjustmentKind
    amount_cents: int = Field(ge=0)


class ExtensionAsk(BaseModel):
    model_config = ConfigDict(frozen=True)

    days: int = Field(gt=0)


class Decision(BaseModel):
    model_config = ConfigDict(frozen=True)

    outcome: Outcome
    rules_fired: tuple[str, ...]
    deciding_rule: str
    policy_version: str


def _combine(hits: list[tuple[str, Outcome]], version: str) -> Decision:
    for outcome in (Outcome.DECLINE, Outcome.HUMAN, Outcome.APPLY):
        deciding = [rule for rule, hit in hits if hit is outcome]
        if deciding:
            return Decision(
                outcome=outcome,
                rules_fired=tuple(rule for rule, _ in hits),
                deciding_rule=deciding[0],
                policy_version=version,
            )
    raise AssertionError("every decision fires at least one rule")


def _kind_rules(ask: CreditAsk, facts: Facts, policy: Policy) -> list[tuple[str, Outcome]]:
    if ask.kind is AdjustmentKind.LATE_FEE_WAIVER:
        if ask.amount_cents == 0:
            return [("late_fee_waiver.no_late_fee", Outcome.DECLINE)]
        if facts.late_fee_waivers_in_window >= policy.late_fee_waivers_per_window:
            return [("late_fee_waiver.once_per_window", Outcome.DECLINE)]
        return [("late_fee_waiver.eligible", Outcome.APPLY)]
    if ask.kind is AdjustmentKind.DUPLICATE_CHARGE:
        if ask.amount_cents == 0:
            return [("duplicate_charge.none_found", Outcome.DECLINE)]
        return [("duplicate_charge.credit_n_minus_1", Outcome.APPLY)]
    if ask.kind is AdjustmentKind.OUTAGE_CREDIT:
        if ask.amount_cents == 0:
            return [("outage_credit.no_full_outage_day", Outcome.DECLINE)]
        return [("outage_credit.full_days", Outcome.APPLY)]
    if ask.kind is AdjustmentKind.THIRD_PARTY_DISPUTE:
        if ask.amount_cents == 0:
            return [("third_party_charge.none_found", Outcome.DECLINE)]
        return [("third_party_charge.always_human", Outcome.HUMAN)]
    return [("goodwill.always_human", Outcome.HUMAN)]


def _guard_rules(facts: Facts) -> list[tuple[str, Outcome]]:
    hits = []
    if facts.kill_switch:
        hits.append(("kill_switch", Outcome.HUMAN))
    if facts.account_flagged:
        hits.append(("flagged_account", Outcome.HUMAN))
    return hits


def _cap_rules(amount: int, facts: Facts, policy: Policy) -> list[tuple[str, Outcome]]:
    hits = []
    if amount > policy.per_adjustment_cap_cents:
        hits.append(("per_adjustment_cap", Outcome.HUMAN))
    if facts.bot_credits_in_window_cents + amount > policy.rolling_cap_cents:
        hits.append(("rolling_cap", Outcome.HUMAN))
    if facts.bot_credits_today_cents + amount > policy.daily_budget_cents:
        hits.append(("daily_budget", Outcome.HUMAN))
    return hits


def decide_credit(ask: CreditAsk, facts: Facts, policy: Policy) -> Decision:
    """Decide a credit: apply, human or decline. All fired rules are recorded."""
    hits = _kind_rules(ask, facts, policy) + _guard_rules(facts)
    if ask.amount_cents > 0:
        hits += _cap_rules(ask.amount_cents, facts, policy)
    return _combine(hits, policy.version)


def decide_extension(ask: ExtensionAsk, facts: Facts, policy: Policy) -> Decision:
    """Decide a payment extension of ``ask.days`` past the current due date."""
    hits = _guard_rules(facts)
    if ask.days > policy.extension_max_days:
        hits.append(("payment_extension.over_max_days", Outcome.HUMAN))
    if facts.extensions_in_window >= policy.extensions_per_window:
        hits.append(("payment_extension.second_within_window", Outcome.HUMAN))
    if not hits:
        hits.append(("payment_extension.within_max_days", Outcome.APPLY))
    return _combine(hits, policy.version)
