"""comments: enabled comments older than the review window are handled or reviewed."""

from __future__ import annotations

from check_factories import account, ago, comment, hiding, options, post, snapshot

from checks.base import Status
from checks.comments import comments
from connectors.base import Fact, Post


def test_it_opens_a_lapse_when_an_old_comment_is_unhandled() -> None:
    snap = snapshot(posts=(post(comment("c9", hours_old=30)),))
    finding = comments.run(account(), snap, options())
    assert finding.status == Status.LAPSE
    assert finding.evidence["comment_ids"] == ["c9"]
    assert finding.evidence["overdue"] == 1
    assert finding.detail.startswith("hillcrest-fb: 1 comment older than 24 h")


def test_it_passes_when_every_comment_is_handled() -> None:
    snap = snapshot(posts=(post(comment("c1", hours_old=30, liked_by_account=True)),))
    assert comments.run(account(), snap, options()).status == Status.PASS


def test_it_answers_unknown_when_comments_are_not_exposed() -> None:
    snap = hiding(Fact.COMMENTS, posts=(post(comment("c9", hours_old=30)),))
    finding = comments.run(account(), snap, options())
    assert finding.status == Status.UNKNOWN
    assert finding.evidence["fact"] == "comments"


def test_it_passes_when_the_account_turned_comments_off() -> None:
    snap = hiding(Fact.COMMENTS, comment_setting="off", posts=(post(comment("c9", hours_old=30)),))
    finding = comments.run(account(), snap, options())
    assert finding.status == Status.PASS
    assert "turned off" in finding.detail


def test_it_passes_when_every_post_has_comments_disabled() -> None:
    closed = post(comment("c9", hours_old=30), comments_enabled=False)
    snap = snapshot(comment_setting="", posts=(closed, closed))
    assert comments.run(account(), snap, options()).status == Status.PASS


def test_it_ignores_comments_on_a_closed_post_but_not_on_an_open_one() -> None:
    closed = post(comment("c8", hours_old=30), comments_enabled=False)
    open_post = Post(
        "p2", ago(hours=40), comments_enabled=True, comments=(comment("c9", hours_old=30),)
    )
    finding = comments.run(account(), snapshot(posts=(closed, open_post)), options())
    assert finding.status == Status.LAPSE
    assert finding.evidence["comment_ids"] == ["c9"]


def test_it_passes_young_unhandled_comments_as_not_yet_due() -> None:
    snap = snapshot(posts=(post(comment("c9", hours_old=23)),))
    finding = comments.run(account(), snap, options())
    assert finding.status == Status.PASS
    assert finding.evidence["not_yet_due"] == 1


def test_it_counts_a_comment_as_due_once_it_is_older_than_the_configured_window() -> None:
    snap = snapshot(posts=(post(comment("c9", hours_old=7)),))
    assert comments.run(account(), snap, options(review_window_hours=6)).status == Status.LAPSE
    assert comments.run(account(), snap, options(review_window_hours=8)).status == Status.PASS


def test_it_counts_hidden_liked_replied_own_and_held_comments_as_handled() -> None:
    handled = post(
        comment("h", hours_old=30, hidden=True),
        comment("l", hours_old=30, liked_by_account=True),
        comment("r", hours_old=30, replied_by_account=True),
        comment("o", hours_old=30, by_account=True),
        comment("q", hours_old=30, held_for_review=True),
    )
    finding = comments.run(account(), snapshot(posts=(handled,)), options())
    assert finding.status == Status.PASS
    assert finding.evidence["comments_seen"] == 5


def test_a_recent_review_covers_comments_older_than_it() -> None:
    snap = snapshot(posts=(post(comment("c9", hours_old=30), comment("c10", hours_old=50)),))
    finding = comments.run(account(last_reviewed_at=ago(hours=2)), snap, options())
    assert finding.status == Status.PASS


def test_a_review_older_than_the_window_does_not_count() -> None:
    snap = snapshot(posts=(post(comment("c9", hours_old=40)),))
    finding = comments.run(account(last_reviewed_at=ago(hours=25)), snap, options())
    assert finding.status == Status.LAPSE


def test_a_review_leaves_comments_made_after_it_pending() -> None:
    snap = snapshot(posts=(post(comment("c8", hours_old=30), comment("c9", hours_old=1)),))
    finding = comments.run(account(last_reviewed_at=ago(hours=2)), snap, options())
    assert finding.status == Status.PASS
    assert finding.evidence["not_yet_due"] == 1


def test_it_lists_at_most_five_example_comments_oldest_first() -> None:
    many = post(*(comment(f"c{i}", hours_old=30 + i) for i in range(8)))
    finding = comments.run(account(), snapshot(posts=(many,)), options())
    assert finding.status == Status.LAPSE
    assert finding.evidence["overdue"] == 8
    assert finding.evidence["comment_ids"] == ["c7", "c6", "c5", "c4", "c3"]
    assert finding.evidence["oldest_age_hours"] == 37.0


def test_it_passes_an_account_with_comments_on_but_no_comments() -> None:
    finding = comments.run(account(), snapshot(posts=()), options())
    assert finding.status == Status.PASS
