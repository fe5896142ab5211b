"""What `socmon status` shows of the district-scope checks: each credential, other open findings.

Read from `district_states`, where the district checks' verdicts are kept by subject
(monitor.health records them once per cycle).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from checks.district import Subject
from monitor.store.models import DistrictState


@dataclass(frozen=True, slots=True)
class CredentialStatus:
    """One platform credential as `socmon status` shows it."""

    platform: str
    status: str  # pass | lapse | unknown
    detail: str
    checked_at: datetime
    since: datetime
    expires_at: str | None = None  # ISO date-time when the platform reports one


@dataclass(frozen=True, slots=True)
class DistrictStatus:
    """A district-wide finding other than a credential's that is not a pass (`socmon status`)."""

    label: str  # what it is about: "facebook page 100000000000099"
    check_id: str
    status: str  # lapse | unknown
    detail: str


def district_status(session: Session) -> list[DistrictStatus]:
    """District-wide findings that need a person (credentials are in `credential_status`)."""
    query = (
        select(DistrictState)
        .where(DistrictState.check_id != "connector_health", DistrictState.status != "pass")
        .order_by(DistrictState.check_id, DistrictState.platform, DistrictState.subject)
    )
    return [
        DistrictStatus(Subject(s.platform, s.subject).label, s.check_id, s.status, s.detail)
        for s in session.scalars(query)
    ]


def credential_status(session: Session) -> list[CredentialStatus]:
    """The latest verdict on every platform credential, by platform."""
    query = (
        select(DistrictState)
        .where(DistrictState.check_id == "connector_health")
        .order_by(DistrictState.platform)
    )
    out = []
    for state in session.scalars(query):
        expires = state.evidence.get("expires_at")
        out.append(
            CredentialStatus(
                platform=state.platform,
                status=state.status,
                detail=state.detail,
                checked_at=state.checked_at,
                since=state.since,
                expires_at=expires if isinstance(expires, str) else None,
            )
        )
    return out
