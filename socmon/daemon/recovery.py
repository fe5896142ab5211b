"""What a process that died left half-done, put right by the one that takes the lease.

A cycle still `running` was cut short (its process was killed, or lost its database
before it could say so): it is recorded as incomplete. A digest still `sending` was
being delivered when its process stopped: it goes back to pending at once, rather than
waiting for its claim to expire (the same Message-ID lets mail clients tell a repeat).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update

from monitor.context import App
from monitor.store.db import transaction
from monitor.store.models import Cycle, OutboxMessage

logger = logging.getLogger(__name__)

CUT_SHORT = "the process checking it stopped before the end of the cycle"


@dataclass(frozen=True)
class Recovered:
    cycles: int
    digests: int


def recover(app: App, now: datetime) -> Recovered:
    """Close cycles left running and release digests left sending; called on taking the lease."""
    with transaction(app.sessions) as session:
        cycles = session.execute(
            update(Cycle)
            .where(Cycle.status == "running", Cycle.started_at <= now)
            .values(status="incomplete", finished_at=now, reason=CUT_SHORT)
            .execution_options(synchronize_session=False)
        )
        digests = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == "sending")
            .values(
                status="pending",
                claimed_until=None,
                next_attempt_at=now,
                # The interrupted attempt does not count: it never got an answer.
                attempts=OutboxMessage.attempts - 1,
            )
            .execution_options(synchronize_session=False)
        )
    done = Recovered(cycles.rowcount, digests.rowcount)  # type: ignore[attr-defined]
    if done.cycles or done.digests:
        logger.warning(
            "recovered after an interrupted process",
            extra={"cycles_incomplete": done.cycles, "digests_requeued": done.digests},
        )
    return done
