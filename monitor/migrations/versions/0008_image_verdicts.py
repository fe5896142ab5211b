"""image verdicts: analyse a banner or picture only when it changed

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "image_verdicts",
        sa.Column("url_key", sa.String(64), primary_key=True),
        sa.Column("detector", sa.String(64), nullable=False),
        sa.Column("seen", sa.Boolean(), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("etag", sa.String(200), nullable=False),
        sa.Column("last_modified", sa.String(64), nullable=False),
        sa.Column("analysed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_image_verdicts_content_sha256", "image_verdicts", ["content_sha256"])


def downgrade() -> None:
    op.drop_index("ix_image_verdicts_content_sha256", table_name="image_verdicts")
    op.drop_table("image_verdicts")
