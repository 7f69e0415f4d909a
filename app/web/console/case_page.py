"""The case page and everything a person does on it: claim, hand back, assign, ask the bot to
verify, note, reply in the chat, and decide the proposal.

Every change goes through the takeover service or the console use cases (the same ones as the
case API), then redirects to the page with a fixed notice; a refusal renders the page again with
the domain's status code and its message, never a trace.
"""

# No ``from __future__ import annotations``: FastAPI must see the dependency aliases made inside
# the builder, which string annotations would hide from it.
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from app.backoffice.staff import StaffUser
from app.web.console.auth import ConsoleAuth
from app.web.console.case_forms import dollars_to_cents, notice_text, whole_days
from app.web.console.case_view import build_case_view, state_of
from app.web.console.case_words import local_time
from app.web.console.queue_feed import iso
from app.web.console.rasa_conversations import Turn
from app.web.console.takeover import Takeover, has_live_chat
from app.web.console.templating import render
from app.web.errors import status_for
from domain.errors import DomainError, InvalidInput, NotFound
from domain.records import Case
from domain.usecases import console
from domain.usecases.deps import Deps

NO_CONVERSATION = "the conversation is not available right now"
FormText = Annotated[str, Form()]


def turn_json(turn: Turn, timezone: str) -> dict[str, str]:
    return {
        "at": iso(turn.at) or "",
        "time": local_time(turn.at, timezone).rsplit(", ", 1)[-1],  # "20:54 UTC"
        "speaker": turn.speaker,
        "name": turn.name,
        "text": turn.text,
    }


def case_url(case_id: str, notice: str = "") -> str:
    return f"/console/cases/{quote(case_id, safe='')}" + (f"?notice={notice}" if notice else "")


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def add_case_routes(
    router: APIRouter,
    get_deps: Callable[[], Deps],
    auth: ConsoleAuth,
    takeover: Callable[[], Takeover],
) -> None:
    PageUser = Annotated[StaffUser, Depends(auth.page_user)]
    FormUser = Annotated[StaffUser, Depends(auth.form_user)]

    def conversation(case: Case, timezone: str) -> tuple[list[dict[str, str]], str]:
        """The transcript, or none and why (Rasa may be down: the page still works)."""
        try:
            return [turn_json(t, timezone) for t in takeover().transcript(case)], ""
        except DomainError:
            return [], NO_CONVERSATION

    def page(
        request: Request,
        user: StaffUser,
        case_id: str,
        status: int = 200,
        error: str = "",
        typed: dict[str, str] | None = None,
    ) -> Response:
        """The case page; after a refusal with ``error`` and what the person had typed."""
        deps = get_deps()
        view = build_case_view(deps, case_id, user.username)  # NotFound: the console's 404 page
        turns, turns_error = conversation(console.get_case(deps, case_id), deps.operator_timezone)
        return render(
            request, "case.html", status, user=user, view=view, turns=turns,
            turns_error=turns_error, error=error, is_supervisor=user.is_supervisor,
            typed=typed or {},
            notice="" if error else notice_text(request.query_params.get("notice")),
        )  # fmt: skip

    def act(
        request: Request,
        user: StaffUser,
        case_id: str,
        change: Callable[[], str],
        typed: dict[str, str] | None = None,
    ) -> Response:
        """Do ``change`` (it returns the notice code); on a refusal, the page with the reason."""
        try:
            notice = change()
        except DomainError as error:
            if wants_json(request):
                return JSONResponse({"error": str(error)}, status_code=status_for(error))
            return page(request, user, case_id, status_for(error), str(error), typed)
        if wants_json(request):  # the page's script (a live reply): no page to reload
            return JSONResponse({"ok": True, "notice": notice_text(notice)})
        return RedirectResponse(case_url(case_id, notice), status_code=303)

    @router.get("/console/cases/{case_id}")
    def case_page(request: Request, case_id: str, user: PageUser) -> Response:
        return page(request, user, case_id)

    @router.get("/console/cases/{case_id}/transcript.json")
    def transcript(case_id: str, user: PageUser) -> JSONResponse:
        """What the page's script polls: the conversation, whether the bot is paused, and a
        fingerprint of the case (the page reloads when it changes, e.g. the customer verified)."""
        deps = get_deps()
        with deps.backoffice() as office:
            case = office.cases.get(case_id)
            if case is None:
                raise NotFound(f"no case {case_id}")
            record = console.proposal_of(office, case)
        turns, error = conversation(case, deps.operator_timezone)
        body: dict[str, Any] = {
            "turns": turns,
            "paused": has_live_chat(case) and case.claimed_by is not None,
            "state": state_of(case, record),
        }
        if error:
            body["error"] = error
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    @router.post("/console/cases/{case_id}/claim")
    def claim(request: Request, case_id: str, user: FormUser) -> Response:
        def change() -> str:
            takeover().claim(case_id, user.username)
            return "claimed"

        return act(request, user, case_id, change)

    @router.post("/console/cases/{case_id}/release")
    def release(request: Request, case_id: str, user: FormUser) -> Response:
        def change() -> str:
            takeover().release(case_id, user.username)
            return "released"

        return act(request, user, case_id, change)

    @router.post("/console/cases/{case_id}/assign")
    def assign(request: Request, case_id: str, user: FormUser, to: FormText = "") -> Response:
        def change() -> str:
            if to not in get_deps().policy.staff:
                raise InvalidInput("choose a person from the staff list to assign the case to")
            takeover().assign(case_id, user.username, to)  # an unheld chat's bot is paused
            return "assigned"

        return act(request, user, case_id, change)

    @router.post("/console/cases/{case_id}/verify")
    def verify(request: Request, case_id: str, user: FormUser) -> Response:
        def change() -> str:
            takeover().ask_for_verification(case_id, user.username)
            return "verify_asked"

        return act(request, user, case_id, change)

    @router.post("/console/cases/{case_id}/notes")
    def note(request: Request, case_id: str, user: FormUser, text: FormText = "") -> Response:
        def change() -> str:
            console.add_note(get_deps(), case_id, user.username, text)
            return "noted"

        return act(request, user, case_id, change, {"note": text})

    @router.post("/console/cases/{case_id}/messages")
    def message(request: Request, case_id: str, user: FormUser, text: FormText = "") -> Response:
        def change() -> str:
            takeover().reply(case_id, user.username, user.display_name, text)
            return "sent"

        return act(request, user, case_id, change, {"text": text})

    @router.post("/console/cases/{case_id}/decision")
    def decision(
        request: Request,
        case_id: str,
        user: FormUser,
        action: FormText = "",
        amount: FormText = "",
        days: FormText = "",
        reason: FormText = "",
        change_of: Annotated[str, Form(alias="change")] = "",
    ) -> Response:
        def change() -> str:
            if action == "reject":
                takeover().decide(
                    case_id, user.username, user.display_name, "reject", reason=reason
                )
                return "rejected"
            if action != "approve":
                raise InvalidInput("choose Approve or Reject")
            if change_of == "amount" and not amount.strip():
                raise InvalidInput("enter the changed amount in dollars, for example 180.00")
            if change_of == "days" and not days.strip():
                raise InvalidInput("enter the changed number of days, for example 30")
            takeover().decide(
                case_id, user.username, user.display_name, "approve",
                amount_cents=dollars_to_cents(amount) if amount.strip() else None,
                days=whole_days(days) if days.strip() else None,
            )  # fmt: skip
            return "approved"

        return act(
            request, user, case_id, change, {"amount": amount, "days": days, "reason": reason}
        )
