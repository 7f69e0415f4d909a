"""What our own back office records: adjustments, extensions, cases, decisions, PIN attempts."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict


class AdjustmentKind(str, Enum):
    LATE_FEE_WAIVER = "late_fee_waiver"
    DUPLICATE_CHARGE = "duplicate_charge"
    OUTAGE_CREDIT = "outage_credit"
    THIRD_PARTY_DISPUTE = "third_party_dispute"
    GOODWILL = "goodwill"


class Status(str, Enum):
    APPLYING = "applying"  # decided, being posted to the BSS; only visible after a crash
    APPLIED = "applied"
    PENDING_APPROVAL = "pending_approval"
    REJECTED = "rejected"
    DECLINED = "declined"
    FAILED = "failed"


class Outcome(str, Enum):
    APPLY = "apply"
    HUMAN = "human"
    DECLINE = "decline"


BOT = "bot"


class Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class Adjustment(Record):
    id: str
    account_id: str
    kind: AdjustmentKind
    amount_cents: int
    status: Status
    proposed_by: str
    decided_by: str | None
    policy_rule: str
    rules_fired: tuple[str, ...]
    policy_version: str
    idempotency_key: str
    request_fingerprint: str
    bill_id: str | None
    description: str
    case_id: str | None
    created_at: datetime
    decided_at: datetime | None
    bss_reference: str | None = None


class PaymentExtension(Record):
    id: str
    account_id: str
    bill_id: str
    days: int
    new_due_date: date
    status: Status
    proposed_by: str
    decided_by: str | None
    policy_rule: str
    rules_fired: tuple[str, ...]
    policy_version: str
    idempotency_key: str
    request_fingerprint: str
    case_id: str | None
    created_at: datetime
    decided_at: datetime | None


class CaseStatus(str, Enum):
    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Case(Record):
    id: str
    reference: str
    account_id: str | None
    conversation_id: str
    status: CaseStatus
    reason: str
    proposed_amount_cents: int | None
    summary: str
    channel: str
    created_at: datetime


class DecisionRecord(Record):
    """One decision, bot or human: what was asked, what was known, what the policy said."""

    id: str
    at: datetime
    actor: str
    account_id: str
    subject: str  # "adjustment:<id>" or "extension:<id>"
    request: dict[str, Any]
    facts: dict[str, Any]
    policy_version: str
    rules_fired: tuple[str, ...]
    outcome: Outcome


class PinAttempt(Record):
    """A PIN check. The PIN itself is never part of it."""

    conversation_id: str
    account_id: str | None
    succeeded: bool
    at: datetime
