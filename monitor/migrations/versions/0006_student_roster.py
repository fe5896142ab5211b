"""the consent roster as keyed hashes, and managers' answers to student_privacy findings

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "roster_imports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("students", sa.Integer(), nullable=False),
        sa.Column("key_check", sa.String(64), nullable=False),
        sa.Column("longest", sa.Integer(), nullable=False),
    )
    op.create_table(
        "students",
        sa.Column("student_id", sa.String(64), primary_key=True),
        sa.Column("school", sa.String(200), nullable=False),
        sa.Column("consent", sa.String(16), nullable=False),
    )
    op.create_index("ix_students_school", "students", ["school"])
    op.create_table(
        "student_name_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "student_id",
            sa.String(64),
            sa.ForeignKey("students.student_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_student_name_keys_student_id", "student_name_keys", ["student_id"])
    op.create_table(
        "privacy_resolutions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("account_id", sa.String(80), nullable=False),
        sa.Column("post_id", sa.String(200), nullable=False),
        sa.Column("student_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
    )
    op.create_index(
        "ix_privacy_resolutions_account", "privacy_resolutions", ["account_id", "post_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_privacy_resolutions_account", table_name="privacy_resolutions")
    op.drop_table("privacy_resolutions")
    op.drop_index("ix_student_name_keys_student_id", table_name="student_name_keys")
    op.drop_table("student_name_keys")
    op.drop_index("ix_students_school", table_name="students")
    op.drop_table("students")
    op.drop_table("roster_imports")
