"""Coverage: a check never passes on a fact that was read only in part."""

from __future__ import annotations

import dataclasses

import pytest
from check_factories import NOW, account, comment, options, post, snapshot

from checks.base import Status
from checks.capabilities import PLATFORMS, Mode, capability, checks_for
from checks.comments import comments
from connectors.base import Coverage, Fact

CUT = Coverage(
    complete=False,
    covered="comments and replies on 3 posts published or commented on in the last 90 days",
    missing="read 500 of at least 612 comments before the per-account budget of 40 calls ran out",
    read=500,
    at_least=612,
)
FULL = Coverage(
    complete=True,
    covered="all 4 comments and replies on 1 post published or commented on in the last 90 days",
    read=4,
)


def test_comments_are_unknown_with_the_reason_when_the_read_was_cut_short() -> None:
    snap = snapshot(coverage={Fact.COMMENTS: CUT})
    finding = comments.run(account(), snap, options())
    assert finding.status == Status.UNKNOWN
    assert "read 500 of at least 612 comments" in finding.detail
    assert finding.evidence["coverage"] == {"comments": CUT.as_evidence()}


def test_comments_still_lapse_when_an_overdue_comment_was_read_on_a_partial_read() -> None:
    snap = snapshot(posts=(post(comment("c9", hours_old=30)),), coverage={Fact.COMMENTS: CUT})
    finding = comments.run(account(), snap, options())
    assert finding.status == Status.LAPSE
    assert finding.evidence["comment_ids"] == ["c9"]
    assert finding.evidence["coverage"] == {"comments": CUT.as_evidence()}


def test_comments_pass_on_a_complete_read_and_the_evidence_says_what_was_covered() -> None:
    snap = snapshot(coverage={Fact.COMMENTS: FULL})
    finding = comments.run(account(), snap, options())
    assert finding.status == Status.PASS
    assert finding.evidence["coverage"] == {"comments": FULL.as_evidence()}


def test_a_snapshot_without_coverage_entries_is_judged_as_before() -> None:
    finding = comments.run(account(), snapshot(), options())
    assert finding.status == Status.PASS
    assert "coverage" not in finding.evidence


@pytest.mark.parametrize("platform", PLATFORMS)
def test_no_check_passes_on_an_incomplete_read_on_any_platform(platform: str) -> None:
    cut = {fact: dataclasses.replace(CUT, missing=f"{fact.value} cut short") for fact in Fact}
    view = account(platform=platform, attestations={c: NOW for c in ("comments", "privacy")})
    snap = snapshot(platform=platform, coverage=cut)
    for spec in checks_for(platform):
        finding = spec.run(view, snap, options())
        if capability(platform, spec.id).mode is Mode.ATTESTED:
            continue  # answered by a person's attestation, not by the read
        assert finding.status != Status.PASS, (platform, spec.id, finding.detail)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_complete_coverage_changes_no_verdict_on_any_platform(platform: str) -> None:
    plain = snapshot(platform=platform)
    full = snapshot(platform=platform, coverage={fact: FULL for fact in Fact})
    for spec in checks_for(platform):
        before = spec.run(account(), plain, options())
        after = spec.run(account(), full, options())
        assert (after.status, after.detail) == (before.status, before.detail), spec.id
