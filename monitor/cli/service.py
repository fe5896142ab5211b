"""`socmon run` (the daemon) and `socmon status` (its health, for IT and monitoring)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from sqlalchemy import func, select

from monitor import logfmt, sdnotify
from monitor.connect import open_connectors
from monitor.context import App, open_app, open_settings, utcnow
from monitor.daemon import Daemon
from monitor.daemon.dbwatch import DatabaseWatch, read_outage
from monitor.daemon.jobs import check_trigger, digest_trigger, last_finished_cycle, next_fire
from monitor.errors import UserError
from monitor.health import CredentialStatus, credential_status
from monitor.lease import LeaseKeeper, current
from monitor.metrics import Metrics, serve
from monitor.secrets import SecretMissing, resolve_secret
from monitor.settings import Settings
from monitor.store.faults import EX_TEMPFAIL, DatabaseUnavailable, delays
from monitor.store.models import AccountRow

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="Config file (else $SOCMON_CONFIG, else /etc/socmon/socmon.toml)."
    ),
]


class StatusFormat(StrEnum):
    text = "text"
    json = "json"


def register(app: typer.Typer) -> None:
    app.command()(run)
    app.command()(status)


def run(config: ConfigOpt = None) -> None:
    """Run the daemon (checks, digests, housekeeping on schedule) until SIGTERM or SIGINT."""
    if "SOCMON_LOG_LEVEL" not in os.environ:
        logging.getLogger().setLevel(logging.INFO)  # a service logs its events, not just problems
    # A line per job run (the lease job runs every 30 s) is noise; our jobs log what they did.
    for chatty in ("apscheduler", "alembic"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    app = _open_waiting(config)
    # Missing platform secrets are config mistakes: exit 2 now, not at the first cycle.
    asyncio.run(_probe_connectors(app))
    logfmt.protect(secret_values(app.settings))
    metrics = Metrics()
    metrics.refresh(app.sessions)
    server = None
    if app.settings.metrics.enabled:
        cfg = app.settings.metrics
        try:
            server = serve(metrics, cfg.host, cfg.port)
        except OSError as exc:
            where = "metrics.port"
            what = f"cannot listen on {cfg.host}:{cfg.port}: {exc.strerror}"
            raise UserError.one(str(app.settings.source), where, what) from None
    daemon = Daemon(app, LeaseKeeper(app.sessions, clock=app.clock), metrics=metrics)
    try:
        code = daemon.run()
    finally:
        if server is not None:
            server.shutdown()
    if not daemon.clean:
        # A job outlived the stop budget; the interpreter would wait for its thread at exit.
        # What it finished is committed, and the outbox's claim expiry lets a send resume.
        logging.shutdown()
        os._exit(code)
    raise typer.Exit(code)


def _open_waiting(config: Path | None, sleep: Callable[[float], None] = time.sleep) -> App:
    """Open the app; a database that is away is waited for (backoff), then exit 75."""
    settings = open_settings(config)
    cfg = settings.database
    waits = delays(max(cfg.retry_first_seconds, 1.0), cfg.retry_max_seconds, 64)
    waited = 0.0  # the waits count toward the budget (each attempt adds its connect timeout)
    watch: DatabaseWatch | None = None
    for wait in waits:
        try:
            app = open_app(config)
        except DatabaseUnavailable as exc:
            if watch is None:
                watch = DatabaseWatch(settings.state_dir, exc.database, utcnow)
            watch.failed(exc.what)
            if waited + wait > cfg.start_wait_seconds:
                raise
            sdnotify.notify(f"STATUS=waiting for the database: {exc.what}")
            sleep(wait)
            waited += wait
            continue
        if watch is not None:
            watch.ok()
        return app
    raise AssertionError("unreachable: the last wait is past any deadline")


async def _probe_connectors(app: App) -> None:
    async with open_connectors(app.settings, app.clock):
        pass


def secret_values(settings: Settings) -> list[str]:
    """The values of every secret the config names, so the log filter can redact them."""
    values = []
    for name in sorted(set(_secret_names(settings))):
        try:
            values.append(resolve_secret(name).get_secret_value())
        except SecretMissing:
            continue  # whoever needs it reports it; nothing to redact
    return values


def _secret_names(model: BaseModel) -> Iterator[str]:
    # Every `*_secret` key in every section, so a secret added to the config later is covered.
    for key, value in model:
        if key.endswith("_secret") and isinstance(value, str) and value:
            yield value
        elif isinstance(value, BaseModel):
            yield from _secret_names(value)
        elif isinstance(value, dict):
            for item in value.values():
                if isinstance(item, BaseModel):
                    yield from _secret_names(item)


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
        first = next_fire(trigger, last.finished_at)
        second = next_fire(trigger, first) if first else None
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


def status(
    config: ConfigOpt = None,
    fmt: Annotated[StatusFormat, typer.Option("--format", help="text or json.")] = (
        StatusFormat.text
    ),
) -> None:
    """Show the daemon's health.

    Exit 1 when the last cycle is older than two check intervals, was incomplete, or could
    not read more than status.unreadable_alert_percent of the accounts; 75 without database.
    """
    try:
        app = open_app(config, writer=False)
    except DatabaseUnavailable as exc:
        outage = read_outage(open_settings(config).state_dir)
        since = f" since {outage.since.isoformat(timespec='seconds')}" if outage else ""
        typer.echo(f"status:       database {exc.database} unavailable{since}: {exc.what}")
        raise typer.Exit(EX_TEMPFAIL) from None
    report = build_status(app, app.clock())
    if fmt is StatusFormat.json:
        typer.echo(json.dumps(asdict(report), default=_iso, indent=2))
    else:
        typer.echo(format_status(report, app.settings))
    raise typer.Exit(report.exit_code)


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


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
    return "\n".join(lines)
