"""freshness: the account posted within the configured period."""

from __future__ import annotations

from check_factories import account, ago, hiding, options, post, snapshot

from checks.base import Status
from checks.freshness import freshness
from connectors.base import Fact


def test_it_passes_a_recent_post() -> None:
    finding = freshness.run(account(), snapshot(last_post_at=ago(days=3), posts=()), options())
    assert finding.status == Status.PASS
    assert finding.evidence["age_days"] == 3.0


def test_it_opens_a_lapse_when_the_last_post_is_older_than_the_limit() -> None:
    snap = snapshot(last_post_at=ago(days=45), posts=())
    finding = freshness.run(account(), snap, options())
    assert finding.status == Status.LAPSE
    assert finding.detail == "hillcrest-fb: the last post is 45 days old, over the 30-day limit."


def test_it_uses_the_newest_of_last_post_at_and_the_posts() -> None:
    snap = snapshot(last_post_at=ago(days=45), posts=(post(hours_old=24),))
    assert freshness.run(account(), snap, options()).status == Status.PASS


def test_it_uses_the_posts_when_last_post_at_is_missing() -> None:
    snap = snapshot(last_post_at=None, posts=(post(hours_old=24 * 40),))
    assert freshness.run(account(), snap, options()).status == Status.LAPSE


def test_it_uses_the_configured_period() -> None:
    snap = snapshot(last_post_at=ago(days=10), posts=())
    assert freshness.run(account(), snap, options(freshness_days=7)).status == Status.LAPSE
    assert freshness.run(account(), snap, options(freshness_days=14)).status == Status.PASS


def test_it_opens_a_lapse_when_there_are_no_posts() -> None:
    finding = freshness.run(account(), snapshot(last_post_at=None, posts=()), options())
    assert finding.status == Status.LAPSE
    assert finding.detail == "hillcrest-fb: the account has no posts."


def test_it_answers_unknown_when_posts_are_not_exposed() -> None:
    snap = hiding(Fact.POSTS, last_post_at=None, posts=())
    assert freshness.run(account(), snap, options()).status == Status.UNKNOWN
