"""cycles say whether they checked the whole registry or only the accounts asked for

Revision ID: 0009
Revises: 0005
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Earlier cycles cannot be told apart: counted as whole-registry cycles, as they were.
    with op.batch_alter_table("cycles") as batch:
        batch.add_column(
            sa.Column("scope", sa.String(16), nullable=False, server_default="registry")
        )


def downgrade() -> None:
    with op.batch_alter_table("cycles") as batch:
        batch.drop_column("scope")
