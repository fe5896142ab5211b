"""What `socmon status` reports: the last cycle, failing accounts, credentials, lost digests, the lease."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from monitor.context import App
from monitor.health import CredentialStatus, credential_status
from monitor.lease import current
from monitor.settings import Settings
from monitor.store.models import AccountRow
from notifications.outbox import FailedDigest, failed_digests
from socmon.daemon.dbwatch import read_outage
from socmon.daemon.jobs import (
    check_trigger,
    digest_trigger,
    due_after,
    last_finished_cycle,
    next_fire,
)


@dataclass
class Status:
    """What `socmon status` reports; `stale` decides the exit code."""

    now: datetime
    stale: bool
    problem: str = ""
    last_cycle_started: datetime | None = None
    last_cycle_finished: datetime | None = None
    accounts_total: int = 0
    accounts_checked: int = 0
    accounts_failed: int = 0
    errors_by_kind: dict[str, int] = field(default_factory=dict)
    failing_by_connector: dict[str, int] = field(default_factory=dict)
    next_check: datetime | None = None
    next_digest: datetime | None = None
    lease_holder: str = ""
    lease_expires: datetime | None = None
    credentials: list[CredentialStatus] = field(default_factory=list)
    failed_digests: list[FailedDigest] = field(default_factory=list)
    last_cycle_status: str = ""  # complete | incomplete | failed
    last_cycle_reason: str = ""
    unreadable_percent: float = 0.0
    # Why `socmon status` exits 1 besides staleness: an incomplete cycle, too many unreadable.
    alerts: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.stale or self.alerts else 0


def build_status(app: App, now: datetime) -> Status:
    """Read the last cycle, failing accounts, the lease and the next run times."""
    settings, tz = app.settings, app.settings.tz
    trigger = check_trigger(settings.schedule, tz)
    report = Status(now=now, stale=True, problem="no check cycle has finished yet")
    last = last_finished_cycle(app)
    if last is not None and last.finished_at is not None:
        # Stale once two scheduled checks have come and gone without a finished cycle.
        second = due_after(settings.schedule, tz, last.finished_at, 2)
        report.stale = second is not None and now >= second
        report.problem = "the last cycle is older than two check intervals" if report.stale else ""
        report.last_cycle_started, report.last_cycle_finished = last.started_at, last.finished_at
        report.accounts_total = last.accounts_total
        report.accounts_checked = last.accounts_ok + last.accounts_failed
        report.accounts_failed = last.accounts_failed
        report.errors_by_kind = {str(k): int(v) for k, v in last.errors_by_kind.items()}
        report.last_cycle_status, report.last_cycle_reason = last.status, last.reason
        report.alerts += _cycle_alerts(report, settings.status.unreadable_alert_percent)
    with app.sessions() as session:
        rows = session.execute(
            select(AccountRow.platform, func.count())
            .where(AccountRow.active.is_(True), AccountRow.fetch_status == "failed")
            .group_by(AccountRow.platform)
        ).all()
        report.credentials = credential_status(session)
        report.failed_digests = failed_digests(session)
    if report.failed_digests:
        report.alerts.append(
            f"{len(report.failed_digests)} digest(s) could not be delivered"
            " (socmon digest --retry-failed re-queues them)"
        )
    outage = read_outage(settings.state_dir)
    if outage is not None:
        report.alerts.append(
            f"the daemon has found the database unavailable since"
            f" {outage.since.isoformat(timespec='seconds')}: {outage.what}"
        )
    report.failing_by_connector = {platform: count for platform, count in rows}
    report.next_check = _local(next_fire(trigger, now), tz)
    report.next_digest = _local(next_fire(digest_trigger(settings), now), tz)
    lease = current(app.sessions)
    if lease is not None and lease.expires_at > now:
        report.lease_holder, report.lease_expires = lease.holder, lease.expires_at
    return report


def _cycle_alerts(report: Status, threshold: float) -> list[str]:
    alerts = []
    if report.last_cycle_status != "complete":
        alerts.append(f"the last cycle is {report.last_cycle_status}: {report.last_cycle_reason}")
    if report.accounts_total:
        report.unreadable_percent = round(100 * report.accounts_failed / report.accounts_total, 1)
    if report.unreadable_percent > threshold:
        alerts.append(
            f"{report.accounts_failed} of {report.accounts_total} accounts could not be read"
            f" in the last cycle ({report.unreadable_percent:g} %, alert above {threshold:g} %)"
        )
    return alerts


def _local(moment: datetime | None, tz: Any) -> datetime | None:
    return moment.astimezone(tz) if moment else None


def _verdict(report: Status) -> str:
    problems = ([f"STALE: {report.problem}"] if report.stale else []) + report.alerts
    return "; ".join(problems) if problems else "ok"


def format_status(report: Status, settings: Settings) -> str:
    """The text form of `socmon status`, times in district time."""
    tz = settings.tz

    def when(moment: datetime | None) -> str:
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z") if moment else "never"

    failing = ", ".join(f"{k} {v}" for k, v in sorted(report.failing_by_connector.items()))
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(report.errors_by_kind.items()))
    lines = [
        f"last cycle:   {when(report.last_cycle_finished)}"
        + (
            f" ({report.last_cycle_status}: {report.accounts_checked} of"
            f" {report.accounts_total} accounts checked, {report.accounts_failed} unreadable)"
            if report.last_cycle_finished
            else ""
        ),
        f"failing:      {failing or 'none'}" + (f" (last cycle: {kinds})" if kinds else ""),
        f"next check:   {when(report.next_check)}",
        f"next digest:  {when(report.next_digest)}",
        f"lease:        {report.lease_holder or 'nobody'}"
        + (f" until {when(report.lease_expires)}" if report.lease_expires else ""),
        f"status:       {_verdict(report)}",
    ]
    for cred in report.credentials:
        lines.append(f"credential:   {cred.platform} {cred.status}: {cred.detail}")
    for d in report.failed_digests:
        lines.append(
            f"digest failed: {d.kind} {d.period} to {d.recipient} after {d.attempts}"
            f" attempt(s): {d.last_error}"
        )
    return "\n".join(lines)
