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
    """Where an adjustment or extension is in its lifecycle (see domain/usecases/lifecycle)."""

    OFFERED = "offered"  # stated to the customer, waiting for a yes
    APPLYING = "applying"  # accepted, being posted to the BSS
    APPLIED = "applied"
    FAILED = "failed"  # the BSS refused it: nothing was posted
    PENDING_APPROVAL = "pending_approval"  # a person must decide
    REJECTED = "rejected"  # a person said no
    DECLINED = "declined"  # the policy said no
    WITHDRAWN = "withdrawn"  # the customer said no to the offer
    EXPIRED = "expired"  # nobody accepted the offer in time


class Outcome(str, Enum):
    APPLY = "apply"
    HUMAN = "human"
    DECLINE = "decline"


BOT = "bot"


class Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class MoneyRecord(Record):
    """What credits and payment extensions share: one lifecycle, one key, one decision trail."""

    id: str
    account_id: str
    bill_id: str | None
    status: Status
    proposed_by: str
    decided_by: str | None
    policy_rule: str
    rules_fired: tuple[str, ...]
    policy_version: str
    idempotency_key: str
    request_fingerprint: str  # what the bot computed for this ask (staff changes do not alter it)
    case_id: str | None
    created_at: datetime
    decided_at: datetime | None
    facts: dict[str, Any] = {}  # what the last decision was computed from
    expires_at: datetime | None = None  # an offer's deadline
    lease_until: datetime | None = None  # a reconciler's claim on an ``applying`` row


class Adjustment(MoneyRecord):
    kind: AdjustmentKind
    amount_cents: int
    description: str
    bss_reference: str | None = None


class PaymentExtension(MoneyRecord):
    bill_id: str
    days: int
    new_due_date: date


class CaseStatus(str, Enum):
    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"
    CLOSED = "closed"


# How the customer on a case was verified: the bot checked the account or phone number and the
# PIN in the conversation (the only way today; a person verifying would be "agent:<user>").
VERIFIED_BY_PIN = "bot:pin"


class Case(Record):
    """A handoff to a person. ``account_id`` is set only once the customer is verified."""

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
    verified: bool = False
    verified_at: datetime | None = None
    verified_by: str | None = None
    claimed_by: str | None = None  # the person holding the case (a chat case: the bot is paused)
    claimed_at: datetime | None = None
    resolved_at: datetime | None = None


class CaseNote(Record):
    """A private note of a person on a case (never shown to the customer)."""

    id: str
    case_id: str
    author: str
    text: str
    at: datetime


class CaseEvent(Record):
    """Something an operator's own agent desktop may want to hear about, kept in a durable outbox
    in the same transaction as the change (delivered later by the web app's webhook sender)."""

    id: str
    kind: str  # "case.created" or "case.decided"
    case_id: str
    at: datetime


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
    override: bool = False  # a person changed or rejected the bot's proposal


class Transition(Record):
    """One change of status of an adjustment or extension: the append-only ledger."""

    id: str
    at: datetime
    actor: str
    account_id: str
    subject: str  # "adjustment:<id>" or "extension:<id>"
    from_status: str | None  # None when the record is created
    to_status: str
    reason: str


class PinAttempt(Record):
    """A PIN check. The PIN itself is never part of it."""

    conversation_id: str
    account_id: str | None
    succeeded: bool
    at: datetime
