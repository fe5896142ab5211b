"""Attestations: a person confirms a fact no API exposes, for `attest_every_days`.

`attest` validates the request (the account is registered, the check is attested on
its platform, the person has a district email) and records it with
`monitor.actions.record_attestation`; the next cycle's finding reads it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from checks import ALL_CHECKS
from checks.capabilities import MODE_LABELS, Mode, capability
from monitor.actions import MAX_NOTE, record_attestation
from monitor.errors import UserError
from monitor.registry import Account, in_domains, valid_email
from monitor.store.models import Attestation


def attestable(account: Account) -> list[str]:
    """Check ids a person attests on this account's platform."""
    return [
        spec.id
        for spec in ALL_CHECKS
        if capability(account.platform, spec.id).mode is Mode.ATTESTED
    ]


def validate(
    accounts: Sequence[Account],
    account_id: str,
    check_id: str,
    by: str,
    note: str,
    email_domains: Sequence[str],
) -> tuple[Account, str]:
    """The account and normalised email, or UserError naming what is wrong."""
    account = next((a for a in accounts if a.id == account_id), None)
    if account is None:
        raise UserError.one("ACCOUNT", account_id, "no such account in the registry")
    if check_id not in {spec.id for spec in ALL_CHECKS}:
        raise UserError.one("CHECK", check_id, "unknown check (see 'socmon checks')")
    mode = capability(account.platform, check_id).mode
    if mode is not Mode.ATTESTED:
        allowed = ", ".join(attestable(account)) or "none"
        raise UserError.one(
            "CHECK",
            check_id,
            f"is {MODE_LABELS[mode]} on {account.platform}, not attested "
            f"(attestable there: {allowed})",
        )
    try:
        email = valid_email(by)
    except ValueError as exc:
        raise UserError.one("--by", by, str(exc)) from None
    if not in_domains(email, email_domains):
        raise UserError.one("--by", email, "must be a district email address")
    if len(note) > MAX_NOTE:
        raise UserError.one("--note", "", f"is longer than {MAX_NOTE} characters")
    return account, email


def attest(
    session: Session,
    accounts: Sequence[Account],
    account_id: str,
    check_id: str,
    *,
    by: str,
    note: str,
    at: datetime,
    email_domains: Sequence[str],
) -> Attestation:
    """Validate and record one attestation (an Attestation row and an 'attested' event)."""
    account, email = validate(accounts, account_id, check_id, by, note, email_domains)
    return record_attestation(session, account.id, check_id, email, note, at)


def latest_attesters(session: Session) -> dict[str, dict[str, str]]:
    """Account id -> check id -> who made the latest attestation (for 'attested by X')."""
    latest = (
        select(
            Attestation.account_id,
            Attestation.check_id,
            func.max(Attestation.at).label("at"),
        )
        .group_by(Attestation.account_id, Attestation.check_id)
        .subquery()
    )
    query = select(Attestation.account_id, Attestation.check_id, Attestation.by).join(
        latest,
        (Attestation.account_id == latest.c.account_id)
        & (Attestation.check_id == latest.c.check_id)
        & (Attestation.at == latest.c.at),
    )
    out: dict[str, dict[str, str]] = {}
    for account_id, check_id, by in session.execute(query):
        out.setdefault(account_id, {})[check_id] = by
    return out
