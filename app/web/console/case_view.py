"""What the console's case page shows, assembled from the back office, the BSS and the policy.

Plain data, so the page template only lays it out and unit tests can read it. Back-office reads
happen in one transaction; BSS reads come after it (on SQLite the reference BSS shares the file,
so a BSS call inside the transaction would wait on its own lock).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from app.web.console.case_words import (
    KIND_WORDS,
    PROPOSAL_STATUS_WORDS,
    VOICE,
    caps_text,
    channel_label,
    local_time,
    rule_words,
    status_text,
    verification_text,
)
from domain.errors import DomainError, NotFound
from domain.model import Bill
from domain.money import format_cents
from domain.policy import Policy, StaffMember
from domain.records import Adjustment, Case, CaseNote, PaymentExtension, Status
from domain.usecases import console
from domain.usecases.deps import Deps


@dataclass(frozen=True)
class CustomerView:
    account_id: str
    name: str
    plan: str
    balance: str


@dataclass(frozen=True)
class ProposalView:
    record_id: str
    kind: str  # words: "Third-party charge dispute"
    is_extension: bool
    amount_cents: int | None
    days: int | None
    amount_text: str  # "$180.00" or "30 days"
    description: str
    status: str  # the lifecycle status value
    status_text: str
    pending: bool
    decided_by: str | None
    rule: str  # the deciding rule's code
    rule_text: str  # ... in words
    rules_fired: tuple[str, ...]
    caps_text: str  # "$180.00 — above the bot's $25.00 cap; within your $200.00 limit"
    within_your_limit: bool
    approve_label: str  # exactly the approve button's text


@dataclass(frozen=True)
class BillLineView:
    description: str
    amount: str
    highlighted: bool


@dataclass(frozen=True)
class BillView:
    bill_id: str
    period: str
    due: str
    total: str
    lines: tuple[BillLineView, ...]


@dataclass(frozen=True)
class HistoryItem:
    at: str
    what: str
    status: str


@dataclass(frozen=True)
class NoteView:
    author: str
    at: str
    text: str


@dataclass(frozen=True)
class CaseView:
    id: str
    reference: str
    status: str  # the case status value
    status_text: str
    holder: str | None
    held_by_you: bool
    open: bool
    channel: str
    live_chat: bool
    opened_at: str
    reason: str
    summary: str
    verified: bool
    verification_text: str
    customer: CustomerView | None
    proposal: ProposalView | None
    bill: BillView | None
    history: tuple[HistoryItem, ...]
    notes: tuple[NoteView, ...]
    staff: tuple[tuple[str, str], ...]  # (username, "alex (agent)") for the assign list
    problems: tuple[str, ...] = field(default=())  # parts that could not be read right now
    state: str = ""  # changes whenever the page would; the page's script reloads on a change


def state_of(case: Case, record: Adjustment | PaymentExtension | None) -> str:
    """A short fingerprint of what the page shows about the case and its proposal."""
    parts = (
        case.status.value,
        case.claimed_by or "",
        str(case.verified),
        case.account_id or "",
        record.status.value if record is not None else "",
    )
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def proposal_view(
    policy: Policy, member: StaffMember, record: Adjustment | PaymentExtension
) -> ProposalView:
    is_extension = isinstance(record, PaymentExtension)
    if isinstance(record, PaymentExtension):
        amount_cents, days = None, record.days
        amount_text, kind = f"{record.days} days", "payment_extension"
        description = f"{record.days}-day payment extension (new due date {record.new_due_date})"
        within = record.days <= member.extension_limit_days
    else:
        amount_cents, days = record.amount_cents, None
        amount_text, kind = format_cents(record.amount_cents), record.kind.value
        description = record.description
        within = record.amount_cents <= member.approval_limit_cents
    return ProposalView(
        record_id=record.id,
        kind=KIND_WORDS.get(kind, kind),
        is_extension=is_extension,
        amount_cents=amount_cents,
        days=days,
        amount_text=amount_text,
        description=description,
        status=record.status.value,
        status_text=PROPOSAL_STATUS_WORDS.get(record.status.value, record.status.value),
        pending=record.status is Status.PENDING_APPROVAL,
        decided_by=record.decided_by,
        rule=record.policy_rule,
        rule_text=rule_words(record.policy_rule),
        rules_fired=record.rules_fired,
        caps_text=caps_text(policy, member, record),
        within_your_limit=within,
        approve_label=f"Approve {amount_text}",
    )


def bill_view(bill: Bill, proposed_cents: int | None) -> BillView:
    period = f"{bill.period_start.date().isoformat()} to {bill.period_end.date().isoformat()}"
    lines = tuple(
        BillLineView(
            description=line.description,
            amount=format_cents(line.amount_cents),
            highlighted=proposed_cents is not None and line.amount_cents == proposed_cents,
        )
        for line in bill.lines
    )
    return BillView(
        bill_id=bill.bill_id,
        period=period,
        due=bill.due_date.isoformat(),
        total=format_cents(bill.total_cents),
        lines=lines,
    )


def _history(
    case: Case,
    cases: list[Case],
    records: list[Adjustment | PaymentExtension],
    timezone: str,
) -> tuple[HistoryItem, ...]:
    """Earlier cases and adjustments of the account, newest first (this case's own excluded)."""
    dated: list[tuple[datetime, HistoryItem]] = []
    for other in cases:
        if other.id != case.id:
            what = f"Case {other.reference}: {other.reason}"
            item = HistoryItem(local_time(other.created_at, timezone), what, other.status.value)
            dated.append((other.created_at, item))
    for record in records:
        if record.case_id == case.id:
            continue
        if isinstance(record, PaymentExtension):
            what = f"{record.days}-day payment extension"
        else:
            what = f"{format_cents(record.amount_cents)} {record.description}"
        decided = f" by {record.decided_by}" if record.decided_by else ""
        item = HistoryItem(
            local_time(record.created_at, timezone), what, f"{record.status.value}{decided}"
        )
        dated.append((record.created_at, item))
    return tuple(item for _, item in sorted(dated, key=lambda pair: pair[0], reverse=True))


def _notes(notes: list[CaseNote], timezone: str) -> tuple[NoteView, ...]:
    return tuple(NoteView(n.author, local_time(n.at, timezone), n.text) for n in notes)


def _customer(deps: Deps, account_id: str, problems: list[str]) -> CustomerView | None:
    try:
        account = deps.billing.get_account(account_id)
        balance = format_cents(deps.billing.get_balance_cents(account_id), account.currency)
    except DomainError as error:
        problems.append(f"The customer's account could not be read: {error}")
        return None
    return CustomerView(account.account_id, account.name, account.plan, balance)


def _bill(
    deps: Deps, account_id: str, record: Adjustment | PaymentExtension | None, problems: list[str]
) -> Bill | None:
    """The proposal's bill if it names one, else the current bill."""
    try:
        bills = deps.billing.get_bills(account_id)
    except DomainError as error:
        problems.append(f"The bill could not be read: {error}")
        return None
    wanted = record.bill_id if record is not None else None
    return next((b for b in bills if b.bill_id == wanted), bills[0] if bills else None)


def build_case_view(deps: Deps, case_id: str, user: str) -> CaseView:
    """Everything the case page shows to ``user``. Raises NotFound for an unknown case."""
    member = console.staff_member(deps, user)
    tz = deps.operator_timezone
    with deps.backoffice() as office:
        case = office.cases.get(case_id)
        if case is None:
            raise NotFound(f"no case {case_id}")
        record = console.proposal_of(office, case)
        notes = office.notes.for_case(case.id)
        earlier: list[Case] = []
        records: list[Adjustment | PaymentExtension] = []
        if case.account_id is not None:
            earlier = office.cases.for_account(case.account_id)
            records = [
                *office.adjustments.for_account(case.account_id),
                *office.extensions.for_account(case.account_id),
            ]
    problems: list[str] = []
    customer, bill = None, None
    if case.account_id is not None:
        customer = _customer(deps, case.account_id, problems)
        bill = _bill(deps, case.account_id, record, problems)
    proposal = proposal_view(deps.policy, member, record) if record is not None else None
    proposed_cents = proposal.amount_cents if proposal is not None else None
    holder = case.claimed_by
    return CaseView(
        id=case.id,
        reference=case.reference,
        status=case.status.value,
        status_text=status_text(case, user),
        holder=holder,
        held_by_you=holder == user,
        open=case.status in console.OPEN_STATUSES,
        channel=channel_label(case.channel),
        live_chat=case.channel != VOICE,
        opened_at=local_time(case.created_at, tz),
        reason=case.reason,
        summary=case.summary,
        verified=case.verified,
        verification_text=verification_text(case, tz),
        customer=customer,
        proposal=proposal,
        bill=bill_view(bill, proposed_cents) if bill is not None else None,
        history=_history(case, earlier, records, tz),
        notes=_notes(notes, tz),
        staff=tuple((name, f"{name} ({m.role})") for name, m in sorted(deps.policy.staff.items())),
        problems=tuple(problems),
        state=state_of(case, record),
    )
