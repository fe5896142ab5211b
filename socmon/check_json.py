"""`socmon check --format json`: every verdict of the cycle, in the shape of the shipped schema.

The schema (socmon/schemas/check-report.schema.json) is the contract other tools
read against; timestamps are ISO 8601 with a `T` and a UTC offset.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from monitor.export import LapseRow
from monitor.store.models import CheckState, Cycle

logger = logging.getLogger(__name__)

SCHEMA_PATH = Path(__file__).parent / "schemas" / "check-report.schema.json"
SCHEMA_ID = "socmon-check-report/1"
# District findings (credentials, unregistered pages) are kept on these pseudo-accounts.
PSEUDO_PREFIXES = ("credential-", "unregistered-")


def iso(moment: datetime) -> str:
    """ISO 8601 with a T: 2026-11-30T13:00:00+00:00."""
    return moment.isoformat()


def _verdict(state: CheckState) -> dict[str, Any]:
    evidence = dict(state.evidence or {})
    coverage = evidence.get("coverage")
    return {
        "account": state.account_id,
        "check": state.check_id,
        "status": state.status,
        "detail": state.detail,
        "evidence": evidence,
        "coverage": coverage if isinstance(coverage, dict) else {},
        "checked_at": iso(state.checked_at),
        "since": iso(state.since),
    }


def _lapse(row: LapseRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "account": row.account_id,
        "school": row.school,
        "platform": row.platform,
        "check": row.check_id,
        "status": row.status,
        "opened_at": iso(row.opened_at),
        "last_seen_at": iso(row.last_seen_at),
        "detail": row.detail,
        "muted_until": row.muted_until,
        "muted_by": row.muted_by,
        "mute_reason": row.mute_reason,
    }


@dataclass(frozen=True, slots=True)
class CycleSummary:
    """What the cycle itself reports: its outcome and counts."""

    cycle_id: int
    status: str  # complete | incomplete | failed
    reason: str
    accounts: int
    ok: int
    failed: int
    errors: Mapping[str, int]
    credential_lapses: int


def check_report(
    session: Session,
    cycle: CycleSummary,
    account_ids: Sequence[str],
    lapses: Sequence[LapseRow],
) -> dict[str, Any]:
    """The report of one cycle: its outcome, every verdict it recorded, the lapses still open."""
    row = session.get(Cycle, cycle.cycle_id)
    if row is None:
        raise LookupError(f"cycle {cycle.cycle_id} is not stored")
    started = row.started_at
    finished = row.finished_at or started
    district = or_(*(CheckState.account_id.startswith(p) for p in PSEUDO_PREFIXES))
    query = (
        select(CheckState)
        .where(
            or_(CheckState.account_id.in_(account_ids), district),
            CheckState.checked_at >= started,
        )
        .order_by(CheckState.account_id, CheckState.check_id)
    )
    return {
        "schema": SCHEMA_ID,
        "cycle": cycle.cycle_id,
        "status": cycle.status,
        "reason": cycle.reason,
        "started_at": iso(started),
        "finished_at": iso(finished),
        "accounts": cycle.accounts,
        "ok": cycle.ok,
        "failed": cycle.failed,
        "errors": dict(cycle.errors),
        "credential_lapses": cycle.credential_lapses,
        "verdicts": [_verdict(s) for s in session.scalars(query)],
        "open_lapses": [_lapse(r) for r in lapses],
    }
