"""The tamper-evident audit chain: decisions and transitions, one global hash chain.

Every entry's hash covers its canonical content, its sequence number and the previous entry's
hash, so editing a row, deleting one or swapping two breaks the chain at that row. A stored head
(the newest sequence number and hash) catches the deletion of the newest rows, which leaves an
otherwise valid, shorter chain. Pure: the back office stores the links, ``verify_chain`` checks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict

GENESIS = "0" * 64


class ChainEntry(BaseModel):
    """One link as stored: which row, what it says, and how it is chained."""

    model_config = ConfigDict(frozen=True)

    seq: int
    table: str  # "decisions" or "transitions"
    row_id: str
    account_id: str
    content: dict[str, Any]
    hash: str
    prev_hash: str


class ChainHead(BaseModel):
    model_config = ConfigDict(frozen=True)

    seq: int
    hash: str


class ChainBreak(BaseModel):
    """The first row at which the chain stops verifying, and why."""

    model_config = ConfigDict(frozen=True)

    seq: int
    table: str
    row_id: str
    problem: str


def canonical(content: dict[str, Any]) -> bytes:
    """One byte string per content: sorted keys, no spaces, ASCII (stable across databases)."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), default=str).encode()


def link_hash(seq: int, table: str, content: dict[str, Any], prev_hash: str) -> str:
    body = canonical({"seq": seq, "table": table, "content": content, "prev": prev_hash})
    return hashlib.sha256(body).hexdigest()


def verify_chain(entries: Iterable[ChainEntry], head: ChainHead | None) -> ChainBreak | None:
    """None when ``entries`` (in sequence order) form an unbroken chain ending at ``head``."""
    expected_seq, prev_hash = 1, GENESIS
    last: ChainEntry | None = None
    for entry in entries:
        problem = None
        if entry.seq != expected_seq:
            problem = f"sequence {entry.seq} where {expected_seq} was expected (a row is missing)"
        elif entry.prev_hash != prev_hash:
            problem = "previous hash does not match the row before it (rows removed or reordered)"
        elif link_hash(entry.seq, entry.table, entry.content, entry.prev_hash) != entry.hash:
            problem = "hash does not match the row's content (the row was edited)"
        if problem is not None:
            return ChainBreak(
                seq=entry.seq, table=entry.table, row_id=entry.row_id, problem=problem
            )
        expected_seq, prev_hash, last = entry.seq + 1, entry.hash, entry
    return _check_head(last, head)


def _check_head(last: ChainEntry | None, head: ChainHead | None) -> ChainBreak | None:
    last_seq = 0 if last is None else last.seq
    head_seq = 0 if head is None else head.seq
    if last_seq < head_seq:
        return ChainBreak(
            seq=last_seq + 1,
            table="(deleted)",
            row_id="(deleted)",
            problem=f"the chain ends at {last_seq} but its stored head is at {head_seq} "
            "(the newest rows were deleted)",
        )
    if last is not None and (head is None or (last.seq, last.hash) != (head.seq, head.hash)):
        return ChainBreak(
            seq=last.seq,
            table=last.table,
            row_id=last.row_id,
            problem="the stored chain head does not match the newest row (head altered or "
            "rows appended outside the back office)",
        )
    return None
