"""privacy: the account is no more public than declared."""

from __future__ import annotations

from check_factories import account, hiding, options, snapshot

from checks.base import Status
from checks.privacy import privacy
from connectors.base import Fact


def test_it_opens_a_lapse_when_a_private_account_is_public() -> None:
    finding = privacy.run(account(audience="private"), snapshot(audience="public"), options())
    assert finding.status == Status.LAPSE
    assert finding.detail == "hillcrest-fb: the account is public but is declared private."


def test_it_passes_a_private_account_that_is_private() -> None:
    finding = privacy.run(account(audience="private"), snapshot(audience="private"), options())
    assert finding.status == Status.PASS


def test_it_passes_a_public_account_that_is_more_private_than_declared() -> None:
    finding = privacy.run(account(audience="public"), snapshot(audience="private"), options())
    assert finding.status == Status.PASS


def test_it_passes_an_unpublished_page_declared_private() -> None:
    snap = snapshot(audience="public", published=False)
    finding = privacy.run(account(audience="private"), snap, options())
    assert finding.status == Status.PASS
    assert "unpublished" in finding.detail


def test_it_answers_unknown_when_the_audience_is_not_exposed() -> None:
    snap = hiding(Fact.AUDIENCE, audience="public")
    finding = privacy.run(account(audience="private"), snap, options())
    assert finding.status == Status.UNKNOWN


def test_it_answers_unknown_when_the_platform_reports_no_audience() -> None:
    finding = privacy.run(account(audience="private"), snapshot(audience=""), options())
    assert finding.status == Status.UNKNOWN
