"""The case API (OPS_API.md): the queue, a case, and what a person does with it.

Staff use bearer tokens from ``POST /api/token``; the ops token may read but not act (it is no
person). Every action goes through the console's takeover service, like the console's pages.

FastAPI resolves the ``Annotated`` dependency aliases below at run time, inside the builder, so this
module must not use postponed annotations (``from __future__ import annotations``).
"""

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from app.web.console.auth import ConsoleAuth, StaffUser
from app.web.console.takeover import Takeover
from app.web.ops_api import ApiError, iso
from domain.errors import NotPermitted
from domain.records import Adjustment, Case, CaseStatus, PaymentExtension
from domain.usecases import console
from domain.usecases.deps import Deps


def proposal_json(record: Adjustment | PaymentExtension | None) -> dict[str, Any] | None:
    if record is None:
        return None
    common = {
        "id": record.id,
        "status": record.status.value,
        "decided_by": record.decided_by,
        "rules_fired": list(record.rules_fired),
        "policy_rule": record.policy_rule,
    }
    if isinstance(record, Adjustment):
        return {**common, "kind": record.kind.value, "amount_cents": record.amount_cents}
    return {**common, "kind": "payment_extension", "days": record.days}


def case_json_full(case: Case, proposal: Adjustment | PaymentExtension | None) -> dict[str, Any]:
    return {
        "id": case.id,
        "reference": case.reference,
        "status": case.status.value,
        "channel": case.channel,
        "conversation_id": case.conversation_id,
        "account_id": case.account_id,
        "verified": case.verified,
        "verified_at": iso(case.verified_at),
        "verified_by": case.verified_by,
        "claimed_by": case.claimed_by,
        "claimed_at": iso(case.claimed_at),
        "priority": console.priority_of(case),
        "reason": case.reason,
        "summary": case.summary,
        "proposed_amount_cents": case.proposed_amount_cents,
        "adjustment": proposal_json(proposal),
        "created_at": iso(case.created_at),
        "resolved_at": iso(case.resolved_at),
    }


def render_case(deps: Deps, case_id: str) -> dict[str, Any] | None:
    """One case as the API shows it (the webhook's payload too); None if there is none."""
    with deps.backoffice() as office:
        case = office.cases.get(case_id)
        if case is None:
            return None
        return case_json_full(case, console.proposal_of(office, case))


def listed_cases(deps: Deps, status: str | None, verified: bool | None) -> list[dict[str, Any]]:
    try:
        wanted = CaseStatus(status) if status is not None else None
    except ValueError as error:
        known = ", ".join(s.value for s in CaseStatus)
        raise ApiError(422, f"unknown case status {status!r}: expected one of {known}") from error
    with deps.backoffice() as office:
        cases = office.cases.listed(status=wanted, verified=verified)
        return [case_json_full(c, console.proposal_of(office, c)) for c in cases]


class DecisionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["approve", "reject"]
    amount_cents: StrictInt | None = Field(default=None, ge=1)
    days: StrictInt | None = Field(default=None, ge=1)
    reason: str = Field(default="", max_length=1000)


class MessageBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=1000)


class AssignBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: str = Field(min_length=1, max_length=64)


class NoteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=console.LONGEST_NOTE)


def build_cases_router(
    get_deps: Callable[[], Deps], auth: ConsoleAuth, takeover: Callable[[], Takeover]
) -> APIRouter:
    def actor(reader: Annotated[StaffUser | None, Depends(auth.api_reader)]) -> StaffUser:
        if reader is None:
            raise NotPermitted(
                "the ops token may read cases but not act on them: sign in as a person "
                "(POST /api/token)"
            )
        return reader

    Reader = Annotated[StaffUser | None, Depends(auth.api_reader)]
    Actor = Annotated[StaffUser, Depends(actor)]
    router = APIRouter(prefix="/api/cases")

    def one(case_id: str) -> dict[str, Any]:
        found = render_case(get_deps(), case_id)
        if found is None:
            raise ApiError(404, f"no case {case_id}")
        return found

    @router.get("")
    def get_cases(
        _: Reader, status: str | None = None, verified: bool | None = None
    ) -> dict[str, Any]:
        """Cases oldest first; ``?status=open`` is the queue, ``?verified=false`` the unverified."""
        return {"cases": listed_cases(get_deps(), status, verified)}

    @router.get("/{case_id}")
    def get_case(case_id: str, _: Reader) -> dict[str, Any]:
        found = one(case_id)
        notes = console.case_notes(get_deps(), case_id)
        found["notes"] = [{"author": n.author, "text": n.text, "at": iso(n.at)} for n in notes]
        return found

    @router.post("/{case_id}/claim")
    def claim(case_id: str, user: Actor) -> dict[str, Any]:
        takeover().claim(case_id, user.username)
        return one(case_id)

    @router.post("/{case_id}/messages")
    def message(case_id: str, body: MessageBody, user: Actor) -> dict[str, Any]:
        takeover().reply(case_id, user.username, user.display_name, body.text)
        return {"sent": True}

    @router.post("/{case_id}/release")
    def release(case_id: str, user: Actor) -> dict[str, Any]:
        takeover().release(case_id, user.username)
        return one(case_id)

    @router.post("/{case_id}/assign")
    def assign(case_id: str, body: AssignBody, user: Actor) -> dict[str, Any]:
        takeover().assign(case_id, user.username, body.to)
        return one(case_id)

    @router.post("/{case_id}/notes")
    def note(case_id: str, body: NoteBody, user: Actor) -> dict[str, Any]:
        console.add_note(get_deps(), case_id, user.username, body.text)
        return one(case_id)

    @router.post("/{case_id}/decision")
    def decision(case_id: str, body: DecisionBody, user: Actor) -> dict[str, Any]:
        takeover().decide(
            case_id, user.username, user.display_name, body.action,
            amount_cents=body.amount_cents, days=body.days, reason=body.reason,
        )  # fmt: skip
        return one(case_id)

    return router
