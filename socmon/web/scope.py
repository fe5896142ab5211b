"""Who may see which account, as SQL: every query the web page runs goes through here.

Comms and IT see every account; a manager sees the accounts whose registry entry lists
their email among the managers; a digest link narrows that further to the accounts it
names. The condition is part of each query, so a forgotten check in a template cannot
leak another school's account.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, cast, exists, false, func, select, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from monitor.store.models import AccountRow
from socmon.web.auth import Viewer


def managed_by(session: Session, email: str) -> ColumnElement[bool]:
    """True for accounts whose `managers` JSON list contains `email`."""
    email = email.strip().lower()
    if session.get_bind().dialect.name == "postgresql":
        return cast(AccountRow.managers, JSONB).contains([email])
    # SQLite: look inside the JSON array rather than matching its text.
    members = func.json_each(AccountRow.managers).table_valued("value")
    return exists().select_from(members).where(members.c.value == email)


def account_condition(session: Session, viewer: Viewer) -> ColumnElement[bool]:
    """A condition on `AccountRow` that keeps only what `viewer` may see."""
    if viewer.sees_all:
        return true()
    if viewer.role not in ("manager", "comms", "it"):
        return false()
    cond = managed_by(session, viewer.email) if viewer.role == "manager" else true()
    if viewer.link_accounts is not None:
        # A link acts only for its recipient, and only while they still manage the account.
        cond = managed_by(session, viewer.email) & AccountRow.id.in_(viewer.link_accounts)
    return cond


def visible_ids(session: Session, viewer: Viewer) -> Select[str]:
    """A subquery of the account ids `viewer` may see."""
    return select(AccountRow.id).where(account_condition(session, viewer))


def get_account(session: Session, viewer: Viewer, account_id: str) -> AccountRow | None:
    """The account if it exists and `viewer` may see it; None otherwise (answered as 404)."""
    query = select(AccountRow).where(
        AccountRow.id == account_id, account_condition(session, viewer)
    )
    return session.scalars(query).first()


# The school label of district-wide lapses (no directory row: credential-<platform>,
# unregistered-<platform>-<id>); the same label as the CLI export and the digest.
DISTRICT_SCHOOL = "(district)"
DISTRICT_PREFIXES = ("credential-", "unregistered-")


def district_wide() -> ColumnElement[bool]:
    """Lapses on a district-wide pseudo-account (outer-joined: no directory row)."""
    return AccountRow.id.is_(None)


def district_platform(pseudo_account_id: str) -> str:
    """credential-facebook / unregistered-facebook-123 -> facebook."""
    parts = pseudo_account_id.split("-")
    return parts[1] if len(parts) > 1 else ""
