"""What every use case is given: the ports, the policy and the clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from domain.policy import Policy
from domain.ports import BackOfficeFactory, BillingSystem, Clock, NetworkStatus, OrderSystem


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

    def start_of_operator_day(self, now: datetime) -> datetime:
        """Midnight of ``now``'s calendar day in the operator's timezone, as an aware datetime."""
        local = now.astimezone(ZoneInfo(self.operator_timezone))
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        return midnight.astimezone(ZoneInfo("UTC"))

    def days_ago(self, now: datetime, days: int) -> datetime:
        return now - timedelta(days=days)
