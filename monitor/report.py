"""The human report of `socmon check` and `socmon demo`: per account, what to fix and why."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from sqlalchemy import select
from sqlalchemy.orm import Session

from checks import get
from monitor.export import LapseRow
from monitor.store.models import AccountRow, CheckState


def format_report(session: Session, rows: Sequence[LapseRow]) -> str:
    """Open lapses grouped by school and account, then the accounts that could not be read."""
    lines: list[str] = []
    for school, by_school in groupby(rows, key=lambda r: r.school):
        lines.append(f"\n{school}")
        for account_id, lapses in groupby(by_school, key=lambda r: r.account_id):
            lines.append(f"  {account_id}")
            for row in lapses:
                spec = get(row.check_id)
                muted = f" (muted until {row.muted_until})" if row.status == "muted" else ""
                lines.append(
                    f"    ✗ {spec.title}{muted} [lapse #{row.id}, open since {row.opened_at:%Y-%m-%d}]"
                )
                lines.append(f"      what is wrong: {row.detail}")
                lines.append(f"      what to do:    {spec.remediation_for(row.platform)}")
                lines.append(f"      policy:        {spec.clause_text}")
    failing = session.scalars(
        select(AccountRow).where(AccountRow.fetch_status == "failed", AccountRow.active.is_(True))
    ).all()
    if failing:
        lines.append("\nCould not be read (every check is unknown, not passed):")
        for account in failing:
            lines.append(f"  {account.id}: {account.last_error}")
    unknown = session.execute(
        select(CheckState.account_id, CheckState.check_id, CheckState.detail)
        .join(AccountRow, AccountRow.id == CheckState.account_id)
        .where(CheckState.status == "unknown", AccountRow.fetch_status == "ok")
        .order_by(CheckState.account_id, CheckState.check_id)
    ).all()
    if unknown:
        lines.append("\nChecks the platform could not answer (unknown, not passed):")
        for account_id, check_id, detail in unknown:
            lines.append(f"  {account_id} {check_id}: {detail}")
    return "\n".join(lines) + "\n" if lines else "\nNo open lapses.\n"
