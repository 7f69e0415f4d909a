"""Credits: what is owed and under which key; the facts every policy decision is made on."""

from __future__ import annotations

from domain.assessments import (
    Assessment,
    duplicate_charge,
    late_fee,
    outage_credit,
    third_party_charges,
)
from domain.model import Account, AccountStatus, Bill
from domain.policy import Facts
from domain.ports import BackOffice
from domain.records import AdjustmentKind
from domain.usecases.deps import Deps


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
