"""The profile names the school or program (not just the district) and links its website.

Name matching: both texts are case-folded, accents and punctuation dropped, and split into
words. Every occurrence of the district name is removed from the profile first, so the
district name alone never counts. Generic words ("school", "elementary", "secondary",
"middle", "high", "école", ...) are then ignored on both sides, and the school's remaining,
distinctive words must appear together and in order in the profile: registry "Hillcrest
Elementary" is matched by "Hillcrest Elementary School" and by "Hillcrest Elem", not by
"Hillside Elementary". When a school name has nothing but generic words, all of them are
required.
"""

from __future__ import annotations

import re
import unicodedata

from checks.base import (
    CMSD82,
    LPSD,
    AccountView,
    CheckOptions,
    Citation,
    Finding,
    Status,
    check,
    unexposed,
)
from connectors.base import AccountSnapshot, Fact

_NOT_WORD = re.compile(r"[\W_]+")
GENERIC_WORDS = frozenset(
    {
        "school",
        "schools",
        "elementary",
        "elem",
        "secondary",
        "middle",
        "high",
        "junior",
        "senior",
        "jr",
        "sr",
        "public",
        "the",
        "of",
        "and",
        # French names are common in Canadian districts ("École Élémentaire ...").
        "ecole",
        "elementaire",
        "secondaire",
    }
)


def words(text: str) -> list[str]:
    """Case-folded words without accents or punctuation ("St. Mary's" -> st, mary, s)."""
    plain = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    return _NOT_WORD.sub(" ", plain).split()


def _without(haystack: list[str], needle: list[str]) -> list[str]:
    """`haystack` with every contiguous occurrence of `needle` removed."""
    if not needle:
        return haystack
    out: list[str] = []
    i = 0
    while i < len(haystack):
        if haystack[i : i + len(needle)] == needle:
            i += len(needle)
        else:
            out.append(haystack[i])
            i += 1
    return out


def _contains(haystack: list[str], needle: list[str]) -> bool:
    """True when `needle` occurs contiguously in `haystack`."""
    n = len(needle)
    return any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


def names_school(school: str, profile: str, district: str = "") -> bool:
    """True when the profile text names the school by its distinctive words (see module doc)."""
    school_words = words(school)
    if not school_words:
        return False
    profile_words = _without(words(profile), words(district))
    distinctive = [w for w in school_words if w not in GENERIC_WORDS]
    if distinctive:
        profile_words = [w for w in profile_words if w not in GENERIC_WORDS]
    else:
        distinctive = school_words
    return _contains(profile_words, distinctive)


@check(
    id="identifies_school",
    title="Profile names the school and links its website",
    clauses=(Citation(LPSD, "1.3"), Citation(CMSD82, "C.2.d")),
    remediation=(
        "Put the school or program name in the account's name or about/bio and add a link "
        "to the school website."
    ),
    severity="low",
    reads=(Fact.PROFILE,),
)
def identifies_school(
    account: AccountView, snapshot: AccountSnapshot, options: CheckOptions
) -> Finding:
    """Lapse when the school name or the website link is missing from the profile."""
    who = account.account_id
    if not snapshot.exposes(Fact.PROFILE):
        return unexposed("identifies_school", account, snapshot, Fact.PROFILE)
    if not account.school.strip():
        return Finding(
            "identifies_school",
            Status.UNKNOWN,
            f"{who}: the accounts registry names no school to look for.",
            {"school": ""},
        )
    named = names_school(account.school, snapshot.profile_text, options.district_name)
    linked = bool(snapshot.website.strip())
    evidence: dict[str, object] = {
        "school": account.school,
        "school_named": named,
        "website": snapshot.website,
    }
    missing = [
        part
        for part, ok in (
            (f"the school name {account.school!r}", named),
            ("a website link", linked),
        )
        if not ok
    ]
    if missing:
        return Finding(
            "identifies_school",
            Status.LAPSE,
            f"{who}: the profile lacks {' and '.join(missing)}.",
            evidence,
        )
    return Finding(
        "identifies_school",
        Status.PASS,
        f"{who}: the profile names {account.school} and links {snapshot.website}.",
        evidence,
    )
