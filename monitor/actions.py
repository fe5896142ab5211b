"""What people record about an account: comments reviewed, facts attested.

Each action is its own row (what the checks read) and a `LapseEvent` with no lapse,
so it shows on the account's timeline beside the lapses (CMSD82 2045 C.4.e).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from monitor.store.models import Attestation, LapseEvent, Review

logger = logging.getLogger(__name__)

REVIEW_SOURCES = ("cli", "web", "link", "digest")
MAX_NOTE = 2000


def _clean_note(note: str) -> str:
    return note.strip()[:MAX_NOTE]


def record_review(
    session: Session, account_id: str, by: str, note: str, source: str, at: datetime
) -> Review:
    """Record that `by` reviewed the account's comments at `at` (source: cli|web|link|digest)."""
    if source not in REVIEW_SOURCES:
        raise ValueError(f"unknown review source {source!r}")
    note = _clean_note(note)
    review = Review(account_id=account_id, at=at, by=by, note=note, source=source)
    session.add(review)
    session.add(
        LapseEvent(
            lapse_id=None,
            account_id=account_id,
            check_id="comments",
            at=at,
            kind="reviewed",
            actor=by,
            note=note,
            detail=f"comments marked reviewed ({source})",
        )
    )
    session.flush()
    logger.info("review recorded account=%s source=%s", account_id, source)
    return review


def record_attestation(
    session: Session, account_id: str, check_id: str, by: str, note: str, at: datetime
) -> Attestation:
    """Record that `by` confirmed the fact `check_id` verifies, where no API exposes it."""
    note = _clean_note(note)
    attestation = Attestation(account_id=account_id, check_id=check_id, at=at, by=by, note=note)
    session.add(attestation)
    session.add(
        LapseEvent(
            lapse_id=None,
            account_id=account_id,
            check_id=check_id,
            at=at,
            kind="attested",
            actor=by,
            note=note,
            detail=f"{check_id} attested by a person",
        )
    )
    session.flush()
    logger.info("attestation recorded account=%s check=%s", account_id, check_id)
    return attestation
