"""`socmon run` (the daemon) and `socmon status` (its health, for IT and monitoring)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from pydantic import BaseModel

from monitor import logfmt
from monitor.connect import open_connectors
from monitor.context import App, open_app, open_settings, utcnow
from monitor.errors import UserError
from monitor.lease import LeaseKeeper
from monitor.secrets import SecretMissing, resolve_secret
from monitor.settings import Settings
from monitor.store.faults import EX_TEMPFAIL, DatabaseUnavailable, delays
from socmon import sdnotify
from socmon.daemon import Daemon
from socmon.daemon.dbwatch import DatabaseWatch, read_outage
from socmon.metrics import Metrics, serve
from socmon.status import build_status, format_status

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
    ttl = timedelta(seconds=app.settings.lease.seconds)
    daemon = Daemon(app, LeaseKeeper(app.sessions, ttl=ttl, clock=app.clock), metrics=metrics)
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
    async with open_connectors(app.settings, app.clock, roles_apart=app.roles_apart):
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
