"""What `make soak` checks besides the answers: credits per account, the day's budget, cases
for the journeys handed to a person, and memory over time."""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import psutil
from sqlalchemy import func, select

from app.backoffice.tables import AdjustmentRow, CaseRow
from app.db import make_engine
from billing_adapters.sql.tables import BssCredit


def credit_counts(database_url: str, accounts: list[str]) -> dict[str, tuple[int, int]]:
    """For each account: (credits in the BSS, applied credits in our ledger)."""
    engine = make_engine(database_url)
    counts = {account: (0, 0) for account in accounts}
    try:
        with engine.connect() as connection:
            bss = connection.execute(
                select(BssCredit.account_id, func.count())
                .where(BssCredit.account_id.in_(accounts))
                .group_by(BssCredit.account_id)
            ).all()
            ledger = connection.execute(
                select(AdjustmentRow.account_id, func.count())
                .where(AdjustmentRow.account_id.in_(accounts), AdjustmentRow.status == "applied")
                .group_by(AdjustmentRow.account_id)
            ).all()
    finally:
        engine.dispose()
    for account, count in bss:
        counts[account] = (int(count), counts[account][1])
    for account, count in ledger:
        counts[account] = (counts[account][0], int(count))
    return counts


def credited_cents(database_url: str, accounts: list[str]) -> int:
    """What the BSS holds in credits on ``accounts``, in cents (all of them the bot's)."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            total = connection.scalar(
                select(func.coalesce(func.sum(BssCredit.amount_cents), 0)).where(
                    BssCredit.account_id.in_(accounts)
                )
            )
    finally:
        engine.dispose()
    return int(total or 0)


def accounts_with_a_case(database_url: str, accounts: list[str]) -> set[str]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.scalars(
                select(CaseRow.account_id).where(CaseRow.account_id.in_(accounts)).distinct()
            ).all()
    finally:
        engine.dispose()
    return {row for row in rows if row is not None}


@dataclass(frozen=True)
class Budget:
    """The policy's daily budget of bot-applied credits, over the operator days a run spanned."""

    daily_cents: int
    days: int  # 2 when the run crossed the operator's midnight: the budget started anew

    @classmethod
    def spanning(cls, daily_cents: int, timezone: str, start: datetime, end: datetime) -> Budget:
        zone = ZoneInfo(timezone)
        return cls(daily_cents, len({start.astimezone(zone).date(), end.astimezone(zone).date()}))

    def problems(self, credited: int, handed_off: int, smallest_credit: int) -> list[str]:
        """Over the budget, or a journey handed to a person while the budget had room for it."""
        found = []
        if credited > self.daily_cents * self.days:
            found.append(f"{credited} cents credited, over {self.days} x {self.daily_cents}")
        if handed_off and self.days == 1 and credited + smallest_credit <= self.daily_cents:
            found.append(f"{handed_off} handed off with {credited} of {self.daily_cents} spent")
        return found


def tree_rss_mb(pid: int) -> float:
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
        return float(sum(p.memory_info().rss for p in processes)) / 2**20
    except psutil.Error:
        return 0.0


class MemoryWatch:
    """Samples each process's RSS (with its children) every few seconds.

    Growth compares the median of the samples just after the warm-up with the median of the
    last ones, so one garbage-collection peak decides neither.
    """

    def __init__(self, pids: dict[str, int], warm_up_s: float, every_s: float = 5.0) -> None:
        self.pids = pids
        self.warm_up_s = warm_up_s
        self.every_s = every_s
        self.samples: dict[str, list[tuple[float, float]]] = {name: [] for name in pids}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory-watch", daemon=True)
        self._started = 0.0

    def _run(self) -> None:
        while not self._stop.is_set():
            at = time.monotonic() - self._started
            for name, pid in self.pids.items():
                self.samples[name].append((at, tree_rss_mb(pid)))
            self._stop.wait(self.every_s)

    def __enter__(self) -> MemoryWatch:
        self._started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _warm_and_end(self, name: str) -> tuple[float, float]:
        warm = [mb for at, mb in self.samples[name] if at >= self.warm_up_s]
        if len(warm) < 4:
            return 0.0, 0.0
        window = max(2, len(warm) // 10)
        return statistics.median(warm[:window]), statistics.median(warm[-window:])

    def growth(self) -> dict[str, float]:
        """Per process: (end - warm) / warm; processes without enough samples are left out."""
        result = {}
        for name in self.pids:
            warm, end = self._warm_and_end(name)
            if warm > 0:
                result[name] = (end - warm) / warm
        return result

    def summary(self) -> dict[str, Any]:
        return {
            name: {"after_warm_up": round(warm, 1), "end": round(end, 1)}
            for name in self.pids
            for warm, end in [self._warm_and_end(name)]
        }
