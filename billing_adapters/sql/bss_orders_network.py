"""SqlBss's OrderSystem and NetworkStatus: the account's orders and incidents by ZIP code."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from billing_adapters.sql.bss_connection import BssConnection
from billing_adapters.sql.tables import BssIncident, BssIncidentZip, BssOrder
from domain.model import Incident, IncidentKind, Order, OrderStatus


class BssOrdersAndNetwork(BssConnection):
    """OrderSystem and NetworkStatus over the ``bss_orders`` and ``bss_incident*`` tables."""

    # OrderSystem

    def list_orders(self, account_id: str) -> list[Order]:
        with self._reading() as s:
            self._account_row(s, account_id)
            rows = s.scalars(
                select(BssOrder)
                .where(BssOrder.account_id == account_id)
                .order_by(BssOrder.order_id)
            ).all()
        return [
            Order(
                order_id=r.order_id,
                account_id=r.account_id,
                item=r.item,
                status=OrderStatus(r.status),
                carrier=r.carrier,
                tracking_number=r.tracking_number,
                shipped_at=r.shipped_at,
                expected_at=r.expected_at,
            )
            for r in rows
        ]

    # NetworkStatus

    def incidents_for_zip(self, zip_code: str, start: datetime, end: datetime) -> list[Incident]:
        with self._reading() as s:
            rows = s.scalars(
                select(BssIncident)
                .join(BssIncidentZip, BssIncidentZip.incident_id == BssIncident.incident_id)
                .where(
                    BssIncidentZip.zip_code == zip_code,
                    BssIncident.starts_at < end,
                    BssIncident.ends_at > start,
                )
                .order_by(BssIncident.starts_at)
            ).all()
            zips = s.execute(
                select(BssIncidentZip.incident_id, BssIncidentZip.zip_code)
                .where(BssIncidentZip.incident_id.in_([r.incident_id for r in rows]))
                .order_by(BssIncidentZip.zip_code)
            ).all()
        return [
            Incident(
                incident_id=r.incident_id,
                kind=IncidentKind(r.kind),
                starts_at=r.starts_at,
                ends_at=r.ends_at,
                zip_codes=tuple(z for i, z in zips if i == r.incident_id),
            )
            for r in rows
        ]
