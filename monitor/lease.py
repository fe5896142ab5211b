"""One `socmon run` at a time does the work: a lease row with an expiry, renewed while running.

Taking the lease is two portable statements, each in its own transaction:

1. `UPDATE leases SET holder=me, expires_at=… WHERE name=… AND (holder=me OR expires_at <= now)`
   renews our own lease or takes over an expired one. On PostgreSQL a concurrent
   UPDATE of the same row waits for the first to commit and then re-checks the WHERE
   against the new row, so only one of two contenders sees rowcount 1. On SQLite the
   writer's BEGIN IMMEDIATE (monitor.store.db) serialises the two outright.
2. Only when no row matched: `INSERT` the row. The primary key on `name` makes a second
   inserter fail with IntegrityError, which means someone else holds the lease.

A process without the lease stays up as a standby and takes over when the holder's
lease expires (it crashed) or is released (clean shutdown).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import case, or_, select, update
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from monitor.context import Clock, utcnow
from monitor.cycle_record import Fenced
from monitor.store.db import transaction
from monitor.store.faults import describe
from monitor.store.models import Lease

logger = logging.getLogger(__name__)

NAME = "scheduler"
# A crashed holder is replaced within LEASE_SECONDS; a live one renews three times as often.
LEASE_SECONDS = 90
RENEW_SECONDS = 30


def holder_id() -> str:
    """host:pid:random, unique per process even across PID reuse."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def try_acquire(
    sessions: sessionmaker[Session], name: str, holder: str, now: datetime, ttl: timedelta
) -> bool:
    """Take or renew the lease until now + ttl; False when another holder's lease is valid."""
    expires = now + ttl
    # A takeover raises the generation; renewing our own lease keeps it (see LeaseFence).
    generation = case((Lease.holder == holder, Lease.generation), else_=Lease.generation + 1)
    with transaction(sessions) as session:
        renewed = session.execute(
            update(Lease)
            .where(Lease.name == name, or_(Lease.holder == holder, Lease.expires_at <= now))
            .values(holder=holder, expires_at=expires, generation=generation)
            .execution_options(synchronize_session=False)
        )
        if renewed.rowcount == 1:  # type: ignore[attr-defined]
            return True
    try:
        with transaction(sessions) as session:
            session.add(Lease(name=name, holder=holder, expires_at=expires))
    except IntegrityError:
        return False
    return True


def release(sessions: sessionmaker[Session], name: str, holder: str, now: datetime) -> None:
    """Give the lease up at once (clean shutdown) so a standby need not wait for the expiry."""
    with transaction(sessions) as session:
        session.execute(
            update(Lease)
            .where(Lease.name == name, Lease.holder == holder)
            .values(expires_at=now)
            .execution_options(synchronize_session=False)
        )


def current(sessions: sessionmaker[Session], name: str = NAME) -> Lease | None:
    """The lease row as stored (for `socmon status`)."""
    with sessions() as session:
        return session.scalars(select(Lease).where(Lease.name == name)).first()


@dataclass
class LeaseKeeper:
    """Holds the scheduler lease for this process; jobs run only while `held()` is true."""

    sessions: sessionmaker[Session]
    name: str = NAME
    holder: str = field(default_factory=holder_id)
    ttl: timedelta = timedelta(seconds=LEASE_SECONDS)
    clock: Clock = utcnow
    _held_until: datetime | None = None
    _standby: bool = False
    # The database error of the last renewal, "" when it reached the database.
    last_error: str = ""
    # The lease's generation when we took it: our writes are valid only while it is unchanged.
    generation: int | None = None

    def renew(self) -> bool:
        """Take or renew the lease; logs only when this process gains or loses it."""
        now = self.clock()
        try:
            ok = try_acquire(self.sessions, self.name, self.holder, now, self.ttl)
        except (OperationalError, InterfaceError) as exc:
            # The database is away: keep running jobs only until our lease would expire.
            self.last_error = describe(exc)
            logger.warning("lease renewal failed", extra={"error": type(exc).__name__})
            return self.held()
        self.last_error = ""
        was_held = self.held()
        self._held_until = now + self.ttl if ok else None
        if ok and (not was_held or self.generation is None):
            row = current(self.sessions, self.name)
            self.generation = row.generation if row is not None else None
        elif not ok:
            self.generation = None
        if ok and not was_held:
            logger.info("lease taken", extra={"lease": self.name, "holder": self.holder})
        elif not ok and (was_held or not self._standby):
            # Said once per change: a standby renews every RENEW_SECONDS.
            logger.warning(
                "lease held by another process; standing by",
                extra={"lease": self.name, "holder": self.holder},
            )
        self._standby = not ok
        return ok

    def held(self) -> bool:
        """True while our last successful renewal has not expired."""
        return self._held_until is not None and self.clock() < self._held_until

    def release(self) -> None:
        """Give the lease up if we hold it."""
        if self._held_until is None:
            return
        try:
            release(self.sessions, self.name, self.holder, self.clock())
        except OperationalError as exc:
            logger.warning("lease release failed", extra={"error": type(exc).__name__})
        self._held_until = None
        logger.info("lease released", extra={"lease": self.name, "holder": self.holder})


class LeaseFence:
    """The cycle's fence: writes carry the lease's generation, and stop once it moved on."""

    def __init__(self, keeper: LeaseKeeper) -> None:
        self.keeper = keeper
        self.generation = keeper.generation

    def held(self) -> bool:
        """Cheap, local: our lease has not expired (workers take no new account otherwise)."""
        return self.keeper.held()

    def check(self, session: Session) -> None:
        """Inside a write transaction: raise Fenced unless the lease is still ours, unchanged.

        FOR SHARE on PostgreSQL makes a concurrent takeover wait for this transaction; on
        SQLite the writer's BEGIN IMMEDIATE already keeps it out.
        """
        row = session.execute(
            select(Lease.holder, Lease.generation)
            .where(Lease.name == self.keeper.name)
            .with_for_update(read=True)
        ).first()
        if row is None or row.holder != self.keeper.holder or row.generation != self.generation:
            taker = row.holder if row is not None else "nobody"
            raise Fenced(f"the lease was taken over by {taker}: this process writes nothing more")
