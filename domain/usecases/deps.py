"""What every use case is given: the ports, the policy and the clock."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from domain.policy import Policy
from domain.ports import (
    BackOffice,
    BackOfficeFactory,
    BillingSystem,
    Clock,
    NetworkStatus,
    OrderSystem,
)


@dataclass(frozen=True)
class Deps:
    billing: BillingSystem
    orders: OrderSystem
    network: NetworkStatus
    backoffice: BackOfficeFactory
    clock: Clock
    policy: Policy
    operator_timezone: str = "UTC"
    minutes_per_case: int = 4
    offer_ttl: timedelta = timedelta(minutes=15)  # how long a stated offer can be accepted
    apply_grace: timedelta = timedelta(seconds=30)  # an ``applying`` row older is the reconciler's
    reconcile_lease: timedelta = timedelta(seconds=60)  # one reconciler's claim on such a row
    # Called at named points of the apply path; tests use it to crash a process between the
    # record and the posting. The default does nothing.
    checkpoint: Callable[[str], None] = lambda _name: None
    # Back-office transactions that only read (on SQLite they neither wait for nor hold up the
    # writers); None: the same as ``backoffice``. Never write through it.
    backoffice_reads: BackOfficeFactory | None = None

    def reading(self) -> AbstractContextManager[BackOffice]:
        """A back-office transaction that only reads (``with deps.reading() as office:``)."""
        return (self.backoffice_reads or self.backoffice)()

    def start_of_operator_day(self, now: datetime) -> datetime:
        """Midnight of ``now``'s calendar day in the operator's timezone, as an aware datetime."""
        local = now.astimezone(ZoneInfo(self.operator_timezone))
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        return midnight.astimezone(ZoneInfo("UTC"))

    def days_ago(self, now: datetime, days: int) -> datetime:
        return now - timedelta(days=days)
