"""The district directory in the database: mirrors the registry, adds what people recorded."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from checks.base import AccountView
from monitor.registry import Account
from monitor.store.models import AccountRow, Attestation, Review

logger = logging.getLogger(__name__)
SYNC_CHUNK = 500


def sync_accounts(session: Session, accounts: Sequence[Account], at: datetime) -> None:
    """Upsert every registered account; accounts gone from the registry become inactive.

    Works in chunks and releases each chunk's rows, so a large registry is never held
    twice (registry and ORM rows) in memory.
    """
    registered = {a.id for a in accounts}
    for start in range(0, len(accounts), SYNC_CHUNK):
        chunk = accounts[start : start + SYNC_CHUNK]
        rows = {
            row.id: row
            for row in session.scalars(
                select(AccountRow).where(AccountRow.id.in_([a.id for a in chunk]))
            )
        }
        for account in chunk:
            _upsert(session, rows.get(account.id), account, at)
        session.flush()
        session.expunge_all()
    active = session.scalars(select(AccountRow.id).where(AccountRow.active.is_(True))).all()
    gone = [account_id for account_id in active if account_id not in registered]
    for start in range(0, len(gone), SYNC_CHUNK):
        session.execute(
            update(AccountRow)
            .where(AccountRow.id.in_(gone[start : start + SYNC_CHUNK]))
            .values(active=False, updated_at=at)
        )
    for account_id in gone:
        logger.info("account removed from the registry account=%s", account_id)


def _upsert(session: Session, row: AccountRow | None, account: Account, at: datetime) -> None:
    data = account.model_dump(mode="json")
    if row is None:
        session.add(
            AccountRow(
                id=account.id,
                platform=account.platform,
                platform_id=account.platform_id,
                school=account.school,
                kind=account.kind,
                audience=account.audience,
                managers=list(account.managers),
                data=data,
                active=True,
                registered_at=at,
                updated_at=at,
                fetch_status="new",
                last_error="",
            )
        )
    elif row.data != data or not row.active:
        row.platform, row.platform_id = account.platform, account.platform_id
        row.school, row.kind, row.audience = account.school, account.kind, account.audience
        row.managers, row.data, row.active, row.updated_at = list(account.managers), data, True, at


@dataclass(frozen=True)
class AccountFacts:
    """What people recorded per account: the latest review and attestation of each check."""

    reviewed: dict[str, datetime]
    attested: dict[str, dict[str, datetime]]

    def view(self, account: Account) -> AccountView:
        """The account's check view with its latest review and attestations filled in.

        Built when the account is checked, so a cycle never holds every account's view.
        """
        return replace(
            account.view(),
            last_reviewed_at=self.reviewed.get(account.id),
            attestations=self.attested.get(account.id, {}),
        )


def account_facts(session: Session) -> AccountFacts:
    """The latest review of each account and attestation of each (account, check)."""
    reviewed = {
        account_id: _aware(at)
        for account_id, at in session.execute(
            select(Review.account_id, func.max(Review.at)).group_by(Review.account_id)
        )
    }
    attested: dict[str, dict[str, datetime]] = {}
    query = select(Attestation.account_id, Attestation.check_id, func.max(Attestation.at)).group_by(
        Attestation.account_id, Attestation.check_id
    )
    for account_id, check_id, at in session.execute(query):
        attested.setdefault(account_id, {})[check_id] = _aware(at)
    return AccountFacts(reviewed, attested)


def _aware(value: datetime) -> datetime:
    # Stored values are UTC; guard against a driver that hands back a naive one.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
