"""student_privacy: posts name students only as far as the consent roster allows."""

from __future__ import annotations

from check_factories import NOW, account, ago, comment, hiding, options, roster, snapshot

from checks.base import Status
from checks.names import Resolution
from checks.student_privacy import (
    NO_FULL_CONSENT,
    NO_MEDIA_CONSENT,
    NOT_THIS_KIND,
    student_privacy,
)
from connectors.base import Fact, Post


def _post(text: str = "", *, post_id: str = "p1", **fields: object) -> Post:
    link = f"https://www.facebook.com/555/posts/{post_id}"
    return Post(post_id, ago(hours=5), text=text, permalink=link, **fields)  # type: ignore[arg-type]


def _run(*posts: Post, **account_overrides: object):  # type: ignore[no-untyped-def]
    view = account(**account_overrides)
    return student_privacy.run(view, snapshot(posts=posts), options())


def _reasons(finding) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(f["student_id"], f["reason"]) for f in finding.evidence.get("findings", [])]


def test_it_passes_first_names_and_full_names_with_full_consent() -> None:
    finding = _run(
        _post("Jane and Annie read their poems."),
        _post("Luis de la Cruz scored twice!", post_id="p2", has_media=True),
    )
    assert finding.status is Status.PASS, finding.detail


def test_it_lapses_on_a_full_name_without_full_name_consent() -> None:
    finding = _run(_post("Congratulations to Jane Doe on the science fair!"))
    assert finding.status is Status.LAPSE
    assert _reasons(finding) == [("S-1001", NO_FULL_CONSENT)]
    assert "https://www.facebook.com/555/posts/p1" in finding.detail
    assert "S-1001" in finding.detail


def test_it_lapses_on_reversed_possessive_and_hashtag_full_names() -> None:
    for text in ("Doe, Jane: first place.", "Jane Doe's project won.", "Go #JaneDoe!"):
        finding = _run(_post(text))
        assert _reasons(finding) == [("S-1001", NO_FULL_CONSENT)], text


def test_it_lapses_on_any_name_of_a_student_without_consent_on_a_post_with_media() -> None:
    finding = _run(_post("Zoe painted this mural.", has_media=True))
    assert _reasons(finding) == [("S-1002", NO_MEDIA_CONSENT)]


def test_a_first_name_without_consent_on_a_text_only_post_passes() -> None:
    assert _run(_post("Zoe painted this mural.", has_media=False)).status is Status.PASS


def test_it_is_unknown_when_a_student_without_consent_is_named_and_media_is_not_said() -> None:
    finding = _run(_post("Zoe painted this mural.", has_media=None))
    assert finding.status is Status.UNKNOWN
    assert finding.evidence["post_ids"] == ["p1"]


def test_it_reads_alt_text_and_the_accounts_own_replies() -> None:
    alt = _post("Art show!", alt_texts=("Jane Doe holding her painting",))
    assert _reasons(_run(alt)) == [("S-1001", NO_FULL_CONSENT)]
    own = comment("c9", hours_old=2, by_account=True, text="Thanks! Jane Doe made it.")
    replied = _post("Art show!", comments=(own,))
    assert _reasons(_run(replied)) == [("S-1001", NO_FULL_CONSENT)]
    parents = comment("c8", hours_old=2, text="So proud of Jane Doe!")
    assert _run(_post("Art show!", comments=(parents,))).status is Status.PASS


def test_on_a_club_account_even_a_full_consent_full_name_lapses() -> None:
    finding = _run(_post("Luis de la Cruz scored twice!"), kind="club")
    assert _reasons(finding) == [("S-1005", NOT_THIS_KIND)]


def test_a_common_word_first_name_alone_is_not_a_student() -> None:
    finding = _run(_post("We hope you enjoy the photos.", has_media=True))
    assert finding.status is Status.PASS
    finding = _run(_post("Hope Castellano won the spelling bee!"))
    assert _reasons(finding) == [("S-1003", NO_FULL_CONSENT)]


def test_a_student_of_another_school_matches_only_on_district_accounts() -> None:
    post = _post("Marcus Whitfield ran the 100 m.")
    assert _run(post).status is Status.PASS
    finding = _run(post, kind="district", school="Coast Mountains School District 82")
    assert _reasons(finding) == [("S-1006", NO_FULL_CONSENT)]


def test_the_evidence_shows_the_posts_words_with_the_name_replaced_by_the_student_id() -> None:
    text = "Jane Doe, Zoë O'Brien and Marcus Whitfield: science fair!"
    finding = _run(_post(text))
    excerpts = {f["student_id"]: f["excerpt"] for f in finding.evidence["findings"]}  # type: ignore[index]
    assert excerpts == {
        "S-1001": "[student S-1001], [name] and [name]: science fair!",
        "S-1002": "[name], [student S-1002] and [name]: science fair!",
    }
    for text in excerpts.values():
        for name in ("Jane", "Doe", "Zoë", "O'Brien"):
            assert name not in text and name not in finding.detail


def test_consent_on_file_for_the_post_clears_it_and_post_edited_does_not() -> None:
    post = _post("Congratulations to Jane Doe!")
    consent = {("p1", "S-1001"): Resolution("consent", "sam.ortiz@cmsd82.ca", NOW)}
    assert _run(post, privacy_resolutions=consent).status is Status.PASS
    edited = {("p1", "S-1001"): Resolution("edited", "sam.ortiz@cmsd82.ca", NOW)}
    finding = _run(post, privacy_resolutions=edited)
    assert finding.status is Status.LAPSE
    assert finding.evidence["findings"][0]["marked_edited"].startswith("sam.ortiz")  # type: ignore[index]


def test_consent_on_file_does_not_clear_a_full_name_on_a_club_account() -> None:
    post = _post("Luis de la Cruz scored!")
    consent = {("p1", "S-1005"): Resolution("consent", "sam.ortiz@cmsd82.ca", NOW)}
    assert _run(post, kind="club", privacy_resolutions=consent).status is Status.LAPSE


def test_it_is_unknown_without_a_roster() -> None:
    finding = _run(_post("Congratulations to Jane Doe!"), roster=None)
    assert finding.status is Status.UNKNOWN
    assert "no consent roster imported" in finding.detail


def test_it_is_unknown_when_the_posts_text_was_not_read() -> None:
    view = account()
    finding = student_privacy.run(view, snapshot(post_text_read=False), options())
    assert finding.status is Status.UNKNOWN
    finding = student_privacy.run(view, hiding(Fact.POSTS), options())
    assert finding.status is Status.UNKNOWN


def test_a_staff_members_name_hides_the_student_first_name_inside_it() -> None:
    students = (("S-3001", "Dana", "Lee", "", "Hillcrest Elementary", "none"),)
    view_roster = roster(students, staff=("Dana Lee",))
    post = _post("Principal Dana Lee welcomed families.", has_media=True)
    assert _run(post, roster=view_roster).status is Status.PASS
    alone = _post("Dana painted the mural.", has_media=True)
    assert _reasons(_run(alone, roster=view_roster)) == [("S-3001", NO_MEDIA_CONSENT)]


def test_what_was_read_proves_a_lapse_even_when_not_everything_was_read() -> None:
    view = account()
    posts = (_post("Congratulations to Jane Doe!"),)
    finding = student_privacy.run(view, snapshot(posts=posts, post_text_read=False), options())
    assert finding.status is Status.LAPSE


def test_a_decomposed_accent_never_shifts_the_mask_off_the_name() -> None:
    text = "Bravo Zoe\u0308 O'Brien! Jane Doe too."  # "Zoë" written as e + combining diaeresis
    finding = _run(_post(text))
    excerpts = {f["student_id"]: f["excerpt"] for f in finding.evidence["findings"]}  # type: ignore[index]
    assert excerpts["S-1002"] == "Bravo [student S-1002]! [name] too."
    assert excerpts["S-1001"] == "Bravo [name]! [student S-1001] too."
