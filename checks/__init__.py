"""Every policy check, in display order; adding a check = module + test + one line here."""

from __future__ import annotations

from checks import (
    comments,
    connector_health,
    freshness,
    identifies_school,
    principal_admin,
    privacy,
    registered,
    signature,
    student_privacy,
    two_admins,
    work_email,
)
from checks.base import CheckSpec

ALL_CHECKS: tuple[CheckSpec, ...] = (
    comments.comments,
    privacy.privacy,
    principal_admin.principal_admin,
    two_admins.two_admins,
    work_email.work_email,
    identifies_school.identifies_school,
    signature.signature,
    freshness.freshness,
    student_privacy.student_privacy,
    registered.registered,
    connector_health.connector_health,
)

_BY_ID = {spec.id: spec for spec in ALL_CHECKS}


def get(check_id: str) -> CheckSpec:
    """The check with this id; KeyError naming the known ids otherwise."""
    try:
        return _BY_ID[check_id]
    except KeyError:
        known = ", ".join(sorted(_BY_ID))
        raise KeyError(f"unknown check {check_id!r} (known: {known})") from None
