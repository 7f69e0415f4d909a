"""One adjustment lifecycle and a tamper-evident audit: offers, transitions, the hash chain.

Adds to adjustments and payment_extensions the facts an offer was decided on, its expiry and the
reconciler's lease; to decisions the override flag and their place in the chain; the append-only
transitions table; and the chain head. Existing decisions are chained in (at, id) order.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 21:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timezone

import sqlalchemy as sa
from alembic import op

from domain.audit import GENESIS, link_hash

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY_TABLES = ("adjustments", "payment_extensions")
DECISION_FIELDS = (
    "id", "at", "actor", "account_id", "subject", "request", "facts",
    "policy_version", "rules_fired", "outcome",
)  # fmt: skip


def upgrade() -> None:
    for table in MONEY_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("facts", sa.JSON(), nullable=False, server_default="{}"))
            batch.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))
            batch.add_column(sa.Column("lease_until", sa.DateTime(), nullable=True))
        with op.batch_alter_table(table) as batch:
            batch.alter_column("facts", server_default=None)
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(
            sa.Column("override", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.create_table(
        "transitions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=True),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transitions")),
        sa.UniqueConstraint("seq", name=op.f("uq_transitions_seq")),
    )
    op.create_index(op.f("ix_transitions_account_id"), "transitions", ["account_id"])
    op.create_index(op.f("ix_transitions_subject"), "transitions", ["subject"])
    op.create_table(
        "audit_head",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_audit_head")),
    )
    _chain_existing_decisions()
    with op.batch_alter_table("decisions") as batch:
        batch.alter_column("override", server_default=None)
        batch.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
        batch.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint(op.f("uq_decisions_seq"), ["seq"])


def _chain_existing_decisions() -> None:
    """Give decisions recorded before the chain existed their links, oldest first."""
    from domain.records import DecisionRecord  # the content hashed is the record, as JSON

    bind = op.get_bind()
    typed = {
        "at": sa.DateTime(),
        "request": sa.JSON(),
        "facts": sa.JSON(),
        "rules_fired": sa.JSON(),
    }
    decisions = sa.table(
        "decisions",
        *(
            sa.column(name, typed.get(name))
            for name in (*DECISION_FIELDS, "seq", "hash", "prev_hash")
        ),
    )
    rows = bind.execute(
        sa.select(*(decisions.c[name] for name in DECISION_FIELDS)).order_by(
            decisions.c.at, decisions.c.id
        )
    ).mappings()
    seq, prev = 0, GENESIS
    for row in list(rows):
        values = dict(row)
        values["at"] = _aware(values["at"])
        content = DecisionRecord.model_validate({**values, "override": False}).model_dump(
            mode="json"
        )
        seq += 1
        digest = link_hash(seq, "decisions", content, prev)
        bind.execute(
            decisions.update()
            .where(decisions.c.id == row["id"])
            .values(seq=seq, hash=digest, prev_hash=prev)
        )
        prev = digest
    if seq:
        head = sa.table("audit_head", sa.column("name"), sa.column("seq"), sa.column("hash"))
        bind.execute(head.insert().values(name="chain", seq=seq, hash=prev))


def _aware(value: object) -> object:
    from datetime import datetime

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def downgrade() -> None:
    op.drop_table("audit_head")
    op.drop_index(op.f("ix_transitions_subject"), table_name="transitions")
    op.drop_index(op.f("ix_transitions_account_id"), table_name="transitions")
    op.drop_table("transitions")
    with op.batch_alter_table("decisions") as batch:
        batch.drop_constraint(op.f("uq_decisions_seq"), type_="unique")
        for column in ("prev_hash", "hash", "seq", "override"):
            batch.drop_column(column)
    for table in MONEY_TABLES:
        with op.batch_alter_table(table) as batch:
            for column in ("lease_until", "expires_at", "facts"):
                batch.drop_column(column)
