"""The back office in memory, with the SQL factory's semantics (same contract suite).

A transaction works on a copy of the state and publishes it on commit(); one lock serialises
transactions, like BEGIN IMMEDIATE / the advisory lock do for SQL. Records are immutable, so
shallow copies are enough.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime

from domain.errors import IdempotencyConflict, NotFound
from domain.llm import LlmCall
from domain.ports import (
    AdjustmentRepository,
    CaseRepository,
    DecisionLog,
    ExtensionRepository,
    OperatorFlags,
    PinAttemptLog,
)
from domain.records import (
    BOT,
    Adjustment,
    AdjustmentKind,
    Case,
    CaseStatus,
    DecisionRecord,
    PaymentExtension,
    PinAttempt,
    Status,
)

FIRST_CASE_NUMBER = 1001
_COUNTED = (Status.APPLIED, Status.APPLYING)


@dataclass
class _State:
    adjustments: dict[str, Adjustment] = field(default_factory=dict)
    extensions: dict[str, PaymentExtension] = field(default_factory=dict)
    cases: dict[str, Case] = field(default_factory=dict)
    decisions: list[DecisionRecord] = field(default_factory=list)
    pin_attempts: list[PinAttempt] = field(default_factory=list)
    flags: dict[str, str] = field(default_factory=dict)
    last_case_number: int | None = None

    def copy(self) -> _State:
        return replace(
            self,
            adjustments=dict(self.adjustments),
            extensions=dict(self.extensions),
            cases=dict(self.cases),
            decisions=list(self.decisions),
            pin_attempts=list(self.pin_attempts),
            flags=dict(self.flags),
        )


def _decided(record: Adjustment | PaymentExtension) -> datetime:
    return record.decided_at or record.created_at


class MemoryAdjustments:
    def __init__(self, state: _State) -> None:
        self._state = state

    def get_by_key(self, idempotency_key: str) -> Adjustment | None:
        return next(
            (a for a in self._state.adjustments.values() if a.idempotency_key == idempotency_key),
            None,
        )

    def add(self, adjustment: Adjustment) -> None:
        if adjustment.id in self._state.adjustments or self.get_by_key(adjustment.idempotency_key):
            raise IdempotencyConflict("Adjustment already recorded")
        self._state.adjustments[adjustment.id] = adjustment

    def update(self, adjustment: Adjustment) -> None:
        if adjustment.id not in self._state.adjustments:
            raise NotFound(f"adjustment {adjustment.id}")
        self._state.adjustments[adjustment.id] = adjustment

    def for_account(self, account_id: str) -> list[Adjustment]:
        rows = [a for a in self._state.adjustments.values() if a.account_id == account_id]
        return sorted(rows, key=lambda a: (a.created_at, a.id))

    def _counted(self, since: datetime) -> list[Adjustment]:
        return [
            a
            for a in self._state.adjustments.values()
            if a.status in _COUNTED and _decided(a) >= since
        ]

    def bot_applied_cents_since(self, since: datetime, account_id: str | None = None) -> int:
        return sum(
            a.amount_cents
            for a in self._counted(since)
            if a.decided_by == BOT and (account_id is None or a.account_id == account_id)
        )

    def count_since(self, account_id: str, kind: AdjustmentKind, since: datetime) -> int:
        return sum(1 for a in self._counted(since) if a.account_id == account_id and a.kind == kind)


class MemoryExtensions:
    def __init__(self, state: _State) -> None:
        self._state = state

    def get_by_key(self, idempotency_key: str) -> PaymentExtension | None:
        return next(
            (e for e in self._state.extensions.values() if e.idempotency_key == idempotency_key),
            None,
        )

    def add(self, extension: PaymentExtension) -> None:
        if extension.id in self._state.extensions or self.get_by_key(extension.idempotency_key):
            raise IdempotencyConflict("PaymentExtension already recorded")
        self._state.extensions[extension.id] = extension

    def update(self, extension: PaymentExtension) -> None:
        if extension.id not in self._state.extensions:
            raise NotFound(f"extension {extension.id}")
        self._state.extensions[extension.id] = extension

    def for_account(self, account_id: str) -> list[PaymentExtension]:
        rows = [e for e in self._state.extensions.values() if e.account_id == account_id]
        return sorted(rows, key=lambda e: (e.created_at, e.id))

    def count_applied_since(self, account_id: str, since: datetime) -> int:
        return sum(
            1
            for e in self._state.extensions.values()
            if e.account_id == account_id and e.status in _COUNTED and _decided(e) >= since
        )


class MemoryCases:
    def __init__(self, state: _State) -> None:
        self._state = state

    def add(self, case: Case) -> None:
        if case.id in self._state.cases or any(
            c.reference == case.reference for c in self._state.cases.values()
        ):
            raise IdempotencyConflict("Case already recorded")
        self._state.cases[case.id] = case

    def get(self, case_id: str) -> Case | None:
        return self._state.cases.get(case_id)

    def next_reference(self) -> str:
        last = self._state.last_case_number
        self._state.last_case_number = FIRST_CASE_NUMBER if last is None else last + 1
        return f"KM-{self._state.last_case_number}"

    def count_open(self) -> int:
        return sum(1 for c in self._state.cases.values() if c.status is CaseStatus.OPEN)

    def for_account(self, account_id: str) -> list[Case]:
        rows = [c for c in self._state.cases.values() if c.account_id == account_id]
        return sorted(rows, key=lambda c: (c.created_at, c.id))

    def set_summary(self, case_id: str, summary: str) -> None:
        case = self._state.cases.get(case_id)
        if case is None:
            raise NotFound(f"no case {case_id}")
        self._state.cases[case_id] = case.model_copy(update={"summary": summary})


class MemoryDecisions:
    def __init__(self, state: _State) -> None:
        self._state = state

    def add(self, record: DecisionRecord) -> None:
        if any(d.id == record.id for d in self._state.decisions):
            raise IdempotencyConflict("DecisionRecord already recorded")
        self._state.decisions.append(record)

    def for_account(self, account_id: str) -> list[DecisionRecord]:
        rows = [d for d in self._state.decisions if d.account_id == account_id]
        return sorted(rows, key=lambda d: (d.at, d.id))


class MemoryPinAttempts:
    def __init__(self, state: _State) -> None:
        self._state = state

    def add(self, attempt: PinAttempt) -> None:
        self._state.pin_attempts.append(attempt)

    def failures_in_conversation(self, conversation_id: str) -> int:
        return sum(
            1
            for p in self._state.pin_attempts
            if p.conversation_id == conversation_id and not p.succeeded
        )

    def failures_for_account_since(self, account_id: str, since: datetime) -> int:
        return sum(
            1
            for p in self._state.pin_attempts
            if p.account_id == account_id and not p.succeeded and p.at >= since
        )


class MemoryFlags:
    def __init__(self, state: _State) -> None:
        self._state = state

    def kill_switch(self) -> bool:
        return self._state.flags.get("kill_switch") == "on"

    def set_kill_switch(self, on: bool) -> None:
        self._state.flags["kill_switch"] = "on" if on else "off"


class MemoryBackOffice:
    """One transaction over a private copy of the state (satisfies domain.ports.BackOffice)."""

    def __init__(self, factory: InMemoryBackOfficeFactory) -> None:
        self._factory = factory
        self._state = factory.state.copy()
        self.adjustments: AdjustmentRepository = MemoryAdjustments(self._state)
        self.extensions: ExtensionRepository = MemoryExtensions(self._state)
        self.cases: CaseRepository = MemoryCases(self._state)
        self.decisions: DecisionLog = MemoryDecisions(self._state)
        self.pin_attempts: PinAttemptLog = MemoryPinAttempts(self._state)
        self.flags: OperatorFlags = MemoryFlags(self._state)

    def commit(self) -> None:
        # Publish a copy: later changes in this block stay private until the next commit().
        self._factory.state = self._state.copy()


class InMemoryBackOfficeFactory:
    """``with factory() as office: ...; office.commit()`` (no commit: nothing is kept)."""

    def __init__(self, history: tuple[Adjustment, ...] | list[Adjustment] = ()) -> None:
        self._lock = threading.RLock()
        self.state = _State(adjustments={a.id: a for a in history})

    @contextmanager
    def __call__(self) -> Iterator[MemoryBackOffice]:
        with self._lock:
            yield MemoryBackOffice(self)


class InMemoryLlmCallLog:
    """The LLM call log in memory (satisfies domain.ports.LlmCallLog); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: list[LlmCall] = []

    def add(self, call: LlmCall) -> None:
        with self._lock:
            self.calls.append(call)

    def for_conversation(self, conversation_id: str) -> list[LlmCall]:
        with self._lock:
            rows = [c for c in self.calls if c.conversation_id == conversation_id]
        return sorted(rows, key=lambda c: (c.at, c.id))
