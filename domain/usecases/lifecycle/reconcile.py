"""Nothing stays ``applying``, no offer stays open past its expiry.

``reconcile`` claims every ``applying`` row older than the grace period (a lease on the row, taken
under the serialised back-office transaction, so with several web app replicas exactly one acts
on a row), posts it again under the same idempotency key and records the result. It also marks
offers past their expiry ``expired``. A row this pass could not finish (the BSS still does not
answer, or something failed) loses its lease at once, so the next pass tries it again.
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
        try:
            steps.append(post_and_record(deps, track, row, RECONCILER))
        except Exception:  # one row's failure must not keep the others waiting
            log.exception("reconciling %s %s failed; the next pass retries", track.noun, row.id)
        _release(deps, track, row)  # not finished (no answer, or an error): next pass retries
    return steps


def _release(deps: Deps, track: Track[Any], row: Any) -> None:
    """Drop this pass's lease on a row still ``applying``, so the next pass takes it again."""
    with deps.backoffice() as office:
        records = track.records(office)
        current = records.get(row.id)
        if current is not None and current.status is Status.APPLYING and current.lease_until:
            records.update(current.model_copy(update={"lease_until": None}))
            office.commit()
