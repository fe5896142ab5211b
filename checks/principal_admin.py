"""The principal (or an assistant principal) named in the registry is an admin of the account."""

from __future__ import annotations

import re

from checks.base import (
    CRPS,
    AccountView,
    CheckOptions,
    Citation,
    Finding,
    Principal,
    Status,
    check,
    unexposed,
)
from connectors.base import AccountSnapshot, Admin, Fact

_NOT_WORD = re.compile(r"[\W_]+")


def _norm_name(name: str) -> str:
    """Lower-case, punctuation-free, single-spaced name ("Lee, Dana." -> "lee dana")."""
    return " ".join(_NOT_WORD.sub(" ", name.casefold()).split())


def _same_person(principal: Principal, admin: Admin) -> bool:
    """Match by user id when both have one, else by email, else by normalised name."""
    # The strongest identifier both sides carry decides: a differing user id is not rescued by
    # a matching name (two people can share a name).
    if principal.user_id and admin.user_id:
        return principal.user_id == admin.user_id
    if principal.email and admin.email:
        return principal.email.strip().casefold() == admin.email.strip().casefold()
    name = _norm_name(principal.name)
    return bool(name) and name == _norm_name(admin.name)


@check(
    id="principal_admin",
    title="The principal is an admin",
    clauses=(Citation(CRPS, "4.b"),),
    remediation=(
        "Add the principal or an assistant principal as an admin of the account, "
        "and record them in the accounts registry."
    ),
    severity="medium",
    reads=(Fact.ADMINS,),
)
def principal_admin(
    account: AccountView, snapshot: AccountSnapshot, options: CheckOptions
) -> Finding:
    """Lapse when no registered principal is among the account's admins."""
    who = account.account_id
    # Unexposed comes first: a lapse opened for a registry gap on a platform that never lists
    # admins could never resolve once the registry is fixed (unknown does not resolve).
    if not snapshot.exposes(Fact.ADMINS):
        return unexposed("principal_admin", account, snapshot, Fact.ADMINS)
    evidence: dict[str, object] = {
        "principals": [p.name for p in account.principals],
        "admins": len(snapshot.admins),
    }
    if not account.principals:
        return Finding(
            "principal_admin",
            Status.LAPSE,
            f"{who}: the accounts registry names no principal who must be an admin.",
            evidence,
        )
    for principal in account.principals:
        for admin in snapshot.admins:
            if _same_person(principal, admin):
                evidence["matched"] = principal.name
                return Finding(
                    "principal_admin",
                    Status.PASS,
                    f"{who}: {principal.name} is an admin of the account.",
                    evidence,
                )
    names = " or ".join(p.name for p in account.principals)
    return Finding(
        "principal_admin",
        Status.LAPSE,
        f"{who}: {names} is not among the account's {len(snapshot.admins)} admins.",
        evidence,
    )
