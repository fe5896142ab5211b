"""The unit of work the scheduler calls: build the digests that are due, send what is pending.

Both halves are safe to run from several processes at once and to repeat: building
inserts one row per (kind, recipient, period) or nothing, and sending claims a row
before delivering it. A morning missed while socmon was down is built on the next run
of the same day, and its content covers everything since the recipient's last digest.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path

from jinja2 import Environment

from monitor.context import App
from monitor.settings import Settings
from monitor.store.db import transaction
from monitor.store.models import OutboxMessage
from notifications import outbox
from notifications.digest import build_daily
from notifications.links import links_for
from notifications.render import make_environment, render
from notifications.schooldays import DayCounter
from notifications.smtp import DeliveryError, Transport, transport_for
from notifications.state import StoreView, load_store_view
from notifications.weekly import build_weekly

logger = logging.getLogger(__name__)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass
class DigestRun:
    """What one call did, for logs, metrics and tests."""

    built: int = 0
    sent: int = 0
    failed: int = 0
    retried: int = 0
    ids: list[int] = field(default_factory=list)


def due_periods(settings: Settings, now: datetime, *, force: bool = False) -> list[tuple[str, str]]:
    """(kind, period) pairs whose time has come in the district's timezone.

    `force` treats the digest hour and the weekly day as reached (preview, --send-now).
    """
    local = now.astimezone(settings.tz)
    hour = settings.digest.hour
    after_hour = force or local.time().replace(tzinfo=None) >= hour
    due: list[tuple[str, str]] = []
    if after_hour:
        due.append(("daily", local.date().isoformat()))
    weekday = WEEKDAYS.index(settings.digest.weekly_weekday)
    if settings.district.communications and (
        force or local.weekday() > weekday or (local.weekday() == weekday and after_hour)
    ):
        year, week, _ = local.isocalendar()
        due.append(("weekly", f"{year}-W{week:02d}"))
    return due


def _day_start(settings: Settings, now: datetime) -> datetime:
    """Midnight of `now`'s day in the district's zone (the digest's day), as an aware time."""
    local = now.astimezone(settings.tz)
    return datetime.combine(local.date(), time(0), settings.tz)


def day_counter(settings: Settings) -> DayCounter:
    return DayCounter(settings.tz, settings.district.holidays, settings.digest.school_days_only)


def draft_digests(
    app: App, now: datetime, env: Environment, kind: str, period: str, skip: set[str]
) -> list[outbox.Draft]:
    """Render the `kind` digests of `period` for every recipient not in `skip`."""
    settings = app.settings
    with transaction(app.sessions) as session:
        store = load_store_view(
            session,
            now,
            kind=kind,
            period=period,
            unknown_after=timedelta(days=settings.digest.unknown_alert_days),
            day_start=_day_start(settings, now) if kind == "daily" else None,
        )
    return _drafts(app, store, now, env, kind, period, skip)


def _drafts(
    app: App,
    store: StoreView,
    now: datetime,
    env: Environment,
    kind: str,
    period: str,
    skip: set[str],
) -> list[outbox.Draft]:
    settings, counter = app.settings, day_counter(app.settings)
    drafts: list[outbox.Draft] = []
    if kind == "daily":
        links = links_for(settings, now)
        for digest in build_daily(store, app.accounts, settings, counter, links, now, period):
            if digest.recipient in skip:
                continue
            r = render(env, "daily", digest)
            drafts.append(
                outbox.Draft(
                    kind, digest.recipient, period, r.subject, r.text, r.html, digest.lapse_ids
                )
            )
        return drafts
    summary = build_weekly(store, app.accounts, settings, counter, now, period)
    if not summary.has_news:
        return drafts
    r = render(env, "weekly", summary)
    for email in sorted({e.lower() for e in settings.district.communications} - skip):
        drafts.append(
            outbox.Draft(kind, email, period, r.subject, r.text, r.html, summary.lapse_ids)
        )
    return drafts


def build_digests(
    app: App, now: datetime | None = None, env: Environment | None = None, *, force: bool = False
) -> list[int]:
    """Store every digest that is due and not yet built; returns the new outbox row ids."""
    now = now or app.clock()
    env = env or make_environment()
    domain = app.settings.district.email_domains[0]
    created: list[int] = []
    for kind, period in due_periods(app.settings, now, force=force):
        with transaction(app.sessions) as session:
            done = outbox.built_recipients(session, kind, period)
        drafts = draft_digests(app, now, env, kind, period, done)
        if not drafts:
            continue
        with transaction(app.sessions) as session:
            ids = outbox.insert_once(session, drafts, domain, now)
        created.extend(ids)
        logger.info("digests built kind=%s period=%s count=%d", kind, period, len(ids))
    return created


def deliver_pending(
    app: App, now: datetime | None = None, transport: Transport | None = None
) -> DigestRun:
    """Claim and send every pending, due outbox row; one connection per call."""
    now = now or app.clock()
    settings = app.settings
    transport = transport or transport_for(settings.smtp, settings.outbox)
    run = DigestRun()
    with transaction(app.sessions) as session:
        ids = outbox.due_ids(session, now)
    if not ids:
        return run
    with transport:
        for row_id in ids:
            if not _deliver_one(app, now, transport, row_id, run):
                break
    return run


def _deliver_one(
    app: App, now: datetime, transport: Transport, row_id: int, run: DigestRun
) -> bool:
    """Claim, send and record one row; False when the connection is gone for this batch."""
    settings = app.settings
    with transaction(app.sessions) as session:
        row = outbox.claim(session, row_id, now)
        if row is None:
            return True  # another worker has it
        message = outbox.to_email(row, settings.smtp.sender)
        name = _file_name(row)
    try:
        refused = transport.send(message, name)
    except DeliveryError as err:
        with transaction(app.sessions) as session:
            row = session.get(OutboxMessage, row_id)
            assert row is not None
            if err.permanent:
                outbox.mark_failed(row, err.reply)
                run.failed += 1
            elif outbox.mark_retry(row, now, err.reply, settings.digest.max_attempts):
                run.retried += 1
            else:
                run.failed += 1
        logger.warning(
            "digest not delivered id=%s kind=%s permanent=%s reply=%s",
            row_id,
            row.kind,
            err.permanent,
            err.reply,
        )
        return not err.broken
    with transaction(app.sessions) as session:
        row = session.get(OutboxMessage, row_id)
        assert row is not None
        note = "; ".join(
            f"refused {r}: {c} {t.decode('utf-8', 'replace')}" for r, (c, t) in refused.items()
        )
        outbox.mark_sent(row, now, note)
    run.sent += 1
    run.ids.append(row_id)
    logger.info("digest sent id=%s kind=%s period=%s", row_id, row.kind, row.period)
    return True


def send_due_digests(
    app: App,
    now: datetime | None = None,
    env: Environment | None = None,
    *,
    transport: Transport | None = None,
    force: bool = False,
) -> DigestRun:
    """Build what is due, then send what is pending: the scheduler's digest job."""
    now = now or app.clock()
    built = build_digests(app, now, env, force=force)
    run = deliver_pending(app, now, transport)
    run.built = len(built)
    return run


def preview(
    app: App, out_dir: Path, now: datetime | None = None, env: Environment | None = None
) -> list[Path]:
    """Write the digests due now as .txt/.html files per recipient, recording nothing."""
    now = now or app.clock()
    env = env or make_environment()
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for kind, period in due_periods(app.settings, now, force=True):
        for draft in draft_digests(app, now, env, kind, period, set()):
            stem = f"{kind}-{period}-{_safe(draft.recipient)}"
            for suffix, body in ((".txt", draft.text), (".html", draft.html)):
                path = out_dir / f"{stem}{suffix}"
                path.write_text(
                    f"Subject: {draft.subject}\n\n{body}" if suffix == ".txt" else body,
                    encoding="utf-8",
                )
                written.append(path)
    return written


def _file_name(row: OutboxMessage) -> str:
    return f"{row.kind}-{row.period}-{_safe(row.recipient)}"


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9@._-]", "_", text)
