"""cycles say whether they were complete (and why not); leases count their takeovers

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Cycles recorded before this revision were only ever stored as finished: "complete".
    with op.batch_alter_table("cycles") as batch:
        batch.add_column(
            sa.Column("status", sa.String(16), nullable=False, server_default="complete")
        )
        batch.add_column(sa.Column("reason", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("leases") as batch:
        batch.add_column(sa.Column("generation", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("leases") as batch:
        batch.drop_column("generation")
    with op.batch_alter_table("cycles") as batch:
        batch.drop_column("reason")
        batch.drop_column("status")
