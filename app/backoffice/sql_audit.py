"""Decisions and transitions over SQL, chained into one tamper-evident audit trail.

Each row gets the next global sequence number, the previous row's hash and its own hash, and the
head row moves on, all inside the caller's serialised back-office transaction: so the chain is
linear however many processes write at once (domain/audit.py says what the hashes cover).
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.backoffice.codec import from_row, to_columns
from app.backoffice.sessions import insert_once
from app.backoffice.tables import AuditHeadRow, DecisionRow, TransitionRow
from domain.audit import GENESIS, ChainEntry, ChainHead, link_hash
from domain.records import DecisionRecord, Transition

HEAD = "chain"
C = TypeVar("C", DecisionRecord, Transition)
# Which record each chained table holds (the content hashed is the record, as JSON).
CHAINED: dict[str, tuple[Any, type[BaseModel]]] = {
    "decisions": (DecisionRow, DecisionRecord),
    "transitions": (TransitionRow, Transition),
}


def content_of(record: BaseModel) -> dict[str, Any]:
    return record.model_dump(mode="json")


class SqlAuditChain:
    """Appends chained rows and reads the chain back (satisfies domain.ports.AuditTrail)."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def append(self, table: str, record: BaseModel) -> None:
        row_type, _ = CHAINED[table]
        head = self._s.get(AuditHeadRow, HEAD)
        seq, prev = (1, GENESIS) if head is None else (head.seq + 1, head.hash)
        digest = link_hash(seq, table, content_of(record), prev)
        insert_once(self._s, row_type(**to_columns(record), seq=seq, hash=digest, prev_hash=prev))
        if head is None:
            self._s.add(AuditHeadRow(name=HEAD, seq=seq, hash=digest))
        else:
            head.seq, head.hash = seq, digest
        self._s.flush()

    def entries(self, account_id: str | None = None) -> list[ChainEntry]:
        found: list[ChainEntry] = []
        for table, (row_type, record_type) in CHAINED.items():
            query = select(row_type)
            if account_id is not None:
                query = query.where(row_type.account_id == account_id)
            for row in self._s.scalars(query):
                found.append(
                    ChainEntry(
                        seq=row.seq,
                        table=table,
                        row_id=row.id,
                        account_id=row.account_id,
                        content=content_of(from_row(record_type, row)),
                        hash=row.hash,
                        prev_hash=row.prev_hash,
                    )
                )
        return sorted(found, key=lambda e: e.seq)

    def head(self) -> ChainHead | None:
        row = self._s.get(AuditHeadRow, HEAD)
        return None if row is None else ChainHead(seq=row.seq, hash=row.hash)


class _ChainedLog(Generic[C]):
    """An append-only table whose rows are links of the audit chain."""

    table: ClassVar[str]

    def __init__(self, session: Session, chain: SqlAuditChain) -> None:
        self._s = session
        self._chain = chain

    def add(self, record: C) -> None:
        self._chain.append(self.table, record)

    def _where(self, *conditions: Any) -> list[C]:
        row_type, record_type = CHAINED[self.table]
        rows = self._s.scalars(select(row_type).where(*conditions).order_by(row_type.seq))
        return [from_row(record_type, r) for r in rows]  # type: ignore[misc]


class SqlDecisions(_ChainedLog[DecisionRecord]):
    table = "decisions"

    def for_account(self, account_id: str) -> list[DecisionRecord]:
        return self._where(DecisionRow.account_id == account_id)


class SqlTransitions(_ChainedLog[Transition]):
    table = "transitions"

    def for_subject(self, subject: str) -> list[Transition]:
        return self._where(TransitionRow.subject == subject)
