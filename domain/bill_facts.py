"""The facts a bill explanation may use: what the model sees and what the verifier allows.

Built from the bills, incidents and back-office records by the use case; pure from here on.
Amounts are shown to the model already formatted ($12.34), never as raw cents.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from domain.grounding import CREDIT, EXTENSION, WAIVER, GroundingFacts
from domain.model import Bill, Incident
from domain.money import format_cents
from domain.records import Adjustment, AdjustmentKind, PaymentExtension, Status

DONE = (Status.APPLIED, Status.APPLYING)


class BillFacts(BaseModel):
    model_config = ConfigDict(frozen=True)

    first_name: str
    currency: str
    current: Bill
    previous: Bill | None
    balance_cents: int
    incidents: tuple[Incident, ...] = ()
    adjustments: tuple[Adjustment, ...] = ()  # on the current bill
    extensions: tuple[PaymentExtension, ...] = ()  # on the current bill

    def _money(self, cents: int) -> str:
        return format_cents(cents, self.currency)

    def _bill(self, bill: Bill) -> dict[str, Any]:
        return {
            "bill_id": bill.bill_id,
            "period_start": bill.period_start.date().isoformat(),
            "period_end": bill.period_end.date().isoformat(),
            "issued": bill.issued_at.date().isoformat(),
            "due_date": bill.due_date.isoformat(),
            "total": self._money(bill.total_cents),
            "lines": [
                {
                    "description": line.description,  # free text from the BSS: data only
                    "category": line.category.value,
                    "amount": self._money(line.amount_cents),
                    **(
                        {
                            "quantity": line.quantity,
                            "unit": line.unit_label or "unit",
                            "unit_price": self._money(line.unit_cents),
                        }
                        if line.quantity and line.unit_cents is not None
                        else {}
                    ),
                }
                for line in bill.lines
            ],
        }

    def done_adjustments(self) -> list[Adjustment]:
        return [a for a in self.adjustments if a.status in DONE]

    def done_extensions(self) -> list[PaymentExtension]:
        return [e for e in self.extensions if e.status in DONE]

    def policy_outcome(self) -> list[str]:
        done = [
            f"{a.description}: {self._money(a.amount_cents)} applied"
            for a in self.done_adjustments()
        ]
        done += [
            f"payment extension to {e.new_due_date.isoformat()} applied"
            for e in self.done_extensions()
        ]
        return done or ["nothing has been credited, waived or extended on this bill"]

    def for_prompt(self) -> dict[str, Any]:
        change = self.current.total_cents - (self.previous.total_cents if self.previous else 0)
        return {
            "customer_first_name": self.first_name,
            "current_bill": self._bill(self.current),
            "previous_bill": self._bill(self.previous) if self.previous else None,
            "change_from_previous": self._money(change) if self.previous else None,
            "account_balance": self._money(self.balance_cents),
            "network_incidents_in_period": [
                {
                    "incident_id": i.incident_id,
                    "kind": i.kind.value,
                    "from": i.starts_at.isoformat(timespec="minutes"),
                    "to": i.ends_at.isoformat(timespec="minutes"),
                    "hours": _hours(i),
                }
                for i in self.incidents
            ],
            "policy_outcome": self.policy_outcome(),
        }

    def allowed_promises(self) -> frozenset[str]:
        kinds: set[str] = set()
        for adjustment in self.done_adjustments():
            kinds.add(CREDIT)
            if adjustment.kind is AdjustmentKind.LATE_FEE_WAIVER:
                kinds.add(WAIVER)
        if self.done_extensions():
            kinds.add(EXTENSION)
        return frozenset(kinds)

    def grounding(self, identifiers: tuple[str, ...] = ()) -> GroundingFacts:
        bills = [self.current] + ([self.previous] if self.previous else [])
        amounts = {b.total_cents for b in bills} | {self.balance_cents}
        counts = {len(b.lines) for b in bills} | {len(bills)}
        dates: set[date] = set()
        units = []
        for bill in bills:
            per_description: Counter[str] = Counter()
            copies: Counter[str] = Counter()
            for line in bill.lines:
                amounts.add(line.amount_cents)
                per_description[line.description] += line.amount_cents
                copies[line.description] += 1
                if line.quantity and line.unit_cents is not None:
                    units.append((line.quantity, line.unit_cents))
                    amounts.add(line.unit_cents)
            amounts |= set(per_description.values())
            counts |= set(copies.values())
            dates |= {_d(bill.period_start), _d(bill.period_end), _d(bill.issued_at), bill.due_date}
            counts.add((bill.period_end - bill.period_start).days)
        pairs: list[tuple[int, int]] = []
        if self.previous:
            amounts.add(self.current.total_cents - self.previous.total_cents)
            pairs.append((self.current.total_cents, self.previous.total_cents))
            before = _per_description(self.previous)
            pairs += [
                (v, before[d]) for d, v in _per_description(self.current).items() if d in before
            ]
        for incident in self.incidents:
            dates |= {_d(incident.starts_at), _d(incident.ends_at)}
            hours = _hours(incident)
            counts |= {hours, hours // 24, (incident.ends_at - incident.starts_at).days}
        for adjustment in self.done_adjustments():
            amounts.add(adjustment.amount_cents)
        for extension in self.done_extensions():
            counts.add(extension.days)
            dates.add(extension.new_due_date)
        return GroundingFacts(
            amounts_cents=frozenset(abs(a) for a in amounts),
            unit_prices=tuple(units),
            counts=frozenset(counts),
            dates=frozenset(dates),
            ratio_pairs=tuple(pairs),
            identifiers=identifiers,
            allowed_promises=self.allowed_promises(),
        )

    def identifiers(self) -> tuple[str, ...]:
        ids = [self.current.bill_id] + ([self.previous.bill_id] if self.previous else [])
        return tuple(ids + [i.incident_id for i in self.incidents])

    def version_key(self, channel: str) -> str:
        """Changes whenever the bill's content, its applied adjustments or the balance change."""
        body = {
            "channel": channel,
            "current": self.current.model_dump(mode="json"),
            "previous": self.previous.bill_id if self.previous else None,
            "balance": self.balance_cents,
            "adjustments": sorted((a.id, a.status.value, a.amount_cents) for a in self.adjustments),
            "extensions": sorted((e.id, e.status.value, e.days) for e in self.extensions),
            "incidents": sorted(i.incident_id for i in self.incidents),
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _d(moment: datetime) -> date:
    return moment.date()


def _hours(incident: Incident) -> int:
    return int((incident.ends_at - incident.starts_at).total_seconds() // 3600)


def _per_description(bill: Bill) -> Counter[str]:
    totals: Counter[str] = Counter()
    for line in bill.lines:
        totals[line.description] += line.amount_cents
    return totals
