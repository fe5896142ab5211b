"""The consent roster in the database: keyed hashes in, a `Roster` for the check out.

`store_roster` replaces the whole roster in one transaction (the student information
system's export is a full picture); `load_roster` builds the lookup the cycle hands
to the student_privacy check, or says why there is none. Managers' answers to
findings (consent on file, post edited) are recorded here like attestations.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from checks.names import Resolution, Roster, Student, build_roster, key_check, keyed_hash
from checks.names import name_phrases as phrases_of
from monitor.actions import MAX_NOTE
from monitor.roster import RosterEntry
from monitor.store.models import (
    LapseEvent,
    PrivacyResolution,
    RosterImport,
    StudentNameKey,
    StudentRow,
)

logger = logging.getLogger(__name__)

RESOLUTIONS = {"consent": "consent on file", "edited": "post edited"}
NO_ROSTER = "no consent roster imported"
_CHUNK = 1000


def store_roster(
    session: Session, entries: Sequence[RosterEntry], key: bytes, at: datetime
) -> Counter[str]:
    """Replace the roster with these students' ids, schools, consents and name hashes."""
    session.execute(delete(StudentNameKey))
    session.execute(delete(StudentRow))
    longest = 1
    keys: list[dict[str, object]] = []
    for entry in entries:
        for kind, phrase in phrases_of(entry.first_name, entry.last_name, entry.preferred_name):
            keys.append(
                {"student_id": entry.student_id, "kind": kind, "key_hash": keyed_hash(key, phrase)}
            )
            longest = max(longest, len(phrase.split()))
    students = [
        {"student_id": e.student_id, "school": e.school, "consent": e.consent} for e in entries
    ]
    for start in range(0, len(students), _CHUNK):
        session.execute(insert(StudentRow), students[start : start + _CHUNK])
    for start in range(0, len(keys), _CHUNK):
        session.execute(insert(StudentNameKey), keys[start : start + _CHUNK])
    session.add(
        RosterImport(
            imported_at=at, students=len(entries), key_check=key_check(key), longest=longest
        )
    )
    session.flush()
    consents = Counter(e.consent for e in entries)
    logger.info(
        "consent roster imported students=%d schools=%d",
        len(entries),
        len({e.school for e in entries}),
    )
    return consents


def latest_import(session: Session) -> RosterImport | None:
    """The most recent roster import, if any."""
    query = select(RosterImport).order_by(RosterImport.imported_at.desc(), RosterImport.id.desc())
    return session.scalars(query.limit(1)).first()


def load_roster(session: Session, key: bytes | str, staff_names: Iterable[str]) -> Roster | str:
    """The roster as the check reads it, or the reason it cannot be used.

    `key` is the HMAC key, or (a str) why the key is not available.
    """
    imported = latest_import(session)
    if imported is None:
        return NO_ROSTER
    if isinstance(key, str):
        return key
    if imported.key_check != key_check(key):
        return "the roster was imported with another key; import it again"
    students = {
        row.student_id: Student(row.student_id, row.school, row.consent)
        for row in session.scalars(select(StudentRow))
    }
    rows = (
        (students[student_id], kind, digest)
        for student_id, kind, digest in session.execute(
            select(StudentNameKey.student_id, StudentNameKey.kind, StudentNameKey.key_hash)
        )
        if student_id in students
    )
    return build_roster(key, rows, staff_names, imported.longest)


def record_privacy_resolution(
    session: Session,
    account_id: str,
    post_id: str,
    student_id: str,
    kind: str,
    by: str,
    note: str,
    at: datetime,
) -> PrivacyResolution:
    """Record a manager's answer to one finding, with an event on the account's timeline."""
    if kind not in RESOLUTIONS:
        raise ValueError(f"unknown resolution {kind!r}")
    note = note.strip()[:MAX_NOTE]
    row = PrivacyResolution(
        account_id=account_id,
        post_id=post_id,
        student_id=student_id,
        kind=kind,
        at=at,
        by=by,
        note=note,
    )
    session.add(row)
    session.add(
        LapseEvent(
            lapse_id=None,
            account_id=account_id,
            check_id="student_privacy",
            at=at,
            kind="attested",
            actor=by,
            note=note,
            detail=f"{RESOLUTIONS[kind]}: post {post_id}, student {student_id}",
        )
    )
    session.flush()
    logger.info("privacy resolution recorded account=%s kind=%s", account_id, kind)
    return row


def privacy_resolutions(session: Session) -> dict[str, dict[tuple[str, str], Resolution]]:
    """Account id -> (post id, student id) -> the latest answer recorded for it."""
    out: dict[str, dict[tuple[str, str], Resolution]] = {}
    query = select(PrivacyResolution).order_by(PrivacyResolution.at, PrivacyResolution.id)
    for row in session.scalars(query):
        at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
        out.setdefault(row.account_id, {})[(row.post_id, row.student_id)] = Resolution(
            row.kind, row.by, at
        )
    return out
