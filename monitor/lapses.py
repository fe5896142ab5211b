"""The lapse lifecycle: a lapse is a change of state, not a row per failing cycle.

opened on the first lapse finding, updated while it persists (never duplicated),
resolved on the next pass, untouched by unknown, reopened as a new lapse if it
fails again. A mute keeps it recorded and it comes back when the mute expires.
Every change is a `LapseEvent`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from checks.base import Finding, Status
from checks.district import DistrictFinding, Subject
from monitor.store.models import OPEN_STATES, CheckState, DistrictState, Lapse, LapseEvent

logger = logging.getLogger(__name__)


@dataclass
class Changes:
    """What one batch of findings did to the lapses (for logs and metrics)."""

    opened: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)
    unmuted: list[int] = field(default_factory=list)
    # Lapses opened but not flushed yet: their ids are known after `settle`.
    pending: list[Lapse] = field(default_factory=list)

    def settle(self, session: Session) -> None:
        """Flush, then record the ids of the lapses opened since the last settle."""
        if not self.pending:
            return
        session.flush()
        for lapse in self.pending:
            self.opened.append(lapse.id)
            logger.info(
                "lapse opened account=%s subject=%s check=%s id=%s",
                lapse.account_id, lapse.subject, lapse.check_id, lapse.id,
            )  # fmt: skip
        self.pending.clear()


def record_findings(
    session: Session,
    account_id: str,
    findings: Sequence[Finding],
    at: datetime,
    *,
    run_id: int | None = None,
    states: dict[str, CheckState] | None = None,
    lapses: dict[str, Lapse] | None = None,
    changes: Changes | None = None,
    flush: bool = True,
) -> Changes:
    """Apply one account's findings. `states`/`lapses` may be preloaded for a batch.

    With `flush=False` the caller settles `changes` once for a whole batch.
    """
    changes = changes or Changes()
    if states is None:
        states = _states(session, [account_id]).get(account_id, {})
    if lapses is None:
        lapses = _open_lapses(session, [account_id]).get(account_id, {})
    for finding in findings:
        _update_state(session, states, account_id, finding, at, run_id)
        current = lapses.get(finding.check_id)
        after = _apply(session, current, finding, at, changes, lambda: Lapse(account_id=account_id))
        if after is None:
            lapses.pop(finding.check_id, None)
        else:
            lapses[finding.check_id] = after
    if flush:
        changes.settle(session)
    return changes


def record_district(
    session: Session,
    findings: Sequence[DistrictFinding],
    at: datetime,
    *,
    changes: Changes | None = None,
) -> Changes:
    """Apply a district check's findings: on the account when the subject is one, else
    on the district-wide subject's own state and lapse (one open lapse per subject+check)."""
    changes = changes or Changes()
    for item in findings:
        subject, finding = item.subject, item.finding
        if subject.account_id:
            record_findings(
                session, subject.account_id, [finding], at, changes=changes, flush=False
            )
            continue
        _update_district_state(session, subject, finding, at)
        current = session.scalars(
            select(Lapse).where(
                Lapse.scope == "district",
                Lapse.platform == subject.platform,
                Lapse.subject == subject.key,
                Lapse.check_id == finding.check_id,
                Lapse.status.in_(OPEN_STATES),
            )
        ).first()
        _apply(session, current, finding, at, changes, partial(_district_lapse, subject))
    changes.settle(session)
    return changes


def _apply(
    session: Session,
    current: Lapse | None,
    finding: Finding,
    at: datetime,
    changes: Changes,
    blank: Callable[[], Lapse],
) -> Lapse | None:
    """One finding's effect on its open lapse (`current`); returns the open lapse after.

    `blank` makes a lapse that says whose it is, should the finding open one.
    """
    if finding.status is Status.LAPSE:
        if current is None:
            lapse = _open(session, blank(), finding, at)
            changes.pending.append(lapse)
            return lapse
        _persist(session, current, finding, at, changes)
        return current
    if finding.status is Status.PASS and current is not None:
        _resolve(session, current, at)
        changes.resolved.append(current.id)
        return None
    # UNKNOWN: the platform could not tell; the lapse stays exactly as it was.
    return current


def _district_lapse(subject: Subject) -> Lapse:
    return Lapse(account_id="", scope="district", platform=subject.platform, subject=subject.key)


def _update_district_state(
    session: Session, subject: Subject, finding: Finding, at: datetime
) -> None:
    key = (finding.check_id, subject.platform, subject.key)
    state = session.get(DistrictState, key)
    if state is None:
        state = DistrictState(
            check_id=finding.check_id, platform=subject.platform, subject=subject.key, since=at
        )
        session.add(state)
    elif state.status != finding.status.value:
        state.since = at
    state.status = finding.status.value
    state.detail = finding.detail
    state.evidence = dict(finding.evidence)
    state.checked_at = at


def _update_state(
    session: Session,
    states: dict[str, CheckState],
    account_id: str,
    finding: Finding,
    at: datetime,
    run_id: int | None,
) -> None:
    state = states.get(finding.check_id)
    evidence = dict(finding.evidence)
    if state is None:
        state = CheckState(
            account_id=account_id,
            check_id=finding.check_id,
            status=finding.status.value,
            detail=finding.detail,
            evidence=evidence,
            since=at,
            checked_at=at,
            run_id=run_id,
        )
        session.add(state)
        states[finding.check_id] = state
        return
    if state.status != finding.status.value:
        state.since = at
    state.status = finding.status.value
    state.detail = finding.detail
    state.evidence = evidence
    state.checked_at = at
    state.run_id = run_id


def _open(session: Session, lapse: Lapse, finding: Finding, at: datetime) -> Lapse:
    lapse.check_id = finding.check_id
    lapse.status = "open"
    lapse.opened_at = at
    lapse.last_seen_at = at
    lapse.detail = finding.detail
    lapse.evidence = dict(finding.evidence)
    session.add(lapse)
    _event(session, lapse, "opened", at, detail=finding.detail)
    return lapse


def _persist(
    session: Session, lapse: Lapse, finding: Finding, at: datetime, changes: Changes
) -> None:
    lapse.last_seen_at = at
    if lapse.status == "muted" and lapse.muted_until is not None and lapse.muted_until < at.date():
        _unmute(session, lapse, at)
        changes.unmuted.append(lapse.id)
    if finding.detail != lapse.detail:
        # Keep the history of what changed (e.g. more unanswered comments), not every sighting.
        _event(session, lapse, "changed", at, detail=finding.detail)
        lapse.detail = finding.detail
    lapse.evidence = dict(finding.evidence)


def _resolve(session: Session, lapse: Lapse, at: datetime) -> None:
    lapse.status = "resolved"
    lapse.resolved_at = at
    _event(session, lapse, "resolved", at, detail="the check passed")
    logger.info(
        "lapse resolved account=%s check=%s id=%s", lapse.account_id, lapse.check_id, lapse.id
    )


def _unmute(session: Session, lapse: Lapse, at: datetime) -> None:
    lapse.status = "open"
    _event(session, lapse, "unmuted", at, note=f"mute expired on {lapse.muted_until}")


def _event(
    session: Session,
    lapse: Lapse,
    kind: str,
    at: datetime,
    *,
    actor: str = "socmon",
    note: str = "",
    detail: str = "",
) -> None:
    lapse.events.add(
        LapseEvent(
            account_id=lapse.account_id,
            check_id=lapse.check_id,
            at=at,
            kind=kind,
            actor=actor,
            note=note,
            detail=detail,
        )
    )


class LapseNotFound(LookupError):
    """No such lapse, or it is already resolved."""


def mute_lapse(
    session: Session, lapse_id: int, *, reason: str, by: str, until: date, at: datetime
) -> Lapse:
    """Mute an open lapse until `until` (inclusive); it is kept and reported again after."""
    lapse = session.get(Lapse, lapse_id)
    if lapse is None or lapse.status not in OPEN_STATES:
        raise LapseNotFound(f"lapse {lapse_id} is not open")
    lapse.status = "muted"
    lapse.muted_until = until
    lapse.muted_by = by
    lapse.mute_reason = reason
    _event(session, lapse, "muted", at, actor=by, note=f"until {until}: {reason}")
    return lapse


def expire_mutes(session: Session, at: datetime) -> list[int]:
    """Reopen every lapse whose mute ended before today, even if it was not re-checked."""
    rows = session.scalars(
        select(Lapse).where(Lapse.status == "muted", Lapse.muted_until < at.date())
    ).all()
    for lapse in rows:
        _unmute(session, lapse, at)
    return [lapse.id for lapse in rows]


def _states(session: Session, account_ids: Iterable[str]) -> dict[str, dict[str, CheckState]]:
    out: dict[str, dict[str, CheckState]] = {}
    for state in session.scalars(select(CheckState).where(CheckState.account_id.in_(account_ids))):
        out.setdefault(state.account_id, {})[state.check_id] = state
    return out


def _open_lapses(session: Session, account_ids: Iterable[str]) -> dict[str, dict[str, Lapse]]:
    out: dict[str, dict[str, Lapse]] = {}
    query = select(Lapse).where(Lapse.account_id.in_(account_ids), Lapse.status.in_(OPEN_STATES))
    for lapse in session.scalars(query):
        out.setdefault(lapse.account_id, {})[lapse.check_id] = lapse
    return out


def preload(
    session: Session, account_ids: Sequence[str]
) -> tuple[dict[str, dict[str, CheckState]], dict[str, dict[str, Lapse]]]:
    """Current states and open lapses for a batch of accounts, in two queries."""
    return _states(session, account_ids), _open_lapses(session, account_ids)
