"""The human report of `socmon check` and `socmon demo`: per account, what to fix and why."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from checks import get
from checks.connector_health import PSEUDO_PREFIX as CREDENTIAL_PREFIX
from monitor.cycle import CycleResult
from monitor.export import LapseRow
from monitor.store.faults import EX_TEMPFAIL, is_unavailable
from monitor.store.models import AccountRow, CheckState, Lapse


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


def summary_line(result: CycleResult, open_lapses: int, credentials: int) -> str:
    """The last line of `socmon check`: what was read, what is open, whether it was complete."""
    line = (
        f"checked {result.accounts} accounts: {result.ok} read, {result.failed} could not be read; "
        f"{open_lapses} open lapses ({len(result.changes.opened)} new, "
        f"{len(result.changes.resolved)} resolved)"
    )
    if credentials:
        line += f"; {credentials} credential lapse{'s' if credentials != 1 else ''} open"
    if not result.complete:
        line += f"; cycle {result.status}: {result.reason}"
    return line + "."


def check_exit_code(result: CycleResult, open_lapses: int, credentials: int) -> int:
    """0 all read and clean; 1 lapses, unreadable accounts or an incomplete cycle; 75 no database."""
    if result.status == "failed" and result.error is not None and is_unavailable(result.error):
        return EX_TEMPFAIL
    if open_lapses or credentials or result.failed or not result.complete:
        return 1
    return 0


def open_credential_lapses(session: Session) -> int:
    """Open lapses on the platform credentials (connector_health), which no account owns."""
    query = select(func.count()).where(
        Lapse.status == "open", Lapse.account_id.startswith(CREDENTIAL_PREFIX, autoescape=True)
    )
    return int(session.scalar(query) or 0)
