"""The queue as rows, and its live feed: server-sent events whenever the queue changes.

Websockets are off in the web app (uvicorn ``--ws none``), so the push is plain HTTP: one
``text/event-stream`` per open queue page. Every stream polls a shared snapshot (taken at most
every ``POLL_S`` whatever the number of pages open, since each back-office read on SQLite takes
the writers' lock for a moment) and sends it only when it changed.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timezone
from typing import Any

from fastapi.concurrency import run_in_threadpool

from app.web.console.case_words import channel_label
from domain.errors import DomainError
from domain.money import format_cents
from domain.records import Case
from domain.usecases import console
from domain.usecases.deps import Deps

POLL_S = 0.5
HEARTBEAT_S = 15.0
# A stream ends after this long and the browser reconnects by itself (``retry``): the reconnect
# goes through the sign-in check again, so an expired session stops receiving the queue.
STREAM_LIFETIME_S = 300.0
RETRY_MS = 2000
PRIORITY_WORDS = {console.HIGH: "High", console.NORMAL: "Normal"}
NO_AMOUNT = "—"


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def sla_state(waited_s: float, sla_minutes: float) -> str:
    """``ok`` under half the target wait, ``warn`` up to it, ``late`` past it."""
    target = sla_minutes * 60
    if waited_s > target:
        return "late"
    return "warn" if waited_s >= target / 2 else "ok"


SLA_WORDS = {"ok": "", "warn": " — due soon", "late": " — late"}


def wait_text(waited_s: float, sla_minutes: float) -> str:
    """``m:ss`` plus words when it is nearly or already late (never colour alone)."""
    whole = max(0, int(waited_s))
    minutes, seconds = divmod(whole, 60)
    return f"{minutes}:{seconds:02d}{SLA_WORDS[sla_state(whole, sla_minutes)]}"


def waited_seconds(row: dict[str, Any], now: datetime) -> float:
    """How long the case waited for a person: until it was claimed, or until now."""
    since = datetime.fromisoformat(row["since"].replace("Z", "+00:00"))
    until = (
        now if row["until"] is None else datetime.fromisoformat(row["until"].replace("Z", "+00:00"))
    )
    return (until - since).total_seconds()


class CustomerNames:
    """Account id -> name, remembered (names do not change while a case waits)."""

    def __init__(self, deps: Callable[[], Deps], most: int = 2000) -> None:
        self._deps, self._most = deps, most
        self._names: dict[str, str] = {}

    def of(self, account_id: str) -> str:
        if account_id not in self._names:
            try:
                name = self._deps().billing.get_account(account_id).name
            except DomainError:
                return ""  # shown without the name this time; asked again next time
            if len(self._names) >= self._most:
                self._names.clear()
            self._names[account_id] = name
        return self._names[account_id]


def queue_row(case: Case, names: CustomerNames) -> dict[str, Any]:
    """One queue row as the page renders it and the feed sends it (texts, never markup)."""
    if case.account_id is None:
        customer = "Not verified"
    else:
        customer = f"{case.account_id} {names.of(case.account_id)}".strip()
    proposed = case.proposed_amount_cents
    return {
        "id": case.id,
        "reference": case.reference,
        "priority": PRIORITY_WORDS[console.priority_of(case)],
        "customer": customer,
        "channel": channel_label(case.channel),
        "reason": case.reason,
        "proposed": NO_AMOUNT if proposed is None else format_cents(proposed),
        "since": iso(case.created_at),
        "until": iso(case.claimed_at),
        "claimed_by": case.claimed_by or "",
    }


def queue_rows(deps: Deps, names: CustomerNames) -> list[dict[str, Any]]:
    """Open and claimed cases in the console's order. BSS reads after the transaction."""
    with deps.backoffice() as office:
        cases = console.queue_order(office.cases.listed())
    return [queue_row(case, names) for case in cases]


class QueueFeed:
    """The queue snapshot shared by every open page, refreshed at most every ``POLL_S``."""

    def __init__(
        self, get_deps: Callable[[], Deps], sla_minutes: float, fresh_s: float = POLL_S * 0.8
    ) -> None:
        self._deps, self._fresh_s = get_deps, fresh_s
        self._names = CustomerNames(get_deps)
        self.sla_minutes = sla_minutes
        self._lock = threading.Lock()
        self._taken_at = float("-inf")
        self._snapshot: dict[str, Any] = {}

    def rows(self) -> list[dict[str, Any]]:
        """Fresh rows (the queue page itself)."""
        return queue_rows(self._deps(), self._names)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            if time.monotonic() - self._taken_at >= self._fresh_s:
                self._snapshot = {"cases": self.rows(), "sla_minutes": self.sla_minutes}
                self._taken_at = time.monotonic()
            return self._snapshot


def sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


async def queue_events(
    feed: QueueFeed,
    is_disconnected: Callable[[], Awaitable[bool]],
    *,
    poll_s: float = POLL_S,
    heartbeat_s: float = HEARTBEAT_S,
    lifetime_s: float = STREAM_LIFETIME_S,
    clock: Callable[[], float] = time.monotonic,
    now: Callable[[], str | None] = lambda: iso(datetime.now(timezone.utc)),
) -> AsyncIterator[str]:
    """``event: queue`` at once and whenever the queue changes; a comment now and then so
    proxies keep the connection; ends when the client goes away or the lifetime is over.
    Each event carries the server's ``now``, so the page's wait timers ignore its own clock."""
    yield f"retry: {RETRY_MS}\n\n"
    started = last_sent_at = clock()
    sent: dict[str, Any] | None = None
    while not await is_disconnected():
        snapshot: dict[str, Any] | None
        try:
            snapshot = await run_in_threadpool(feed.snapshot)
        except DomainError as error:
            yield f": queue unavailable ({type(error).__name__})\n\n"
            snapshot = sent
        if snapshot is not None and snapshot != sent:
            sent = snapshot
            yield sse("queue", {**snapshot, "now": now()})
            last_sent_at = clock()
        elif clock() - last_sent_at >= heartbeat_s:
            yield ": keep-alive\n\n"
            last_sent_at = clock()
        if clock() - started >= lifetime_s:
            return
        await asyncio.sleep(poll_s)
