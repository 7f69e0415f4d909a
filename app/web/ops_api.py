"""The read-only ops API (OPS_API.md): what the bot and the staff did, per account."""

from __future__ import annotations

import hmac
import re
from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header
from fastapi.responses import JSONResponse

from domain.errors import NotFound
from domain.records import Adjustment, Case, PaymentExtension
from domain.usecases.audit import account_audit
from domain.usecases.deps import Deps
from domain.usecases.llm_wording import LlmServices, conversation_usage

ACCOUNT_ID = re.compile(r"\d{6}")


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_response(error: ApiError) -> JSONResponse:
    return JSONResponse(status_code=error.status, content={"error": error.message})


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def adjustment_json(item: Adjustment) -> dict[str, Any]:
    return {
        "id": item.id,
        "kind": item.kind.value,
        "amount_cents": item.amount_cents,
        "status": item.status.value,
        "proposed_by": item.proposed_by,
        "decided_by": item.decided_by,
        "policy_rule": item.policy_rule,
        "rules_fired": list(item.rules_fired),
        "policy_version": item.policy_version,
        "idempotency_key": item.idempotency_key,
        "case_id": item.case_id,
        "created_at": iso(item.created_at),
        "decided_at": iso(item.decided_at),
        "expires_at": iso(item.expires_at),
    }


def extension_json(item: PaymentExtension) -> dict[str, Any]:
    return {
        "id": item.id,
        "days": item.days,
        "new_due_date": item.new_due_date.isoformat(),
        "status": item.status.value,
        "proposed_by": item.proposed_by,
        "decided_by": item.decided_by,
        "policy_rule": item.policy_rule,
        "idempotency_key": item.idempotency_key,
        "case_id": item.case_id,
        "created_at": iso(item.created_at),
        "decided_at": iso(item.decided_at),
        "expires_at": iso(item.expires_at),
    }


def case_json(item: Case) -> dict[str, Any]:
    return {
        "id": item.id,
        "reference": item.reference,
        "status": item.status.value,
        "reason": item.reason,
        "proposed_amount_cents": item.proposed_amount_cents,
        "summary": item.summary,
        "channel": item.channel,
        "conversation_id": item.conversation_id,
        "account_id": item.account_id,
        "verified": item.verified,
        "verified_at": iso(item.verified_at),
        "verified_by": item.verified_by,
        "created_at": iso(item.created_at),
    }


def checked_account_id(account_id: str) -> str:
    if not ACCOUNT_ID.fullmatch(account_id):
        raise ApiError(422, f"malformed account id {account_id!r}: expected 6 digits")
    return account_id


def account_json(deps: Deps, account_id: str) -> dict[str, Any]:
    checked_account_id(account_id)
    try:
        account = deps.billing.get_account(account_id)
    except NotFound as error:
        raise ApiError(404, f"unknown account {account_id}") from error
    with deps.backoffice() as office:
        adjustments = office.adjustments.for_account(account_id)
        extensions = office.extensions.for_account(account_id)
        cases = office.cases.for_account(account_id)
    return {
        "account_id": account_id,
        "currency": account.currency,
        "balance_cents": deps.billing.get_balance_cents(account_id),
        "adjustments": [
            adjustment_json(a) for a in sorted(adjustments, key=lambda a: a.created_at)
        ],
        "payment_extensions": [extension_json(e) for e in extensions],
        "cases": [case_json(c) for c in sorted(cases, key=lambda c: c.created_at)],
    }


def audit_json(deps: Deps, account_id: str) -> dict[str, Any]:
    entries = account_audit(deps, checked_account_id(account_id))
    return {
        "account_id": account_id,
        "records": [
            {
                "seq": entry.seq,
                "type": "decision" if entry.table == "decisions" else "transition",
                "id": entry.row_id,
                "hash": entry.hash,
                "prev_hash": entry.prev_hash,
                "record": entry.content,
            }
            for entry in entries
        ],
    }


CONVERSATION_ID = re.compile(r"[A-Za-z0-9_.:@+-]{1,128}")


def llm_usage_json(services: LlmServices, conversation_id: str) -> dict[str, Any]:
    if not CONVERSATION_ID.fullmatch(conversation_id):
        raise ApiError(422, "malformed conversation id")
    usage = conversation_usage(services, conversation_id)
    return {
        "conversation_id": usage.conversation_id,
        "calls": usage.calls,
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "cost_usd": str(usage.cost_usd),
    }


def build_router(get_deps: Any, token: str, get_llm: Any) -> APIRouter:
    def require_token(authorization: Annotated[str | None, Header()] = None) -> None:
        scheme, _, given = (authorization or "").partition(" ")
        valid = bool(token) and hmac.compare_digest(given.encode(), token.encode())
        if scheme.lower() != "bearer" or not valid:
            raise ApiError(401, "missing or wrong bearer token")

    router = APIRouter(prefix="/api", dependencies=[Depends(require_token)])

    @router.get("/accounts/{account_id}")
    def get_account(account_id: str) -> dict[str, Any]:
        return account_json(get_deps(), account_id)

    @router.get("/audit")
    def get_audit(account_id: str) -> dict[str, Any]:
        """One account's decisions and transitions in audit-chain order, with their links."""
        return audit_json(get_deps(), account_id)

    @router.get("/conversations/{conversation_id}/llm-usage")
    def get_llm_usage(conversation_id: str) -> dict[str, Any]:
        """Tokens and cost of the model calls made for one conversation (zero without a model)."""
        return llm_usage_json(get_llm(), conversation_id)

    return router
