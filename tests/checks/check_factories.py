"""Small builders for check tests: one clean account and snapshot, changed per test."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from checks.base import AccountView, CheckOptions, Principal
from checks.names import Roster, Student, build_roster, keyed_hash, name_phrases
from connectors.base import AccountSnapshot, Admin, Comment, Fact, Post

NOW = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)
DISTRICT = "Coast Mountains School District 82"

PRINCIPAL = Principal("Dana Lee", user_id="1001", email="dana.lee@cmsd82.ca")
TEACHER = Admin("1002", name="Sam Ortiz", email="sam.ortiz@cmsd82.ca")


def ago(*, hours: float = 0, days: float = 0) -> datetime:
    """A moment before NOW."""
    return NOW - timedelta(hours=hours, days=days)


def comment(comment_id: str, *, hours_old: float, **flags: Any) -> Comment:
    """A comment made `hours_old` hours before NOW, unhandled unless flags say otherwise."""
    return Comment(comment_id, ago(hours=hours_old), author="parent", **flags)


def post(*comments: Comment, hours_old: float = 48, **fields: Any) -> Post:
    """A post with the given comments."""
    return Post("p1", ago(hours=hours_old), comments=comments, **fields)


def snapshot(**overrides: Any) -> AccountSnapshot:
    """A Facebook page that passes every check, with `overrides` applied."""
    clean = AccountSnapshot(
        platform="facebook",
        platform_id="555",
        fetched_at=NOW,
        name="Hillcrest Elementary School",
        about=f"News from Hillcrest Elementary, {DISTRICT}.",
        website="https://hillcrest.cmsd82.ca",
        emails=("office.hillcrest@cmsd82.ca",),
        admins=(Admin("1001", name="Dana Lee", email="dana.lee@cmsd82.ca"), TEACHER),
        audience="public",
        comment_setting="on",
        posts=(post(comment("c1", hours_old=30, liked_by_account=True)),),
        last_post_at=ago(hours=48),
        logo_seen={"banner": False, "picture": False},
        post_text_read=True,
    )
    return dataclasses.replace(clean, **overrides)


def hiding(*facts: Fact, **overrides: Any) -> AccountSnapshot:
    """The clean snapshot with these facts marked unexposed."""
    reasons = {fact: "not exposed by the platform" for fact in facts}
    return snapshot(unexposed=reasons, **overrides)


ROSTER_KEY = b"test-roster-key-not-a-real-secret"
# (student_id, first, last, preferred, school, consent): fictional students of the tests.
STUDENTS = (
    ("S-1001", "Jane", "Doe", "", "Hillcrest Elementary", "first_name"),
    ("S-1002", "Zoë", "O'Brien", "", "Hillcrest Elementary", "none"),
    ("S-1003", "Hope", "Castellano", "", "Hillcrest Elementary", "first_name"),
    ("S-1004", "Anna", "Smith-Jones", "Annie", "Hillcrest Elementary", "first_name"),
    ("S-1005", "Luis", "de la Cruz", "", "Hillcrest Elementary", "full"),
    ("S-1006", "Marcus", "Whitfield", "", "Bayview Secondary", "first_name"),
)


def roster(
    students: tuple[tuple[str, str, str, str, str, str], ...] = STUDENTS,
    staff: tuple[str, ...] = (),
) -> Roster:
    """A roster of keyed hashes built the way the import stores it."""
    rows = []
    longest = 1
    for student_id, first, last, preferred, school, consent in students:
        student = Student(student_id, school, consent)
        for kind, phrase in name_phrases(first, last, preferred):
            rows.append((student, kind, keyed_hash(ROSTER_KEY, phrase)))
            longest = max(longest, len(phrase.split()))
    return build_roster(ROSTER_KEY, rows, staff, longest)


def account(**overrides: Any) -> AccountView:
    """The registered account for the clean snapshot, with `overrides` applied."""
    clean = AccountView(
        account_id="hillcrest-fb",
        platform="facebook",
        platform_id="555",
        school="Hillcrest Elementary",
        audience="public",
        managers=("sam.ortiz@cmsd82.ca",),
        principals=(PRINCIPAL,),
        website="https://hillcrest.cmsd82.ca",
        roster=roster(),
    )
    return dataclasses.replace(clean, **overrides)


def options(**overrides: Any) -> CheckOptions:
    """District options for the tests, with `overrides` applied."""
    values: dict[str, Any] = {
        "district_name": DISTRICT,
        "signature_texts": (DISTRICT,),
        "email_domains": ("cmsd82.ca",),
    }
    values.update(overrides)
    return CheckOptions(**values)
