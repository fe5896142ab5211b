"""Who hears about what: one `recipients_for` decides, the digests only follow it."""

from __future__ import annotations

from enum import StrEnum

from checks import get
from checks.base import CheckSpec
from monitor.registry import Account
from monitor.settings import Settings


class Role(StrEnum):
    """Why a recipient sees an account (decides which of its lapses they get)."""

    MANAGER = "manager"  # every lapse of an account they manage
    PRINCIPAL = "principal"  # only lapses open past escalate_after_days
    IT = "it"  # connector health and unreadable accounts
    COMMUNICATIONS = "communications"  # checks whose audience is communications


def spec_for(check_id: str) -> CheckSpec | None:
    """The registered check, or None for an operational lapse (e.g. connector health)."""
    try:
        return get(check_id)
    except KeyError:
        return None


def audience_of(check_id: str) -> str:
    # A lapse no policy check declares is operational (connector health): it goes to IT.
    spec = spec_for(check_id)
    return spec.audience if spec is not None else "it"


def recipients_for(
    account: Account | None, audience: str, settings: Settings, *, escalated: bool = False
) -> list[tuple[str, Role]]:
    """The addresses told about a lapse of `account` with this audience, with their role.

    `account` is None for a district-wide lapse: it has no managers or principals.
    """
    district = settings.district
    if audience == "it":
        return [(district.it_contact.lower(), Role.IT)] if district.it_contact else []
    if audience == "communications":
        return [(email.lower(), Role.COMMUNICATIONS) for email in district.communications]
    if account is None:
        return []
    out = [(email, Role.MANAGER) for email in account.managers]
    if escalated:
        # A principal who also manages the account already sees it as a manager.
        out += [
            (p.email, Role.PRINCIPAL)
            for p in account.principals
            if p.email and p.email not in account.managers
        ]
    return out


def unknown_recipients(account: Account, settings: Settings) -> list[tuple[str, Role]]:
    """An unreadable account is told to its managers (no false "all clear") and to IT."""
    return recipients_for(account, "managers", settings) + recipients_for(account, "it", settings)
