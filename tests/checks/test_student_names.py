"""The name normaliser and the keyed-hash matcher the student_privacy check relies on."""

from __future__ import annotations

import pytest
from check_factories import ROSTER_KEY, roster

from checks.names import (
    FIRST,
    FULL,
    PART,
    START,
    fold_name,
    fold_word,
    key_check,
    keyed_hash,
    name_phrases,
)


@pytest.mark.parametrize(
    ("word", "folded"),
    [("Zoë", "zoe"), ("JOSÉ", "jose"), ("O'Brien", "obrien"), ("O\u2019Brien", "obrien"),
     ("Doe's", "doe"), ("Doe\u2019s", "doe"), ("James'", "james"), ("\ufb01ona", "fiona")],
)  # fmt: skip
def test_fold_word_drops_accents_case_possessives_and_apostrophes(word: str, folded: str) -> None:
    assert fold_word(word) == folded


def test_fold_name_splits_hyphenated_and_multi_part_surnames() -> None:
    assert fold_name("Smith-Jones") == ["smith", "jones"]
    assert fold_name("de la Cruz") == ["de", "la", "cruz"]


def test_name_phrases_cover_both_orders_the_preferred_name_and_the_hashtag_form() -> None:
    listed = set(name_phrases("Anna", "Smith-Jones", "Annie"))
    phrases = {p: k for k, p in listed if k != START}
    for full in ("anna smith jones", "smith jones anna", "annie smith jones", "annasmithjones"):
        assert phrases[full] == FULL
    assert phrases["anna"] == FIRST and phrases["annie"] == FIRST
    assert phrases["smith jones"] == PART
    # The first word of each phrase of several words is where the matcher tries n-grams.
    assert {p for k, p in listed if k == START} == {"anna", "annie", "smith"}


def test_a_first_name_that_is_a_common_word_is_only_a_part() -> None:
    phrases = {p: k for k, p in name_phrases("Hope", "Castellano") if k != START}
    assert phrases["hope"] == PART
    assert phrases["hope castellano"] == FULL


def test_keyed_hashes_depend_on_the_key_and_never_contain_the_name() -> None:
    one = keyed_hash(ROSTER_KEY, "jane doe")
    assert one == keyed_hash(ROSTER_KEY, "jane doe")
    assert one != keyed_hash(b"another key", "jane doe")
    assert "jane" not in one and len(one) == 32
    assert key_check(ROSTER_KEY) != key_check(b"another key")


def _found(text: str, **kw: object) -> set[tuple[str, str]]:
    return {(m.student.student_id, m.kind) for m in roster(**kw).find(text)}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "Congratulations to Jane Doe on the science fair!",
        "Congratulations to DOE, JANE on the science fair!",
        "Jane Doe's project won.",
        "Way to go #JaneDoe!",
        "Way to go #janedoe!",
        "Well done jane   doe.",
    ],
)
def test_the_matcher_finds_a_full_name_however_it_is_written(text: str) -> None:
    assert ("S-1001", FULL) in _found(text)


def test_the_matcher_finds_accented_apostrophe_and_multi_part_names() -> None:
    assert ("S-1002", FULL) in _found("Bravo Zoe O\u2019Brien!")
    assert ("S-1002", FULL) in _found("Bravo ZOË OBRIEN!")
    assert ("S-1005", FULL) in _found("Luis de la Cruz scored twice.")
    assert ("S-1004", FULL) in _found("Annie Smith-Jones read her poem.")
    assert ("S-1004", FULL) in _found("#AnnieSmithJones read her poem.")


def test_the_matcher_reports_where_the_name_is_in_the_text() -> None:
    text = "Kudos to Jane Doe today"
    match = next(m for m in roster().find(text) if m.kind == FULL)
    assert text[match.start : match.end] == "Jane Doe"


def test_a_first_name_alone_is_a_first_match_and_a_common_word_is_only_a_part() -> None:
    assert _found("Jane sang a solo.") == {("S-1001", FIRST)}
    assert _found("We hope to see you there.") == {("S-1003", PART)}


def test_a_staff_name_from_the_registry_is_never_a_student_full_name() -> None:
    staff_like = (("S-2001", "Dana", "Lee", "", "Hillcrest Elementary", "none"),)
    found = _found("Principal Dana Lee opened the fair.", students=staff_like, staff=("Dana Lee",))
    assert ("S-2001", FULL) not in found


def test_words_that_are_not_names_match_nothing() -> None:
    assert _found("The Grade 5 class visited the museum on Friday.") == set()
