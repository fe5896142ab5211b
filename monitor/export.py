"""Lapse listings shared by the CLI and exports: one query, one row shape."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from checks.district import Subject
from monitor.csv_io import FORMULA_START, safe_cell, write_csv
from monitor.store.models import OPEN_STATES, AccountRow, Lapse

__all__ = ["FORMULA_START", "LAPSE_COLUMNS", "LapseRow", "lapse_query", "lapse_rows", "safe_cell"]


@dataclass(frozen=True, slots=True)
class LapseRow:
    id: int
    account_id: str
    school: str
    platform: str
    check_id: str
    status: str
    opened_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None
    detail: str
    muted_until: str
    muted_by: str
    mute_reason: str
    # "account", or "district" for a lapse no account stands for (then account_id is "").
    scope: str = "account"
    subject: str = ""  # district-wide: what it is about ("facebook credential")


def lapse_query(
    *,
    open_only: bool = False,
    school: str | None = None,
    account_id: str | None = None,
    check_id: str | None = None,
    account_ids: Sequence[str] | None = None,
) -> Select[Lapse, AccountRow | None]:
    # Outer join: district-wide lapses (credentials, unregistered pages) have no account.
    query = select(Lapse, AccountRow).outerjoin(AccountRow, AccountRow.id == Lapse.account_id)
    if account_ids is not None:
        query = query.where(Lapse.account_id.in_(account_ids))
    if open_only:
        query = query.where(Lapse.status.in_(OPEN_STATES))
    if school:
        query = query.where(AccountRow.school == school)
    if account_id:
        query = query.where(Lapse.account_id == account_id)
    if check_id:
        query = query.where(Lapse.check_id == check_id)
    return query.order_by(AccountRow.school, Lapse.account_id, Lapse.opened_at, Lapse.id)


def lapse_rows(session: Session, query: Select[Lapse, AccountRow | None]) -> list[LapseRow]:
    return [
        LapseRow(
            id=lapse.id,
            account_id=lapse.account_id,
            school=account.school if account else DISTRICT,
            platform=account.platform if account else lapse.platform,
            check_id=lapse.check_id,
            status=lapse.status,
            opened_at=lapse.opened_at,
            last_seen_at=lapse.last_seen_at,
            resolved_at=lapse.resolved_at,
            detail=lapse.detail,
            muted_until=str(lapse.muted_until or ""),
            muted_by=lapse.muted_by,
            mute_reason=lapse.mute_reason,
            scope=lapse.scope,
            subject=Subject(lapse.platform, lapse.subject).label
            if lapse.scope == "district"
            else "",
        )
        for lapse, account in session.execute(query).tuples()
    ]


DISTRICT = "(district)"


def to_csv(rows: Iterable[object], columns: Sequence[str]) -> str:
    """Rows (dataclasses or mappings) as CSV in these columns, formula cells neutralised."""

    def cells(row: object) -> list[object]:
        data = asdict(row) if hasattr(row, "__dataclass_fields__") else dict(row)  # type: ignore[call-overload]
        return [data[c] for c in columns]

    return write_csv(columns, (cells(r) for r in rows))


LAPSE_COLUMNS = tuple(LapseRow.__dataclass_fields__)
