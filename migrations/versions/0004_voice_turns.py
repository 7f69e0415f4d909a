"""The phone line: each call turn's TwiML (a repeated request gets the same answer); ended calls.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 07:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "voice_turns",
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("turn", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("twiml", sa.Text(), nullable=True),
        sa.Column("prompt", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("call_sid", "turn", name=op.f("pk_voice_turns")),
    )
    op.create_table(
        "voice_call_ends",
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("call_sid", name=op.f("pk_voice_call_ends")),
    )


def downgrade() -> None:
    op.drop_table("voice_call_ends")
    op.drop_table("voice_turns")
