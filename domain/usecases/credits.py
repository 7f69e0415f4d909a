"""Credits: what is owed, under which key, and what the policy would say (a preview)."""

from __future__ import annotations

import hashlib
import json

from pydantic import BaseModel, ConfigDict

from domain.assessments import (
    Assessment,
    duplicate_charge,
    late_fee,
    outage_credit,
    third_party_charges,
)
from domain.model import Account, AccountStatus, Bill
from domain.policy import CreditAsk, Decision, Facts, decide_credit
from domain.ports import BackOffice
from domain.records import Adjustment, AdjustmentKind, Status
from domain.usecases.billing import current_and_previous
from domain.usecases.deps import Deps


class Proposal(BaseModel):
    """What the bot would say before asking for consent."""

    model_config = ConfigDict(frozen=True)

    account_id: str
    kind: AdjustmentKind
    assessment: Assessment
    idempotency_key: str
    decision: Decision | None  # None when an earlier decision already covers this ask
    existing: Adjustment | None
    balance_cents: int


def assess(deps: Deps, account: Account, current: Bill, kind: AdjustmentKind) -> Assessment:
    if kind is AdjustmentKind.LATE_FEE_WAIVER:
        return late_fee(current)
    if kind is AdjustmentKind.DUPLICATE_CHARGE:
        return duplicate_charge(current)
    if kind is AdjustmentKind.OUTAGE_CREDIT:
        incidents = deps.network.incidents_for_zip(
            account.zip_code, current.period_start, current.period_end
        )
        return outage_credit(
            incidents, current, account.zip_code, account.plan_price_cents, deps.policy
        )
    if kind is AdjustmentKind.THIRD_PARTY_DISPUTE:
        return third_party_charges(current)
    raise ValueError(f"the bot does not assess {kind.value}")


def idempotency_key(account_id: str, kind: AdjustmentKind, assessment: Assessment) -> str:
    """The natural key of an ask: the same thing asked again is the same key, whoever asks."""
    return f"{kind.value}:{account_id}:{assessment.target}"


def fingerprint(account_id: str, kind: AdjustmentKind, amount_cents: int) -> str:
    body = json.dumps([account_id, kind.value, amount_cents])
    return hashlib.sha256(body.encode()).hexdigest()[:32]


def gather_facts(office: BackOffice, deps: Deps, account: Account) -> Facts:
    now = deps.clock.now()
    policy = deps.policy
    adjustments = office.adjustments
    return Facts(
        account_flagged=account.status is AccountStatus.FLAGGED,
        kill_switch=office.flags.kill_switch(),
        bot_credits_in_window_cents=adjustments.bot_applied_cents_since(
            deps.days_ago(now, policy.rolling_window_days), account.account_id
        ),
        bot_credits_today_cents=adjustments.bot_applied_cents_since(
            deps.start_of_operator_day(now)
        ),
        late_fee_waivers_in_window=adjustments.count_since(
            account.account_id,
            AdjustmentKind.LATE_FEE_WAIVER,
            deps.days_ago(now, policy.late_fee_window_days),
        ),
        extensions_in_window=office.extensions.count_applied_since(
            account.account_id, deps.days_ago(now, policy.extension_window_days)
        ),
    )


def propose_credit(deps: Deps, account_id: str, kind: AdjustmentKind) -> Proposal:
    """Assess and preview the decision. Records nothing: the binding decision is settle's."""
    account = deps.billing.get_account(account_id)
    current, _ = current_and_previous(deps, account_id)
    assessment = assess(deps, account, current, kind)
    key = idempotency_key(account_id, kind, assessment)
    with deps.backoffice() as office:
        existing = office.adjustments.get_by_key(key)
        decision = None
        if existing is None or existing.status is Status.FAILED:
            facts = gather_facts(office, deps, account)
            ask = CreditAsk(kind=kind, amount_cents=assessment.amount_cents)
            decision = decide_credit(ask, facts, deps.policy)
    return Proposal(
        account_id=account_id,
        kind=kind,
        assessment=assessment,
        idempotency_key=key,
        decision=decision,
        existing=existing if decision is None else None,
        balance_cents=deps.billing.get_balance_cents(account_id),
    )
