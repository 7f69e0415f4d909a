"""The ports: what the use cases need from the world, as Protocols.

Adapters live outside ``domain`` (``billing_adapters/`` for the operator's systems, ``app/`` for
our own back office); unit tests use small in-memory fakes.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Any, Protocol, TypeVar

from domain.audit import ChainEntry, ChainHead
from domain.llm import LlmCall, LlmReply
from domain.model import Account, Bill, Incident, Order, PostingReceipt
from domain.records import (
    Adjustment,
    AdjustmentKind,
    Case,
    CaseEvent,
    CaseNote,
    CaseStatus,
    DecisionRecord,
    PaymentExtension,
    PinAttempt,
    Transition,
)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class BillingSystem(Protocol):
    """The operator's BSS: accounts, bills, balances and postings."""

    def find_account_id(
        self, *, account_id: str | None = None, phone: str | None = None
    ) -> str | None:
        """The account for an account number or an E.164 phone number, or None."""
        ...

    def verify_pin(self, account_id: str, pin: str) -> bool: ...

    def get_account(self, account_id: str) -> Account:
        """Raises NotFound."""
        ...

    def get_bills(self, account_id: str) -> list[Bill]:
        """The account's bills, newest first."""
        ...

    def get_balance_cents(self, account_id: str) -> int: ...

    def post_credit(
        self, account_id: str, bill_id: str, amount_cents: int, memo: str, idempotency_key: str
    ) -> PostingReceipt:
        """Post a credit once per idempotency key; a repeat returns the first receipt."""
        ...

    def extend_due_date(
        self, account_id: str, bill_id: str, new_due_date: date, idempotency_key: str
    ) -> None: ...


class OrderSystem(Protocol):
    def list_orders(self, account_id: str) -> list[Order]: ...


class NetworkStatus(Protocol):
    def incidents_for_zip(self, zip_code: str, start: datetime, end: datetime) -> list[Incident]:
        """Incidents touching ``zip_code`` that overlap [start, end)."""
        ...


R = TypeVar("R", Adjustment, PaymentExtension)


class MoneyRecords(Protocol[R]):
    """Adjustments or payment extensions: one row per idempotency key, its current status."""

    def get(self, record_id: str) -> R | None: ...
    def get_by_key(self, idempotency_key: str) -> R | None: ...
    def add(self, record: R) -> None:
        """Raises IdempotencyConflict when the id or the key is already recorded."""
        ...

    def update(self, record: R) -> None:
        """Replace the row with the same id. Raises NotFound."""
        ...

    def for_account(self, account_id: str) -> list[R]: ...
    def applying_before(self, cutoff: datetime) -> list[R]:
        """Rows still ``applying`` accepted at or before ``cutoff`` (the reconciler's work)."""
        ...

    def offers_expired_by(self, moment: datetime) -> list[R]:
        """Rows still ``offered`` whose offer expired at or before ``moment``."""
        ...


class AdjustmentRepository(MoneyRecords[Adjustment], Protocol):
    def bot_applied_cents_since(self, since: datetime, account_id: str | None = None) -> int:
        """Sum of credits the bot applied (or is applying) since ``since``; all accounts if None."""
        ...

    def count_since(self, account_id: str, kind: AdjustmentKind, since: datetime) -> int:
        """Applied or applying adjustments of ``kind`` since ``since``."""
        ...


class ExtensionRepository(MoneyRecords[PaymentExtension], Protocol):
    def count_applied_since(self, account_id: str, since: datetime) -> int: ...


class TransitionLog(Protocol):
    """Append-only: every change of status, chained into the audit trail as it is added."""

    def add(self, transition: Transition) -> None: ...
    def for_subject(self, subject: str) -> list[Transition]: ...


class AuditTrail(Protocol):
    def entries(self, account_id: str | None = None) -> list[ChainEntry]:
        """Decisions and transitions in chain order (one account's, or all)."""
        ...

    def head(self) -> ChainHead | None: ...


class CaseRepository(Protocol):
    def add(self, case: Case) -> None: ...
    def get(self, case_id: str) -> Case | None: ...
    def next_reference(self) -> str: ...
    def count_open(self) -> int: ...
    def for_account(self, account_id: str) -> list[Case]: ...
    def listed(
        self, *, status: CaseStatus | None = None, verified: bool | None = None
    ) -> list[Case]:
        """Cases oldest first, optionally only those with this status and/or verification."""
        ...

    def attach_customer(
        self, conversation_id: str, account_id: str, verified_at: datetime, verified_by: str
    ) -> list[str]:
        """Put the now verified customer on the conversation's open unverified cases; their ids."""
        ...

    def set_summary(self, case_id: str, summary: str) -> None:
        """Replace the drafted summary (written up after the case opened). Raises NotFound."""
        ...

    def set_status(self, case_id: str, status: CaseStatus, at: datetime | None = None) -> None:
        """Raises NotFound. ``at`` (resolved or closed): when the case was settled."""
        ...

    def set_claim(self, case_id: str, user: str | None, at: datetime | None) -> None:
        """Who holds the case now (None: nobody); the caller checks who held it. Raises NotFound."""
        ...


class CaseNotes(Protocol):
    def add(self, note: CaseNote) -> None: ...
    def for_case(self, case_id: str) -> list[CaseNote]:
        """Oldest first."""
        ...


class CaseEventOutbox(Protocol):
    def publish(self, event: CaseEvent) -> None:
        """Queued in this transaction; the webhook sender delivers it after the commit."""
        ...


class DecisionLog(Protocol):
    def add(self, record: DecisionRecord) -> None:
        """Append (and chain into the audit trail)."""
        ...

    def for_account(self, account_id: str) -> list[DecisionRecord]: ...


class PinAttemptLog(Protocol):
    def add(self, attempt: PinAttempt) -> None: ...
    def failures_in_conversation(self, conversation_id: str) -> int: ...
    def failures_for_account_since(self, account_id: str, since: datetime) -> int: ...
    def last_success_in_conversation(self, conversation_id: str) -> PinAttempt | None: ...


class OperatorFlags(Protocol):
    def kill_switch(self) -> bool: ...
    def set_kill_switch(self, on: bool) -> None: ...


class BackOffice(Protocol):
    """One transaction over our own records. Writers are serialised (caps must hold under load)."""

    adjustments: AdjustmentRepository
    extensions: ExtensionRepository
    cases: CaseRepository
    decisions: DecisionLog
    transitions: TransitionLog
    audit: AuditTrail
    pin_attempts: PinAttemptLog
    flags: OperatorFlags
    notes: CaseNotes
    outbox: CaseEventOutbox

    def commit(self) -> None: ...


class BackOfficeFactory(Protocol):
    def __call__(self) -> AbstractContextManager[BackOffice]:
        """Open a serialised transaction; leaving without commit() rolls back."""
        ...


class Llm(Protocol):
    """Any chat-completion model. Raises ExternalTimeout, ExternalRefused or ExternalSystemError.

    ``configured`` is False for the null adapter: the use cases then go straight to the
    deterministic wording without calling or recording anything.
    """

    @property
    def configured(self) -> bool: ...

    def complete(
        self,
        messages: list[dict[str, str]],
        *,
        timeout_s: float,
        json_schema: dict[str, Any] | None = None,
    ) -> LlmReply:
        """One completion; with ``json_schema`` the reply text is a JSON document (else refused)."""
        ...


class LlmCallLog(Protocol):
    """Every call to the model: masked prompt, model, tokens, latency, verdict, fallback."""

    def add(self, call: LlmCall) -> None: ...
    def for_conversation(self, conversation_id: str) -> list[LlmCall]: ...
