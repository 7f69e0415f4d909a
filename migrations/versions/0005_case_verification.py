"""Cases say whether, when and how their customer was verified (an unverified case has no account).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 08:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(
            sa.Column("verified", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("verified_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("verified_by", sa.String(length=64), nullable=True))
    # Until now a case had an account only when the bot had verified the customer by PIN.
    op.execute(
        "UPDATE cases SET verified = true, verified_at = created_at, verified_by = 'bot:pin' "
        "WHERE account_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("verified_by")
        batch.drop_column("verified_at")
        batch.drop_column("verified")
