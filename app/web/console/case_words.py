"""The console's words for case facts: times in the operator's timezone, channels, rules, caps."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from domain.money import format_cents
from domain.policy import Policy, StaffMember
from domain.records import VERIFIED_BY_PIN, Adjustment, Case, CaseStatus, PaymentExtension

VOICE = "voice"

# Why a proposal needed a person, in words (the rule's code is shown next to it).
RULE_WORDS = {
    "third_party_charge.always_human": "third-party charges are always decided by a person",
    "goodwill.always_human": "goodwill credits are always decided by a person",
    "per_adjustment_cap": "above the bot's per-adjustment cap",
    "rolling_cap": "over the bot's rolling cap for this account",
    "daily_budget": "over the bot's daily budget",
    "kill_switch": "the kill switch is on: the bot applies nothing",
    "flagged_account": "the account is flagged",
    "payment_extension.over_max_days": "longer than the bot may extend",
    "payment_extension.second_within_window": "a second extension within the window",
    "customer_requested_review": "the customer asked a person to review a declined request",
}

KIND_WORDS = {
    "late_fee_waiver": "Late fee waiver",
    "duplicate_charge": "Duplicate charge credit",
    "outage_credit": "Outage credit",
    "third_party_dispute": "Third-party charge dispute",
    "goodwill": "Goodwill credit",
    "payment_extension": "Payment extension",
}

PROPOSAL_STATUS_WORDS = {
    "pending_approval": "Waiting for a person's decision",
    "applying": "Approved, being posted to the billing system",
    "applied": "Applied",
    "failed": "Failed: the billing system refused it, nothing was posted",
    "rejected": "Rejected",
    "declined": "Declined by the policy",
    "withdrawn": "Withdrawn by the customer",
    "offered": "Offered to the customer",
    "expired": "Expired",
}

STATUS_WORDS = {
    CaseStatus.OPEN: "Open",
    CaseStatus.CLAIMED: "Claimed",
    CaseStatus.RESOLVED: "Resolved",
    CaseStatus.CLOSED: "Closed",
}


def local_time(moment: datetime | None, timezone: str) -> str:
    """A moment as the operator's people read it: ``22 Nov 2026, 20:54 UTC``."""
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%d %b %Y, %H:%M %Z")


def channel_label(channel: str) -> str:
    return "Phone" if channel == VOICE else "Chat"


def rule_words(rule: str) -> str:
    return RULE_WORDS.get(rule, rule.replace("_", " "))


def caps_text(policy: Policy, member: StaffMember, record: Adjustment | PaymentExtension) -> str:
    if isinstance(record, PaymentExtension):
        bot = f"the bot's {policy.extension_max_days} days"
        shown, yours, within = (
            f"{record.days} days",
            f"{member.extension_limit_days} days",
            record.days <= member.extension_limit_days,
        )
        over_bot = record.days > policy.extension_max_days
    else:
        bot = f"the bot's {format_cents(policy.per_adjustment_cap_cents)} cap"
        shown, yours, within = (
            format_cents(record.amount_cents),
            format_cents(member.approval_limit_cents),
            record.amount_cents <= member.approval_limit_cents,
        )
        over_bot = record.amount_cents > policy.per_adjustment_cap_cents
    against_bot = f"above {bot}" if over_bot else f"within {bot}"
    against_you = f"within your {yours} limit" if within else f"above your {yours} limit"
    return f"{shown} — {against_bot}; {against_you}"


def verification_text(case: Case, timezone: str) -> str:
    if not case.verified:
        return "Not verified"
    how = "by PIN" if case.verified_by in (None, VERIFIED_BY_PIN) else f"by {case.verified_by}"
    return f"Verified {how} at {local_time(case.verified_at, timezone)}"


def status_text(case: Case, user: str) -> str:
    """``Claimed, held by you`` / ``Open, waiting for a person`` / ``Resolved`` (a decided case
    whose chat is still held says so: its bot stays paused until it is handed back)."""
    words = STATUS_WORDS.get(case.status, case.status.value)
    still_open = case.status in (CaseStatus.OPEN, CaseStatus.CLAIMED)
    if case.claimed_by is not None:
        holder = "you" if case.claimed_by == user else case.claimed_by
        return (
            f"{words}, held by {holder}" if still_open else f"{words}, chat still held by {holder}"
        )
    return f"{words}, waiting for a person" if still_open else words
