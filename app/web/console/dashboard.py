"""The supervisor's pages: the day's figures (``/console/dashboard``), the audit view
(``/console/audit``) and the kill switch (``POST /console/kill-switch``). Supervisors only.

Conversations come from Rasa's SQL event broker (app/web/console/rasa_events.py), everything else
from the back office (app/backoffice/console_reads.py); app/web/console/metrics.py computes the
figures. Charts are SVG drawn here, so the page reads the same with JavaScript off.
"""

# No ``from __future__ import annotations`` here: FastAPI resolves string annotations in the
# module's globals only, and the routes' dependencies live in build_dashboard_router's closure.

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup
from sqlalchemy import Engine

from app.backoffice import console_reads
from app.settings import Settings
from app.web.console import metrics
from app.web.console.auth import ConsoleAuth, StaffUser
from app.web.console.metrics import DayFigures, duration, percent
from app.web.console.rasa_events import fallback_threshold, read_user_turns
from app.web.console.svg_charts import Series, bar_chart, line_chart
from app.web.console.templating import render
from domain.errors import InvalidInput
from domain.money import format_cents
from domain.records import DecisionRecord, Outcome
from domain.usecases.audit import verify_audit
from domain.usecases.deps import Deps

PER_PAGE = 50
LONGEST_REASON = 500

# What the figures table shows, in order: a label and how to write one day's value.
FIGURES: tuple[tuple[str, Callable[[DayFigures], str]], ...] = (
    ("Conversations", lambda d: str(d.conversations)),
    ("Verified", lambda d: str(d.verified)),
    ("Resolved by the bot", lambda d: str(d.resolved_by_bot)),
    ("Handed off", lambda d: str(d.handed_off)),
    ("Containment", lambda d: percent(d.containment)),
    (
        "Bot credits / daily budget",
        lambda d: f"{format_cents(d.bot_credits_cents)} / {format_cents(d.budget_cents)}",
    ),
    ("Approvals by people", lambda d: str(d.approvals)),
    ("Rejections by people", lambda d: str(d.rejections)),
    ("Override rate", lambda d: percent(d.override_rate)),
    ("Median wait to claim", lambda d: duration(d.median_claim_wait)),
    ("Median wait to decision", lambda d: duration(d.median_decide_wait)),
    (
        "Drift (turns below threshold)",
        lambda d: f"{percent(d.drift)} ({d.turns_below_threshold} of {d.user_turns})",
    ),
)


@dataclass(frozen=True)
class AuditLine:
    seq: str
    at: str
    actor: str
    account_id: str
    subject: str
    request: str
    outcome: str
    override: bool
    rules: str


def backoffice_engine(deps: Deps) -> Engine:
    """The SQL back office's engine (the dashboard's reports are SQL over many rows)."""
    engine = getattr(deps.backoffice, "engine", None)
    if not isinstance(engine, Engine):
        raise TypeError("the supervisor dashboard needs the SQL back office")
    return engine


def day_name(day: date) -> str:
    return day.strftime("%a %d %b")


def week_charts(week: list[DayFigures], threshold: float) -> list[Markup]:
    days = [day_name(d.day) for d in week]
    span = f"{days[0]} to {days[-1]}"

    def counts(name: str, values: list[int]) -> Series:
        return Series(name, [float(v) for v in values], [str(v) for v in values])

    def shares(name: str, values: list[float | None]) -> Series:
        return Series(name, values, [percent(v) for v in values])

    budget = week[-1].budget_cents
    return [
        bar_chart(
            "chart-conversations", "Conversations per day",
            f"Conversations, those resolved by the bot and those handed off, {span}",
            days,
            [
                counts("conversations", [d.conversations for d in week]),
                counts("resolved by the bot", [d.resolved_by_bot for d in week]),
                counts("handed off", [d.handed_off for d in week]),
            ],
        ),
        line_chart(
            "chart-containment", "Containment per day",
            f"Share of conversations without a handoff, {span}",
            days, [shares("containment", [d.containment for d in week])],
        ),
        bar_chart(
            "chart-credits", "Bot credits against the daily budget",
            f"Credits the bot applied per day, against the daily budget of "
            f"{format_cents(budget)}, {span}",
            days,
            [Series("bot credits", [d.bot_credits_cents / 100 for d in week],
                    [format_cents(d.bot_credits_cents) for d in week])],
            limit=budget / 100, limit_label=f"daily budget {format_cents(budget)}",
        ),
        line_chart(
            "chart-drift", "Drift: user turns below the NLU fallback threshold",
            f"Share of the customers' messages with an NLU confidence below {threshold}, {span}",
            days, [shares("drift", [d.drift for d in week])],
        ),
    ]  # fmt: skip


def _local_date(text: str, problems: list[str], name: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        problems.append(f"{name}: not a date (YYYY-MM-DD): {text.strip()[:20]}")
        return None


def audit_line(record: DecisionRecord, seq: int, zone: ZoneInfo) -> AuditLine:
    asked = record.request
    if isinstance(asked.get("amount_cents"), int):
        request = format_cents(asked["amount_cents"])
    elif isinstance(asked.get("days"), int):
        request = f"{asked['days']} days"
    else:
        request = ""
    return AuditLine(
        seq=str(seq),
        at=record.at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
        actor=record.actor,
        account_id=record.account_id,
        subject=record.subject,
        request=request,
        outcome=record.outcome.value,
        override=record.override,
        rules=", ".join(record.rules_fired),
    )


def build_dashboard_router(
    get_deps: Callable[[], Deps], auth: ConsoleAuth, settings: Settings
) -> APIRouter:
    zone = ZoneInfo(settings.operator_timezone)
    threshold = fallback_threshold()
    router = APIRouter()
    Supervisor = Annotated[StaffUser, Depends(auth.supervisor_page)]
    SupervisorForm = Annotated[StaffUser, Depends(auth.supervisor_form)]

    def local(moment: datetime) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    @router.get("/console/dashboard", response_class=HTMLResponse)
    def dashboard(
        request: Request, user: Annotated[StaffUser, Depends(auth.supervisor_page)]
    ) -> HTMLResponse:
        deps = get_deps()
        engine = backoffice_engine(deps)
        now = deps.clock.now()
        days = metrics.last_days(metrics.local_day(now, zone))
        since, until = metrics.day_bounds(days[0], zone)[0], metrics.day_bounds(days[-1], zone)[1]
        turns = read_user_turns(settings.rasa_events_db, since, until)
        rows = replace(console_reads.dashboard_rows(engine, since, until), turns=turns)
        week = metrics.week_figures(
            rows, days[-1], zone, threshold=threshold, budget_cents=deps.policy.daily_budget_cents
        )
        actions = console_reads.operator_actions(engine, limit=1)
        return render(
            request, "dashboard.html", user=user, csrf_token=user.csrf_token,
            today=[(label, show(week[-1])) for label, show in FIGURES],
            table_days=[day_name(d.day) for d in week],
            table=[(label, [show(d) for d in week]) for label, show in FIGURES],
            charts=week_charts(week, threshold),
            no_conversations=not turns,
            kill_switch=console_reads.kill_switch_on(engine),
            last_switch=actions[0] if actions else None,
            local=local, timezone=settings.operator_timezone,
            budget_left=format_cents(max(week[-1].budget_cents - week[-1].bot_credits_cents, 0)),
            generated_at=local(now),
        )  # fmt: skip

    @router.get("/console/audit", response_class=HTMLResponse)
    def audit(
        request: Request,
        user: Supervisor,
        actor: str = "",
        account: str = "",
        outcome: str = "",
        override: str = "",
        since: Annotated[str, Query(alias="from")] = "",
        until: Annotated[str, Query(alias="to")] = "",
        page: str = "1",
    ) -> HTMLResponse:
        deps = get_deps()
        engine = backoffice_engine(deps)
        problems: list[str] = []
        start = _local_date(since, problems, "from")
        end = _local_date(until, problems, "to")
        if outcome and outcome not in {o.value for o in Outcome}:
            problems.append(f"outcome: one of {', '.join(o.value for o in Outcome)}")
            outcome = ""
        number = int(page) if page.isdigit() and int(page) > 0 else 1
        wanted = console_reads.AuditFilter(
            actor=actor.strip() or None,
            account_id=account.strip() or None,
            outcome=outcome or None,
            override_only=override == "1",
            since=None if start is None else metrics.day_bounds(start, zone)[0],
            until=None if end is None else metrics.day_bounds(end, zone)[1],
        )
        found = console_reads.decision_page(engine, wanted, number, PER_PAGE)
        pages = max((found.total + PER_PAGE - 1) // PER_PAGE, 1)
        kept = {
            "actor": wanted.actor or "", "account": wanted.account_id or "",
            "outcome": wanted.outcome or "", "override": "1" if wanted.override_only else "",
            "from": "" if start is None else start.isoformat(),
            "to": "" if end is None else end.isoformat(),
        }  # fmt: skip
        query = {k: v for k, v in kept.items() if v}

        def page_link(n: int) -> str:
            return "/console/audit?" + urlencode({**query, "page": str(n)})

        return render(
            request, "audit.html", user=user, csrf_token=user.csrf_token,
            lines=[audit_line(d, s, zone) for d, s in found.decisions],
            total=found.total, page=number, pages=pages, filters=kept, problems=problems,
            actors=console_reads.decision_actors(engine), outcomes=[o.value for o in Outcome],
            previous_link=page_link(number - 1) if number > 1 else None,
            next_link=page_link(number + 1) if number < pages else None,
            chain=verify_audit(deps), actions=console_reads.operator_actions(engine),
            local=local, timezone=settings.operator_timezone,
        )  # fmt: skip

    @router.post("/console/kill-switch")
    def kill_switch(
        user: SupervisorForm,
        state: Annotated[str, Form()],
        reason: Annotated[str, Form()] = "",
    ) -> RedirectResponse:
        if state not in ("on", "off"):
            raise InvalidInput("state must be on or off")
        deps = get_deps()
        detail = " ".join(reason.split())[:LONGEST_REASON] or "no reason given"
        console_reads.set_kill_switch(
            backoffice_engine(deps),
            on=state == "on",
            actor=f"{user.role}:{user.username}",
            detail=detail,
            at=deps.clock.now(),
        )
        return RedirectResponse("/console/dashboard#kill-switch", status_code=303)

    return router
