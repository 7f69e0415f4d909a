"""Payment extensions: preview, then the same decide-record-post path as credits."""

from __future__ import annotations

import hashlib
import logging
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict

from domain.errors import ExternalSystemError, InvalidInput
from domain.ids import new_id
from domain.model import Account, Bill
from domain.policy import Decision, ExtensionAsk, decide_extension
from domain.records import DecisionRecord, Outcome, PaymentExtension, Status
from domain.usecases.billing import current_and_previous
from domain.usecases.cases import Handoff, Origin, needs_approval, open_case_in
from domain.usecases.credits import gather_facts
from domain.usecases.deps import Deps
from domain.usecases.settle import STATUS_FOR, standing

log = logging.getLogger(__name__)


class ExtensionPreview(BaseModel):
    model_config = ConfigDict(frozen=True)

    days: int
    current_due: date
    new_due: date
    decision: Decision | None
    existing: PaymentExtension | None


class ExtensionSettlement(BaseModel):
    model_config = ConfigDict(frozen=True)

    extension: PaymentExtension
    decision: Decision | None  # None: an earlier decision stands
    handoff: Handoff | None

    @property
    def already_decided(self) -> bool:
        return self.decision is None


def _key(account_id: str, bill: Bill, days: int) -> str:
    return f"payment_extension:{account_id}:{bill.bill_id}:{days}"


def _fingerprint(account_id: str, bill: Bill, days: int) -> str:
    return hashlib.sha256(f"{account_id}|{bill.bill_id}|{days}".encode()).hexdigest()[:32]


def preview_extension(deps: Deps, account_id: str, days: int) -> ExtensionPreview:
    if days <= 0:
        raise InvalidInput("an extension must move the due date later")
    account = deps.billing.get_account(account_id)
    current, _ = current_and_previous(deps, account_id)
    with deps.backoffice() as office:
        existing = office.extensions.get_by_key(_key(account_id, current, days))
        decision = None
        if existing is None or existing.status is Status.FAILED:
            facts = gather_facts(office, deps, account)
            decision = decide_extension(ExtensionAsk(days=days), facts, deps.policy)
    return ExtensionPreview(
        days=days,
        current_due=current.due_date,
        new_due=current.due_date + timedelta(days=days),
        decision=decision,
        existing=existing if decision is None else None,
    )


def _summary(account: Account, days: int, new_due: date, decision: Decision, channel: str) -> str:
    return (
        f"Verified customer {account.name} (account {account.account_id}) asked on {channel} for a "
        f"{days}-day payment extension (new due date {new_due.isoformat()}). The bot could not "
        f"grant it: policy {decision.policy_version} rules {', '.join(decision.rules_fired)} "
        "require a person."
    )


def _decide_and_record(
    deps: Deps, account: Account, days: int, origin: Origin
) -> tuple[PaymentExtension, Decision | None, Handoff | None]:
    current, _ = current_and_previous(deps, account.account_id)
    key, print_ = (
        _key(account.account_id, current, days),
        _fingerprint(account.account_id, current, days),
    )
    now = deps.clock.now()
    with deps.backoffice() as office:
        existing = office.extensions.get_by_key(key)
        earlier = standing(existing, print_)
        if earlier is not None:
            return earlier, None, None
        facts = gather_facts(office, deps, account)
        decision = decide_extension(ExtensionAsk(days=days), facts, deps.policy)
        status = STATUS_FOR[decision.outcome]
        new_due = current.due_date + timedelta(days=days)
        handoff = None
        if decision.outcome is Outcome.HUMAN:
            handoff = open_case_in(
                office,
                deps,
                origin,
                account_id=account.account_id,
                reason=needs_approval(f"{days}-day payment extension", decision.rules_fired),
                summary=_summary(account, days, new_due, decision, origin.channel),
            )
        extension = PaymentExtension(
            id=existing.id if existing else new_id("ext"),
            account_id=account.account_id,
            bill_id=current.bill_id,
            days=days,
            new_due_date=new_due,
            status=status,
            proposed_by=origin.actor,
            decided_by=None if status is Status.PENDING_APPROVAL else origin.actor,
            policy_rule=decision.deciding_rule,
            rules_fired=decision.rules_fired,
            policy_version=decision.policy_version,
            idempotency_key=key,
            request_fingerprint=print_,
            case_id=handoff.case.id if handoff else None,
            created_at=existing.created_at if existing else now,
            decided_at=None if status is Status.PENDING_APPROVAL else now,
        )
        office.decisions.add(
            DecisionRecord(
                id=new_id("dec"),
                at=now,
                actor=origin.actor,
                account_id=account.account_id,
                subject=f"extension:{extension.id}",
                request={"days": days, "idempotency_key": key},
                facts=facts.model_dump(),
                policy_version=decision.policy_version,
                rules_fired=decision.rules_fired,
                outcome=decision.outcome,
            )
        )
        if existing is None:
            office.extensions.add(extension)
        else:
            office.extensions.update(extension)
        office.commit()
    return extension, decision, handoff


def _post(deps: Deps, extension: PaymentExtension) -> PaymentExtension:
    try:
        deps.billing.extend_due_date(
            extension.account_id,
            extension.bill_id,
            extension.new_due_date,
            extension.idempotency_key,
        )
        posted = extension.model_copy(update={"status": Status.APPLIED})
    except ExternalSystemError as error:
        log.warning(
            "BSS refused extension %s (%s): marked failed", extension.id, type(error).__name__
        )
        posted = extension.model_copy(update={"status": Status.FAILED})
    with deps.backoffice() as office:
        office.extensions.update(posted)
        office.commit()
    return posted


def settle_extension(deps: Deps, account_id: str, days: int, origin: Origin) -> ExtensionSettlement:
    """Decide, record and (when the policy says apply) post one extension, exactly once."""
    if days <= 0:
        raise InvalidInput("an extension must move the due date later")
    account = deps.billing.get_account(account_id)
    extension, decision, handoff = _decide_and_record(deps, account, days, origin)
    if extension.status is Status.APPLYING:
        extension = _post(deps, extension)
    return ExtensionSettlement(extension=extension, decision=decision, handoff=handoff)
