"""What a digest run reads from the store, loaded once in a few column queries.

Notifications never re-run checks: they read lapses, account fetch status and the
outbox's own history, and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from monitor.store.models import OPEN_STATES, AccountRow, Cycle, Lapse, OutboxMessage
from notifications.outbox import FailedDigest, failed_digests

# How far back "resolved since your last digest" looks, whatever the last digest was.
RESOLVED_LOOKBACK = timedelta(days=31)


@dataclass(frozen=True, slots=True)
class LapseRow:
    """The columns of a lapse a digest shows."""

    id: int
    account_id: str
    check_id: str
    status: str
    opened_at: datetime
    resolved_at: datetime | None
    detail: str
    # "district": a district-wide lapse, about `platform` and `subject`, with no account.
    scope: str = "account"
    platform: str = ""
    subject: str = ""


@dataclass(frozen=True, slots=True)
class UnknownAccount:
    """An account whose checks have been unknown (not readable) since `since`."""

    account_id: str
    since: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class StoreView:
    """Everything one digest run needs from the database."""

    active: list[LapseRow]  # open and muted
    resolved: list[LapseRow]  # resolved within the lookback
    unknown: dict[str, UnknownAccount]
    last_sent: dict[str, datetime]  # recipient -> when their previous digest was built
    # Digests that will not be sent without a person (for IT's digest).
    failed_digests: list[FailedDigest] = field(default_factory=list)
    # Set when no check cycle of the digest's day was complete: what the digest is built from.
    check_note: str = ""

    @property
    def last_sent_any(self) -> datetime | None:
        """When the previous digest of this kind was built for anyone."""
        return max(self.last_sent.values(), default=None)


_COLUMNS = (
    Lapse.id,
    Lapse.account_id,
    Lapse.check_id,
    Lapse.status,
    Lapse.opened_at,
    Lapse.resolved_at,
    Lapse.detail,
    Lapse.scope,
    Lapse.platform,
    Lapse.subject,
)


def load_store_view(
    session: Session,
    now: datetime,
    *,
    kind: str,
    period: str,
    unknown_after: timedelta,
    day_start: datetime | None = None,
) -> StoreView:
    """Read lapses, unknown accounts and each recipient's previous `kind` digest."""
    active = [
        LapseRow(**row._asdict())
        for row in session.execute(select(*_COLUMNS).where(Lapse.status.in_(OPEN_STATES)))
    ]
    resolved = [
        LapseRow(**row._asdict())
        for row in session.execute(
            select(*_COLUMNS).where(
                Lapse.status == "resolved", Lapse.resolved_at >= now - RESOLVED_LOOKBACK
            )
        )
    ]
    return StoreView(
        active=active,
        resolved=resolved,
        unknown=_unknown_accounts(session, now - unknown_after),
        last_sent=_last_built(session, kind, period),
        failed_digests=failed_digests(session),
        check_note=check_note(session, now, day_start) if day_start else "",
    )


def check_note(session: Session, now: datetime, day_start: datetime) -> str:
    """ "" when a cycle finished complete since `day_start`; else what the digest is built from.

    A store that never ran a cycle (a fresh install, a preview) has nothing to qualify.
    """
    cycles = select(Cycle).where(
        Cycle.started_at >= day_start, Cycle.started_at <= now, Cycle.scope == "registry"
    )
    today = list(session.scalars(cycles.order_by(Cycle.id)))
    if any(c.status == "complete" for c in today):
        return ""
    registry_cycles = select(func.count()).select_from(Cycle).where(Cycle.scope == "registry")
    if not today and session.scalar(registry_cycles) == 0:
        return ""
    last = today[-1] if today else None
    if last is None:
        return "no check cycle has run today; the lapses are those of the last check"
    if last.status == "running":
        return "today's check cycle had not finished when this digest was built"
    return f"today's check cycle was {last.status} ({last.reason})"


def _unknown_accounts(session: Session, cutoff: datetime) -> dict[str, UnknownAccount]:
    # "new" accounts never read successfully count from registration: a connector that
    # never worked must not read as "all clear" either.
    query = select(
        AccountRow.id,
        AccountRow.fetch_status,
        AccountRow.failing_since,
        AccountRow.registered_at,
        AccountRow.last_error,
    ).where(
        AccountRow.active.is_(True),
        or_(
            (AccountRow.fetch_status == "failed") & (AccountRow.failing_since <= cutoff),
            (AccountRow.fetch_status == "new") & (AccountRow.registered_at <= cutoff),
        ),
    )
    out: dict[str, UnknownAccount] = {}
    for account_id, status, failing_since, registered_at, error in session.execute(query):
        since = failing_since if status == "failed" and failing_since else registered_at
        reason = error or ("never read successfully" if status == "new" else "could not be read")
        out[account_id] = UnknownAccount(account_id, since, reason)
    return out


def _last_built(session: Session, kind: str, period: str) -> dict[str, datetime]:
    query = (
        select(OutboxMessage.recipient, func.max(OutboxMessage.created_at))
        .where(OutboxMessage.kind == kind, OutboxMessage.period < period)
        .group_by(OutboxMessage.recipient)
    )
    return {recipient: _aware(at) for recipient, at in session.execute(query)}


def _aware(value: datetime) -> datetime:
    # func.max bypasses the UTC column type on SQLite; stored values are UTC.
    if isinstance(value, str):  # SQLite hands aggregate datetimes back as text
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
