"""Identity verification: account or phone, then the PIN; lockouts; nothing disclosed.

The PIN is compared by the BSS and forgotten: it is never recorded, only whether it matched.
The answer for an unknown account is the same as for a wrong PIN, so nobody can learn from us
whether an account or phone number exists.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict

from domain.identity import Identifier
from domain.records import VERIFIED_BY_PIN, PinAttempt
from domain.usecases.deps import Deps

MAX_FAILURES_PER_CONVERSATION = 3
MAX_FAILURES_PER_ACCOUNT = 5
ACCOUNT_LOCK_WINDOW = timedelta(hours=24)


class VerificationOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    verified: bool
    account_id: str | None = None
    first_name: str | None = None
    conversation_locked: bool = False
    attempts_left: int = 0


def conversation_locked(deps: Deps, conversation_id: str) -> bool:
    with deps.reading() as office:
        failures = office.pin_attempts.failures_in_conversation(conversation_id)
    return failures >= MAX_FAILURES_PER_CONVERSATION


def _account_locked(deps: Deps, account_id: str) -> bool:
    since = deps.clock.now() - ACCOUNT_LOCK_WINDOW
    with deps.reading() as office:
        failures = office.pin_attempts.failures_for_account_since(account_id, since)
    return failures >= MAX_FAILURES_PER_ACCOUNT


def verify_identity(
    deps: Deps, conversation_id: str, identifier: Identifier, pin: str
) -> VerificationOutcome:
    """Check one PIN attempt and record it (without the PIN)."""
    if conversation_locked(deps, conversation_id):
        return VerificationOutcome(verified=False, conversation_locked=True)
    account_id = deps.billing.find_account_id(
        account_id=identifier.account_id, phone=identifier.phone
    )
    usable = account_id is not None and not _account_locked(deps, account_id)
    # Every attempt costs one PIN hash (a decoy for unknown accounts), so neither the answer nor
    # its timing tells an unknown or locked account from a wrong PIN.
    matched = deps.billing.verify_pin(account_id or "", pin) and usable
    now = deps.clock.now()
    with deps.backoffice() as office:
        office.pin_attempts.add(
            PinAttempt(
                conversation_id=conversation_id,
                account_id=account_id,
                succeeded=matched,
                at=now,
            )
        )
        failures = office.pin_attempts.failures_in_conversation(conversation_id)
        if matched and account_id is not None:
            # A case opened before the customer verified now carries who they are, and its
            # write-up (drafted as "an unverified customer") says so.
            for case_id in office.cases.attach_customer(
                conversation_id, account_id, now, VERIFIED_BY_PIN
            ):
                case = office.cases.get(case_id)
                if case is not None:
                    later = f"Verified later in the conversation: account {account_id}, by PIN."
                    office.cases.set_summary(case_id, f"{case.summary}\n{later}")
        office.commit()
    if matched and account_id is not None:
        account = deps.billing.get_account(account_id)
        return VerificationOutcome(
            verified=True, account_id=account_id, first_name=account.first_name
        )
    left = max(0, MAX_FAILURES_PER_CONVERSATION - failures)
    return VerificationOutcome(verified=False, conversation_locked=left == 0, attempts_left=left)
