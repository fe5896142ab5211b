"""district-wide findings stored as such: lapses carry scope, platform and subject

(h-scope) Until now the district checks (registered, connector_health) kept their
findings on pseudo-accounts: "credential-<platform>" and "unregistered-<platform>-<page>".
This moves those rows to what they are about: a lapse with scope "district", no account,
its platform and subject (the platform for a credential, the page id for an unregistered
page), and the current verdicts to `district_states`. The per-account stand-in verdicts
those checks used to store on real accounts (always unknown) are dropped.

Revision ID: 0017
Revises: 0003
Create Date: 2026-11-30
"""

import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("status IN ('open', 'muted')")
CREDENTIAL, UNREGISTERED = "credential-", "unregistered-"

lapses = sa.table(
    "lapses",
    sa.column("id", sa.Integer),
    sa.column("account_id", sa.String),
    sa.column("check_id", sa.String),
    sa.column("evidence", sa.JSON),
    sa.column("scope", sa.String),
    sa.column("platform", sa.String),
    sa.column("subject", sa.String),
)
events = sa.table(
    "lapse_events", sa.column("lapse_id", sa.Integer), sa.column("account_id", sa.String)
)
state_types: dict[str, Any] = {
    "check_id": sa.String,
    "status": sa.String,
    "detail": sa.Text,
    "evidence": sa.JSON,
    "since": sa.DateTime(timezone=True),
    "checked_at": sa.DateTime(timezone=True),
}
state_columns = tuple(state_types)
check_states = sa.table(
    "check_states",
    sa.column("account_id", sa.String),
    sa.column("run_id", sa.Integer),
    *(sa.column(name, kind) for name, kind in state_types.items()),
)
district_states = sa.table(
    "district_states",
    sa.column("platform", sa.String),
    sa.column("subject", sa.String),
    *(sa.column(name, kind) for name, kind in state_types.items()),
)


def _subject(pseudo: str, evidence: Any) -> tuple[str, str] | None:
    """(platform, subject) of an old pseudo-account id; None for a real account.

    Parsing ids is what this migration retires: it happens here once, never again.
    """
    if pseudo.startswith(CREDENTIAL):
        platform = pseudo.removeprefix(CREDENTIAL)
        return platform, platform
    if pseudo.startswith(UNREGISTERED):
        platform, _, safe = pseudo.removeprefix(UNREGISTERED).partition("-")
        page = evidence.get("page_id") if isinstance(evidence, dict) else None
        return platform, str(page) if page else safe
    return None


def _pseudo(check_id: str, platform: str, subject: str) -> str:
    if check_id == "connector_health":
        return f"{CREDENTIAL}{platform}"
    safe = re.sub(r"[^a-z0-9-]+", "-", subject.lower()).strip("-") or "unnamed"
    return f"{UNREGISTERED}{platform}-{safe}"[:80]


def _is_pseudo(column: Any) -> Any:
    return sa.or_(column.startswith(CREDENTIAL), column.startswith(UNREGISTERED))


def upgrade() -> None:
    op.drop_index("uq_lapses_one_open", table_name="lapses")
    op.add_column(
        "lapses", sa.Column("scope", sa.String(16), nullable=False, server_default="account")
    )
    op.add_column("lapses", sa.Column("platform", sa.String(32), nullable=False, server_default=""))
    op.add_column("lapses", sa.Column("subject", sa.String(200), nullable=False, server_default=""))
    op.create_table(
        "district_states",
        sa.Column("check_id", sa.String(length=64), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("check_id", "platform", "subject"),
    )
    bind = op.get_bind()
    old = bind.execute(
        sa.select(lapses.c.id, lapses.c.account_id, lapses.c.evidence).where(
            _is_pseudo(lapses.c.account_id)
        )
    ).all()
    for lapse_id, pseudo, evidence in old:
        platform, subject = _subject(pseudo, evidence) or ("", "")
        bind.execute(
            lapses.update()
            .where(lapses.c.id == lapse_id)
            .values(scope="district", platform=platform, subject=subject, account_id="")
        )
        bind.execute(events.update().where(events.c.lapse_id == lapse_id).values(account_id=""))
    columns = [check_states.c.account_id, *(check_states.c[name] for name in state_columns)]
    states = bind.execute(sa.select(*columns).where(_is_pseudo(check_states.c.account_id))).all()
    for pseudo, *values in states:
        platform, subject = _subject(pseudo, values[3]) or ("", "")
        row = dict(zip(state_columns, values, strict=True))
        bind.execute(district_states.insert().values(platform=platform, subject=subject, **row))
    # The per-account stand-ins: connector_health never judged an account, and registered's
    # "compared once per cycle" unknown said nothing about it either.
    bind.execute(
        check_states.delete().where(
            sa.or_(
                check_states.c.check_id == "connector_health",
                sa.and_(
                    check_states.c.check_id == "registered",
                    check_states.c.detail.like("%compared once per cycle%"),
                ),
                _is_pseudo(check_states.c.account_id),
            )
        )
    )
    op.create_index(
        "uq_lapses_one_open",
        "lapses",
        ["account_id", "platform", "subject", "check_id"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index("uq_lapses_one_open", table_name="lapses")
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(lapses.c.id, lapses.c.check_id, lapses.c.platform, lapses.c.subject).where(
            lapses.c.scope == "district"
        )
    ).all()
    for lapse_id, check_id, platform, subject in rows:
        pseudo = _pseudo(check_id, platform, subject)
        bind.execute(lapses.update().where(lapses.c.id == lapse_id).values(account_id=pseudo))
        bind.execute(events.update().where(events.c.lapse_id == lapse_id).values(account_id=pseudo))
    states = bind.execute(
        sa.select(
            district_states.c.platform,
            district_states.c.subject,
            *(district_states.c[name] for name in state_columns),
        )
    ).all()
    for platform, subject, *values in states:
        row = dict(zip(state_columns, values, strict=True))
        pseudo = _pseudo(row["check_id"], platform, subject)
        bind.execute(check_states.insert().values(account_id=pseudo, run_id=None, **row))
    op.drop_table("district_states")
    with op.batch_alter_table("lapses") as batch:
        batch.drop_column("subject")
        batch.drop_column("platform")
        batch.drop_column("scope")
    op.create_index(
        "uq_lapses_one_open",
        "lapses",
        ["account_id", "check_id"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
