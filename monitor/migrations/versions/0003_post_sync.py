"""per-post sync state (incremental comment reads)

Revision ID: 0003
Revises: 0009
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "post_sync",
        sa.Column("account_id", sa.String(length=80), nullable=False),
        sa.Column("post_id", sa.String(length=200), nullable=False),
        sa.Column("marker", sa.String(length=200), nullable=False),
        sa.Column("comments", sa.Integer(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "post_id"),
    )


def downgrade() -> None:
    op.drop_table("post_sync")
