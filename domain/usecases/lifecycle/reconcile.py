"""Nothing stays ``applying``, no offer stays open past its expiry.

``reconcile`` claims every ``applying`` row older than the grace period (a lease on the row, taken
under the serialised back-office transaction, so with several web app replicas exactly one acts
on a row), posts it again under the same idempotency key and records the result. It also marks
offers past their expiry ``expired``.
"""

from __future__ import annotations

import logging
from typing import Any

from domain.records import Status
from domain.usecases.deps import Deps
from domain.usecases.lifecycle.apply import post_and_record
from domain.usecases.lifecycle.kinds import CREDITS, EXTENSIONS, Track
from domain.usecases.lifecycle.transitions import Step, move

log = logging.getLogger(__name__)

RECONCILER = "reconciler"
TRACKS: tuple[Track[Any], ...] = (CREDITS, EXTENSIONS)


def reconcile(deps: Deps) -> list[Step]:
    """One pass: expire stale offers, then finish the applying rows this caller claimed."""
    now = deps.clock.now()
    claimed: list[tuple[Track[Any], Any]] = []
    with deps.backoffice() as office:
        for track in TRACKS:
            records = track.records(office)
            for offer in records.offers_expired_by(now):
                move(
                    office, records, offer, Status.EXPIRED,
                    actor=RECONCILER, at=now, reason="nobody accepted the offer in time",
                )  # fmt: skip
            for row in records.applying_before(now - deps.apply_grace):
                if row.lease_until is not None and row.lease_until > now:
                    continue  # another reconciler holds it
                leased = row.model_copy(update={"lease_until": now + deps.reconcile_lease})
                records.update(leased)
                claimed.append((track, leased))
        office.commit()
    steps = []
    for track, row in claimed:
        log.info("reconciling %s %s (applying since %s)", track.noun, row.id, row.decided_at)
        steps.append(post_and_record(deps, track, row, RECONCILER))
    return steps
