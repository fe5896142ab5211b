"""The outbox: each digest built once per (kind, recipient, period), then claimed to send.

Build once: rows are inserted with ON CONFLICT DO NOTHING against the unique
(kind, recipient, period), so two processes or a restart never build a second copy.
Send once: a worker claims a row with a conditional UPDATE (pending and due, or a
claim that expired) before talking to SMTP; only the worker whose UPDATE matched sends.
A process that dies after the server accepted a message but before marking it sent
leaves a claim that expires, and that one message is sent again; its Message-ID is
the same, so mail clients can tell.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from monitor.store.models import OutboxMessage

CLAIM_SECONDS = 600
BACKOFF_BASE_SECONDS = 300
BACKOFF_MAX_SECONDS = 2 * 3600


@dataclass(frozen=True, slots=True)
class Draft:
    """A rendered digest, ready to be stored once."""

    kind: str
    recipient: str
    period: str
    subject: str
    text: str
    html: str
    lapse_ids: Sequence[int]


def message_id(kind: str, recipient: str, period: str, domain: str) -> str:
    """The same Message-ID for the same digest, however often it is built or retried."""
    digest = hashlib.sha256(f"{kind}\0{recipient}\0{period}".encode()).hexdigest()[:16]
    return f"<socmon.{kind}.{period}.{digest}@{domain}>"


def built_recipients(session: Session, kind: str, period: str) -> set[str]:
    query = select(OutboxMessage.recipient).where(
        OutboxMessage.kind == kind, OutboxMessage.period == period
    )
    return set(session.scalars(query))


def insert_once(session: Session, drafts: Sequence[Draft], domain: str, now: datetime) -> list[int]:
    """Store the drafts no one stored before; returns the ids of the rows this call created."""
    if not drafts:
        return []
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(OutboxMessage)
        .on_conflict_do_nothing(index_elements=["kind", "recipient", "period"])
        .returning(OutboxMessage.id)
    )
    params = [
        {
            "kind": d.kind,
            "recipient": d.recipient,
            "period": d.period,
            "status": "pending",
            "message_id": message_id(d.kind, d.recipient, d.period, domain),
            "subject": d.subject,
            "body_text": d.text,
            "body_html": d.html,
            "created_at": now,
            "attempts": 0,
            "next_attempt_at": now,
            "claimed_until": None,
            "sent_at": None,
            "last_error": "",
            "lapse_ids": list(d.lapse_ids),
        }
        for d in drafts
    ]
    # One multi-row statement; rows that lost the race to the unique key return nothing.
    result = session.connection().execute(stmt, params)
    return sorted(result.scalars().all())


def _claimable(now: datetime) -> object:
    return or_(
        and_(
            OutboxMessage.status == "pending",
            or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
        ),
        # A sender that died mid-delivery: its claim runs out and someone else retries.
        and_(OutboxMessage.status == "sending", OutboxMessage.claimed_until < now),
    )


def due_ids(session: Session, now: datetime, limit: int = 1000) -> list[int]:
    query = (
        select(OutboxMessage.id)
        .where(_claimable(now))  # type: ignore[arg-type]
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def claim(session: Session, row_id: int, now: datetime) -> OutboxMessage | None:
    """Take the row for sending if no one else has; None when another worker won."""
    stmt = (
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, _claimable(now))  # type: ignore[arg-type]
        .values(
            status="sending",
            claimed_until=now + timedelta(seconds=CLAIM_SECONDS),
            attempts=OutboxMessage.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if session.execute(stmt).rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.get(OutboxMessage, row_id, populate_existing=True)


def mark_sent(row: OutboxMessage, now: datetime, note: str = "") -> None:
    row.status, row.sent_at, row.claimed_until, row.last_error = "sent", now, None, note


def mark_failed(row: OutboxMessage, error: str) -> None:
    row.status, row.claimed_until, row.last_error = "failed", None, error


def mark_retry(row: OutboxMessage, now: datetime, error: str, max_attempts: int) -> bool:
    """Schedule another attempt with backoff; False (and failed) once attempts run out."""
    if row.attempts >= max_attempts:
        mark_failed(row, f"gave up after {row.attempts} attempts: {error}")
        return False
    delay = min(BACKOFF_BASE_SECONDS * 2 ** max(row.attempts - 1, 0), BACKOFF_MAX_SECONDS)
    row.status, row.claimed_until, row.last_error = "pending", None, error
    row.next_attempt_at = now + timedelta(seconds=delay)
    return True


def release(row: OutboxMessage) -> None:
    """Give a claimed row back untouched (the connection broke before it was tried)."""
    row.status, row.claimed_until = "pending", None
    row.attempts = max(row.attempts - 1, 0)


def to_email(row: OutboxMessage, sender: str) -> EmailMessage:
    """The MIME message for a row: text first, HTML as the preferred alternative."""
    msg = EmailMessage()
    msg["Subject"] = row.subject
    msg["From"] = sender
    msg["To"] = row.recipient
    msg["Date"] = format_datetime(row.created_at)
    msg["Message-ID"] = row.message_id
    # Tell autoresponders and mail rules this is a machine's report, not a conversation.
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(row.body_text)
    msg.add_alternative(row.body_html, subtype="html")
    return msg


@dataclass(frozen=True, slots=True)
class FailedDigest:
    """A digest that will not be sent unless someone re-queues it (`socmon digest --retry-failed`)."""

    id: int
    kind: str
    recipient: str
    period: str
    attempts: int
    last_error: str


def failed_digests(session: Session, limit: int = 100) -> list[FailedDigest]:
    """Digests that used up their attempts or were refused for good, oldest first."""
    query = (
        select(
            OutboxMessage.id,
            OutboxMessage.kind,
            OutboxMessage.recipient,
            OutboxMessage.period,
            OutboxMessage.attempts,
            OutboxMessage.last_error,
        )
        .where(OutboxMessage.status == "failed")
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return [FailedDigest(*row) for row in session.execute(query)]


def requeue_failed(session: Session, now: datetime) -> int:
    """Give every failed digest a fresh set of attempts, due now; returns how many."""
    stmt = (
        update(OutboxMessage)
        .where(OutboxMessage.status == "failed")
        .values(status="pending", attempts=0, next_attempt_at=now, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    return int(session.execute(stmt).rowcount)  # type: ignore[attr-defined]
