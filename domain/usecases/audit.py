"""Reading and checking the audit chain (decisions and transitions, hash-chained)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from domain.audit import ChainBreak, ChainEntry, verify_chain
from domain.usecases.deps import Deps


class AuditReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    rows: int
    head_seq: int | None
    broken: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def verify_audit(deps: Deps) -> AuditReport:
    """Check the whole chain against its stored head; the first broken row, if any."""
    with deps.backoffice() as office:
        entries = office.audit.entries()
        head = office.audit.head()
    return AuditReport(
        rows=len(entries),
        head_seq=None if head is None else head.seq,
        broken=verify_chain(entries, head),
    )


def account_audit(deps: Deps, account_id: str) -> list[ChainEntry]:
    """One account's decisions and transitions, in chain order."""
    with deps.backoffice() as office:
        return office.audit.entries(account_id)
