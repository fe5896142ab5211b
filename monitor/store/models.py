"""SQLAlchemy 2 typed models. Check ids and platforms are plain strings, not enums.

History is kept as events, not as one finding per check per cycle: `check_states`
holds the current verdict of each (account, check) and `lapse_events` every change,
which is the record of violations CMSD82 Policy 2045 C.4.e asks the district to keep.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, WriteOnlyMapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on SQLite (which drops the zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()}  # noqa: RUF012


OPEN_STATES = ("open", "muted")


class AccountRow(Base):
    """The district directory as last loaded from the registry (inactive when removed)."""

    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    platform_id: Mapped[str] = mapped_column(String(200))
    school: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    audience: Mapped[str] = mapped_column(String(16))
    managers: Mapped[list[Any]] = mapped_column(JSON)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    registered_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Claim, then act: a worker sets claimed_until before checking the account.
    next_check_at: Mapped[datetime | None]
    claimed_until: Mapped[datetime | None]
    # Last fetch outcome: ok | failed, with when it started failing (for unknown alerts).
    fetch_status: Mapped[str] = mapped_column(String(16), default="new")
    failing_since: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")


class Cycle(Base):
    __tablename__ = "cycles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    accounts_total: Mapped[int] = mapped_column(Integer, default=0)
    accounts_ok: Mapped[int] = mapped_column(Integer, default=0)
    accounts_failed: Mapped[int] = mapped_column(Integer, default=0)
    errors_by_kind: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # running | complete (every account has a stored result) | incomplete | failed
    status: Mapped[str] = mapped_column(String(16), default="complete", server_default="complete")
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    # registry (every registered account) | accounts (`socmon check --account`): only a
    # registry cycle tells whether the district is checked (status, digests, catch-up).
    scope: Mapped[str] = mapped_column(String(16), default="registry", server_default="registry")


class CheckRun(Base):
    """One account fetched and checked in one cycle."""

    __tablename__ = "check_runs"
    __table_args__ = (Index("ix_check_runs_account_started", "account_id", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int | None] = mapped_column(ForeignKey("cycles.id", ondelete="SET NULL"))
    account_id: Mapped[str] = mapped_column(String(80))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(16))  # ok | failed
    error_kind: Mapped[str] = mapped_column(String(32), default="")
    error: Mapped[str] = mapped_column(Text, default="")


class CheckState(Base):
    """The current verdict of one check on one account."""

    __tablename__ = "check_states"
    # The overview lists accounts whose checks are unknown; without this it scans the table.
    __table_args__ = (Index("ix_check_states_status", "status", "account_id"),)

    account_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    check_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    since: Mapped[datetime]
    checked_at: Mapped[datetime]
    run_id: Mapped[int | None]


class DistrictState(Base):
    """The current verdict of one district-scope check on one district-wide subject.

    The subject is what no account stands for: a platform's credential (key = the
    platform) or a page the business owns that is missing from the directory (key = the
    page's platform id).
    """

    __tablename__ = "district_states"

    check_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    subject: Mapped[str] = mapped_column(String(200), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    since: Mapped[datetime]
    checked_at: Mapped[datetime]


class Lapse(Base):
    """An open failure of one check on one account (or one district-wide subject).

    An account lapse has `scope` "account" and its `account_id`; a district-wide lapse has
    `scope` "district", no account (`account_id` ""), and says what it is about with
    `platform` and `subject` (as in `DistrictState`).
    """

    __tablename__ = "lapses"
    __table_args__ = (
        # At most one open (or muted) lapse per (account or subject, check), by the database.
        Index(
            "uq_lapses_one_open",
            "account_id",
            "platform",
            "subject",
            "check_id",
            unique=True,
            sqlite_where=text("status IN ('open', 'muted')"),
            postgresql_where=text("status IN ('open', 'muted')"),
        ),
        Index("ix_lapses_status_opened", "status", "opened_at"),
        # The lapse lists' default order (newest first) across every status.
        Index("ix_lapses_opened_id", "opened_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[str] = mapped_column(String(80), index=True)
    check_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # open | muted | resolved
    scope: Mapped[str] = mapped_column(String(16), default="account", server_default="account")
    platform: Mapped[str] = mapped_column(String(32), default="", server_default="")
    subject: Mapped[str] = mapped_column(String(200), default="", server_default="")
    opened_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    detail: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    muted_until: Mapped[date | None] = mapped_column(Date)
    muted_by: Mapped[str] = mapped_column(String(200), default="")
    mute_reason: Mapped[str] = mapped_column(Text, default="")
    # Write-only: adding an event never loads the lapse's whole history, and the ORM
    # fills lapse_id at flush time, so opening a lapse needs no flush of its own.
    events: WriteOnlyMapped[LapseEvent] = relationship(passive_deletes=True)


class LapseEvent(Base):
    """Every change of a lapse, with who and why."""

    __tablename__ = "lapse_events"
    __table_args__ = (Index("ix_lapse_events_account_at", "account_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lapse_id: Mapped[int | None] = mapped_column(ForeignKey("lapses.id", ondelete="CASCADE"))
    account_id: Mapped[str] = mapped_column(String(80))
    check_id: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[datetime] = mapped_column(index=True)
    # opened | changed | muted | unmuted | resolved | reviewed | attested
    kind: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(200), default="socmon")
    note: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[str] = mapped_column(Text, default="")


class Review(Base):
    """A person marked the account's comments as reviewed."""

    __tablename__ = "reviews"
    __table_args__ = (Index("ix_reviews_account_at", "account_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime]
    by: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16), default="cli")  # cli | web | link


class Attestation(Base):
    """A person confirmed a fact no API exposes."""

    __tablename__ = "attestations"
    __table_args__ = (Index("ix_attestations_account_check_at", "account_id", "check_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[str] = mapped_column(String(80))
    check_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    by: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")


class OutboxMessage(Base):
    """One digest per (kind, recipient, period): the unique row decides who sends it."""

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("kind", "recipient", "period", name="uq_outbox_once"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # daily | weekly
    recipient: Mapped[str] = mapped_column(String(200))
    period: Mapped[str] = mapped_column(String(16))  # 2026-11-23 or 2026-W48
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending|sending|sent|failed
    message_id: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    lapse_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)


class Lease(Base):
    """A named lease with an expiry: one worker at a time runs the scheduler's jobs."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime]
    # Raised at every takeover: a holder's writes carry it, so a holder that lost the lease
    # (frozen past its expiry, then resumed) can tell and writes nothing more.
    generation: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class User(Base):
    """A person who signs in to the web page."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # comms | manager | it
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]


class WebSession(Base):
    """A signed-in browser: ended at sign-out, by `socmon users`, or by its timeouts."""

    __tablename__ = "web_sessions"

    # SHA-256 of the random session id the cookie carries: a copy of this table opens nothing.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # password | oidc | link
    # The role the identity provider's groups gave (oidc sessions of people not in `users`).
    role: Mapped[str] = mapped_column(String(16), default="")
    # A digest link's session acts only on these accounts.
    link_accounts: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    ended_reason: Mapped[str] = mapped_column(String(32), default="")


class LoginAttempt(Base):
    """A failed sign-in, counted per client address and per (address, account) for throttling."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_address_at", "address", "at"),
        Index("ix_login_attempts_pair_at", "address", "account_key", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    address: Mapped[str] = mapped_column(String(64))
    # A keyed hash of the email typed: counts per account without keeping what was typed.
    account_key: Mapped[str] = mapped_column(String(64))


class LinkRevocation(Base):
    """Digest links issued to this email before `revoked_at` no longer open anything."""

    __tablename__ = "link_revocations"

    email: Mapped[str] = mapped_column(String(200), primary_key=True)
    revoked_at: Mapped[datetime]
    revoked_by: Mapped[str] = mapped_column(String(200), default="")


class LinkUse(Base):
    """Each time a digest link is opened or refused: the log of bearer-token use."""

    __tablename__ = "link_uses"
    __table_args__ = (Index("ix_link_uses_email_at", "email", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    email: Mapped[str] = mapped_column(String(200), default="")
    purpose: Mapped[str] = mapped_column(String(16), default="")
    account_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # opened | switched | declined | expired | tampered | revoked
    outcome: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(64), default="")


class PostSync(Base):
    """Per-post sync state: a post's change marker at its last complete read, all comments settled.

    While the marker is unchanged the next cycle skips reading that post's comments again.
    """

    __tablename__ = "post_sync"

    account_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    post_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    marker: Mapped[str] = mapped_column(String(200))
    comments: Mapped[int] = mapped_column(Integer, default=0)
    read_at: Mapped[datetime]


class ImageVerdict(Base):
    """What the logo detector said about one banner or picture URL, and how to ask again.

    Kept so that an image is downloaded and analysed only when it changed: the URL (CDN
    URLs change with the image), the HTTP validators for a conditional request, and the
    content hash (the same picture on many accounts is analysed once).
    """

    __tablename__ = "image_verdicts"

    url_key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the URL
    detector: Mapped[str] = mapped_column(String(64))  # fingerprint of logos and method
    seen: Mapped[bool] = mapped_column(Boolean)
    content_sha256: Mapped[str] = mapped_column(String(64), index=True)
    etag: Mapped[str] = mapped_column(String(200), default="")
    last_modified: Mapped[str] = mapped_column(String(64), default="")
    analysed_at: Mapped[datetime]  # when the detector last ran on this content
    checked_at: Mapped[datetime]  # when the URL was last downloaded or revalidated


class RosterImport(Base):
    """One import of the consent roster: when, how many, and a fingerprint of the key."""

    __tablename__ = "roster_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    imported_at: Mapped[datetime]
    students: Mapped[int] = mapped_column(Integer)
    # HMAC of a fixed label: tells a changed key from a current one, reveals nothing.
    key_check: Mapped[str] = mapped_column(String(64))
    # Most words in any hashed phrase: the longest n-gram the matcher looks up.
    longest: Mapped[int] = mapped_column(Integer, default=1)


class StudentRow(Base):
    """A student as socmon keeps them: id, school, consent; never a name."""

    __tablename__ = "students"

    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school: Mapped[str] = mapped_column(String(200), index=True)
    consent: Mapped[str] = mapped_column(String(16))  # none | first_name | full


class StudentNameKey(Base):
    """A keyed hash (HMAC) of one folded way to write a student's name."""

    __tablename__ = "student_name_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student_id: Mapped[str] = mapped_column(
        ForeignKey("students.student_id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))  # full | first | part
    key_hash: Mapped[str] = mapped_column(String(64))


class PrivacyResolution(Base):
    """A manager's answer to a student_privacy finding: consent on file, or post edited."""

    __tablename__ = "privacy_resolutions"
    __table_args__ = (Index("ix_privacy_resolutions_account", "account_id", "post_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[str] = mapped_column(String(80))
    post_id: Mapped[str] = mapped_column(String(200))
    student_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # consent | edited
    at: Mapped[datetime]
    by: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
