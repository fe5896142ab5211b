"""Read queries of the account, school and directory pages; scoped by `scope` in SQL."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from monitor.store.models import (
    OPEN_STATES,
    AccountRow,
    Attestation,
    CheckState,
    Lapse,
    LapseEvent,
    Review,
)
from socmon.web.auth import Viewer
from socmon.web.queries import account_search
from socmon.web.scope import account_condition

TIMELINE_PAGE = 200
ACCOUNT_LAPSES = 100  # open ones first, then the newest; the overview has them all
DIRECTORY_PAGE = 100


@dataclass(frozen=True, slots=True)
class AccountPage:
    """Everything the account page shows."""

    account: AccountRow
    states: list[CheckState]
    lapses: list[Lapse]
    lapse_total: int
    events: list[LapseEvent]
    event_total: int
    last_review: Review | None
    attestations: dict[str, Attestation]

    @property
    def event_pages(self) -> int:
        return max(1, -(-self.event_total // TIMELINE_PAGE))


def account_page(session: Session, account: AccountRow, page: int = 1) -> AccountPage:
    """The account's checks, its open and recent lapses and one page of its timeline."""
    aid = account.id
    states = list(session.scalars(select(CheckState).where(CheckState.account_id == aid)))
    lapses = list(
        session.scalars(
            select(Lapse)
            .where(Lapse.account_id == aid)
            .order_by(Lapse.status.in_(OPEN_STATES).desc(), Lapse.opened_at.desc())
            .limit(ACCOUNT_LAPSES)
        )
    )
    lapse_total = session.execute(
        select(func.count()).select_from(Lapse).where(Lapse.account_id == aid)
    ).scalar_one()
    events = list(
        session.scalars(
            select(LapseEvent)
            .where(LapseEvent.account_id == aid)
            .order_by(LapseEvent.at.desc(), LapseEvent.id.desc())
            .limit(TIMELINE_PAGE)
            .offset((page - 1) * TIMELINE_PAGE)
        )
    )
    event_total = session.execute(
        select(func.count()).select_from(LapseEvent).where(LapseEvent.account_id == aid)
    ).scalar_one()
    last_review = session.scalars(
        select(Review).where(Review.account_id == aid).order_by(Review.at.desc()).limit(1)
    ).first()
    attestations: dict[str, Attestation] = {}
    for att in session.scalars(
        select(Attestation).where(Attestation.account_id == aid).order_by(Attestation.at)
    ):
        attestations[att.check_id] = att  # the newest wins
    return AccountPage(
        account=account,
        states=states,
        lapses=lapses,
        lapse_total=int(lapse_total),
        events=events,
        event_total=int(event_total),
        last_review=last_review,
        attestations=attestations,
    )


def _open_count() -> ColumnElement[int]:
    return (
        select(func.count())
        .where(Lapse.account_id == AccountRow.id, Lapse.status.in_(OPEN_STATES))
        .correlate(AccountRow)
        .scalar_subquery()
    )


def _unknown_count() -> ColumnElement[int]:
    return (
        select(func.count())
        .where(CheckState.account_id == AccountRow.id, CheckState.status == "unknown")
        .correlate(AccountRow)
        .scalar_subquery()
    )


def school_accounts(
    session: Session, viewer: Viewer, school: str
) -> list[tuple[AccountRow, int, int]]:
    """The school's visible accounts with their open lapse and unknown check counts."""
    rows = session.execute(
        select(AccountRow, _open_count(), _unknown_count())
        .where(AccountRow.school == school, account_condition(session, viewer))
        .order_by(AccountRow.active.desc(), AccountRow.id)
    ).all()
    return [(a, o, u) for a, o, u in rows]


@dataclass(frozen=True, slots=True)
class Directory:
    """One page of the directory: accounts with open-lapse and unknown counts, and the total."""

    rows: list[tuple[AccountRow, int, int]]
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // DIRECTORY_PAGE))


def directory(
    session: Session, viewer: Viewer, school: str, platform: str, q: str, page: int
) -> Directory:
    """Registered accounts (active first, then by school), one page, with exact counts."""
    conds: list[ColumnElement[bool]] = [account_condition(session, viewer)]
    if school:
        conds.append(AccountRow.school == school)
    if platform:
        conds.append(AccountRow.platform == platform)
    if q:
        conds.append(account_search(q))
    rows = session.execute(
        select(AccountRow, _open_count(), _unknown_count())
        .where(*conds)
        .order_by(AccountRow.active.desc(), AccountRow.school, AccountRow.id)
        .limit(DIRECTORY_PAGE)
        .offset((page - 1) * DIRECTORY_PAGE)
    ).all()
    total = session.execute(select(func.count()).select_from(AccountRow).where(*conds))
    return Directory([(a, o, u) for a, o, u in rows], int(total.scalar_one()))


def choices(session: Session, viewer: Viewer) -> tuple[list[str], list[str]]:
    """The schools and platforms the viewer can filter on."""
    cond = account_condition(session, viewer)
    schools = session.scalars(
        select(AccountRow.school).where(cond).distinct().order_by(AccountRow.school)
    ).all()
    platforms = session.scalars(
        select(AccountRow.platform).where(cond).distinct().order_by(AccountRow.platform)
    ).all()
    return list(schools), list(platforms)
