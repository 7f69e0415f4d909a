"""What differs between a credit and a payment extension; everything else is shared.

A *draft* is the record the bot would propose right now, computed from the BSS's current facts
(the bill, the incidents): the lifecycle compares drafts to stored offers to see what changed.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from datetime import timedelta
from typing import Any, Generic, TypeVar

from domain.errors import NotFound
from domain.ids import new_id
from domain.model import Account
from domain.money import format_cents
from domain.policy import (
    CreditAsk,
    Decision,
    ExtensionAsk,
    Facts,
    StaffMember,
    decide_credit,
    decide_extension,
)
from domain.ports import BackOffice, MoneyRecords
from domain.records import Adjustment, AdjustmentKind, PaymentExtension, Status
from domain.usecases.billing import current_and_previous
from domain.usecases.credits import assess, idempotency_key
from domain.usecases.deps import Deps

R = TypeVar("R", Adjustment, PaymentExtension)


def fingerprint(*parts: object) -> str:
    """A short digest of what was asked, so one key cannot be reused for another request."""
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:32]


def _blank(deps: Deps, account_id: str) -> dict[str, Any]:
    """The fields every draft starts with (filled in when the policy decides)."""
    return {
        "account_id": account_id,
        "status": Status.OFFERED,
        "proposed_by": "bot",
        "decided_by": None,
        "policy_rule": "",
        "rules_fired": (),
        "policy_version": deps.policy.version,
        "case_id": None,
        "created_at": deps.clock.now(),
        "decided_at": None,
    }


class Track(ABC, Generic[R]):
    """The operations the lifecycle needs for one kind of money record."""

    noun: str  # for logs and reasons

    @abstractmethod
    def records(self, office: BackOffice) -> MoneyRecords[R]: ...

    @abstractmethod
    def redraft(self, deps: Deps, account: Account, record: R) -> R:
        """The draft for the same ask as ``record``, on today's facts."""
        ...

    @abstractmethod
    def decide(self, record: R, facts: Facts, deps: Deps) -> Decision: ...

    @abstractmethod
    def post(self, deps: Deps, record: R) -> dict[str, Any]:
        """Post to the BSS under the record's key; the fields to update. Safe to repeat."""
        ...

    @abstractmethod
    def request(self, record: R) -> dict[str, Any]: ...

    @abstractmethod
    def within_limit(self, member: StaffMember, record: R) -> bool: ...

    @abstractmethod
    def what(self, record: R) -> str: ...

    def proposed_amount(self, record: R) -> int | None:
        return None


class CreditTrack(Track[Adjustment]):
    noun = "credit"

    def records(self, office: BackOffice) -> MoneyRecords[Adjustment]:
        return office.adjustments

    def draft(self, deps: Deps, account: Account, kind: AdjustmentKind) -> Adjustment:
        current, _ = current_and_previous(deps, account.account_id)
        assessment = assess(deps, account, current, kind)
        return Adjustment(
            **_blank(deps, account.account_id),
            id=new_id("adj"),
            kind=kind,
            amount_cents=assessment.amount_cents,
            idempotency_key=idempotency_key(account.account_id, kind, assessment),
            request_fingerprint=fingerprint(
                account.account_id, kind.value, assessment.amount_cents
            ),
            bill_id=current.bill_id,
            description=assessment.description,
        )

    def redraft(self, deps: Deps, account: Account, record: Adjustment) -> Adjustment:
        return self.draft(deps, account, record.kind)

    def decide(self, record: Adjustment, facts: Facts, deps: Deps) -> Decision:
        ask = CreditAsk(kind=record.kind, amount_cents=record.amount_cents)
        return decide_credit(ask, facts, deps.policy)

    def post(self, deps: Deps, record: Adjustment) -> dict[str, Any]:
        assert record.bill_id is not None
        receipt = deps.billing.post_credit(
            record.account_id,
            record.bill_id,
            record.amount_cents,
            record.description,
            record.idempotency_key,
        )
        return {"bss_reference": receipt.bss_reference}

    def request(self, record: Adjustment) -> dict[str, Any]:
        return {
            "kind": record.kind.value,
            "amount_cents": record.amount_cents,
            "idempotency_key": record.idempotency_key,
        }

    def within_limit(self, member: StaffMember, record: Adjustment) -> bool:
        return record.amount_cents <= member.approval_limit_cents

    def what(self, record: Adjustment) -> str:
        return f"{format_cents(record.amount_cents)} {record.description}"

    def proposed_amount(self, record: Adjustment) -> int | None:
        return record.amount_cents


class ExtensionTrack(Track[PaymentExtension]):
    noun = "payment extension"

    def records(self, office: BackOffice) -> MoneyRecords[PaymentExtension]:
        return office.extensions

    def draft(self, deps: Deps, account: Account, days: int) -> PaymentExtension:
        current, _ = current_and_previous(deps, account.account_id)
        return PaymentExtension(
            **_blank(deps, account.account_id),
            id=new_id("ext"),
            bill_id=current.bill_id,
            days=days,
            new_due_date=current.due_date + timedelta(days=days),
            idempotency_key=f"payment_extension:{account.account_id}:{current.bill_id}:{days}",
            request_fingerprint=fingerprint(account.account_id, current.bill_id, days),
        )

    def redraft(self, deps: Deps, account: Account, record: PaymentExtension) -> PaymentExtension:
        return self.draft(deps, account, record.days)

    def decide(self, record: PaymentExtension, facts: Facts, deps: Deps) -> Decision:
        return decide_extension(ExtensionAsk(days=record.days), facts, deps.policy)

    def post(self, deps: Deps, record: PaymentExtension) -> dict[str, Any]:
        deps.billing.extend_due_date(
            record.account_id, record.bill_id, record.new_due_date, record.idempotency_key
        )
        return {}

    def request(self, record: PaymentExtension) -> dict[str, Any]:
        return {
            "days": record.days,
            "new_due_date": record.new_due_date.isoformat(),
            "idempotency_key": record.idempotency_key,
        }

    def within_limit(self, member: StaffMember, record: PaymentExtension) -> bool:
        return record.days <= member.extension_limit_days

    def what(self, record: PaymentExtension) -> str:
        return f"{record.days}-day payment extension"


CREDITS = CreditTrack()
EXTENSIONS = ExtensionTrack()


def track_for(record: Adjustment | PaymentExtension) -> Track[Any]:
    return CREDITS if isinstance(record, Adjustment) else EXTENSIONS


def track_of_id(record_id: str) -> Track[Any]:
    """Which kind an id names ("adj_..." or "ext_..."), so the dialogue needs only the id."""
    if record_id.startswith("adj_"):
        return CREDITS
    if record_id.startswith("ext_"):
        return EXTENSIONS
    raise NotFound(f"no adjustment or extension {record_id!r}")


def load_record(deps: Deps, record_id: str) -> Adjustment | PaymentExtension:
    """An adjustment or extension by id, whichever kind the id names. Raises NotFound."""
    track = track_of_id(record_id)
    with deps.reading() as office:
        record: Adjustment | PaymentExtension | None = track.records(office).get(record_id)
    if record is None:
        raise NotFound(f"no adjustment or extension {record_id}")
    return record
