"""The capability table: complete, honest about admins, and turned into the right per-account checks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from check_factories import NOW, account, hiding, options, snapshot

import checks
from checks.capabilities import (
    CAPABILITIES,
    CYCLE_CHECKS,
    PLATFORMS,
    Mode,
    capability,
    checks_for,
    format_table,
)
from connectors.base import Fact
from monitor.registry import PLATFORMS as REGISTRY_PLATFORMS


def test_every_platform_has_an_entry_for_every_check() -> None:
    assert set(CAPABILITIES) == set(PLATFORMS) == set(REGISTRY_PLATFORMS)
    ids = {spec.id for spec in checks.ALL_CHECKS}
    for platform in PLATFORMS:
        assert set(CAPABILITIES[platform]) == ids, platform
        assert all(cap.note.strip() for cap in CAPABILITIES[platform].values()), platform


@pytest.mark.parametrize("platform", ["facebook_group", "instagram", "x", "youtube"])
@pytest.mark.parametrize("check_id", ["principal_admin", "two_admins"])
def test_admins_are_never_read_from_the_api_outside_facebook_pages(
    platform: str, check_id: str
) -> None:
    assert capability(platform, check_id).mode is not Mode.API


def test_every_facebook_group_check_is_attested_or_impossible() -> None:
    modes = {cap.mode for cap in CAPABILITIES["facebook_group"].values()}
    assert Mode.API not in modes
    assert capability("facebook_group", "privacy").mode is Mode.ATTESTED


def test_capability_names_the_known_platforms_for_an_unknown_one() -> None:
    with pytest.raises(KeyError, match="unknown platform 'myspace'"):
        capability("myspace", "privacy")


def test_checks_for_leaves_out_the_cycle_level_checks() -> None:
    for platform in PLATFORMS:
        ids = [spec.id for spec in checks_for(platform)]
        assert not set(ids) & CYCLE_CHECKS
        assert len(ids) == len(checks.ALL_CHECKS) - len(CYCLE_CHECKS)


def test_facebook_page_checks_are_the_declared_checks_themselves() -> None:
    for spec in checks_for("facebook"):
        assert spec is checks.get(spec.id)


def test_an_api_check_on_another_platform_still_reads_the_snapshot() -> None:
    instagram = {spec.id: spec for spec in checks_for("instagram")}
    finding = instagram["privacy"].run(account(platform="instagram"), snapshot(), options())
    assert finding.status == "pass"


def test_an_impossible_check_is_unknown_with_the_tables_reason_even_on_a_clean_snapshot() -> None:
    group = {spec.id: spec for spec in checks_for("facebook_group")}
    finding = group["work_email"].run(account(platform="facebook_group"), snapshot(), options())
    assert finding.status == "unknown"
    assert CAPABILITIES["facebook_group"]["work_email"].note in finding.detail


def test_an_attested_admin_check_never_passes_from_the_snapshots_admins() -> None:
    x_checks = {spec.id: spec for spec in checks_for("x")}
    finding = x_checks["two_admins"].run(account(platform="x"), snapshot(), options())
    assert finding.status == "lapse"
    assert "attestation overdue" in finding.detail


def _attested(check_id: str, days_ago: float, by: str = "") -> tuple[str, str]:
    spec = {s.id: s for s in checks_for("facebook_group", {check_id: by} if by else None)}[check_id]
    view = account(
        platform="facebook_group", attestations={check_id: NOW - timedelta(days=days_ago)}
    )
    bare = hiding(*Fact)
    finding = spec.run(view, bare, options())
    return finding.status.value, finding.detail


def test_a_fresh_attestation_passes_and_names_who_and_when() -> None:
    status, detail = _attested("privacy", 3, by="sam.ortiz@cmsd82.ca")
    assert status == "pass"
    assert detail == "hillcrest-fb: attested by sam.ortiz@cmsd82.ca on 2025-03-07."


def test_an_attestation_exactly_attest_every_days_old_still_holds() -> None:
    assert _attested("privacy", 30)[0] == "pass"


def test_an_attestation_31_days_old_is_an_overdue_lapse() -> None:
    status, detail = _attested("privacy", 31)
    assert status == "lapse"
    assert "attestation overdue" in detail and "2025-02-07" in detail


def test_no_attestation_at_all_is_an_overdue_lapse_that_says_how_to_attest() -> None:
    spec = {s.id: s for s in checks_for("facebook_group")}["two_admins"]
    finding = spec.run(account(platform="facebook_group"), hiding(*Fact), options())
    assert finding.status == "lapse"
    assert "attestation overdue" in finding.detail
    assert "socmon attest hillcrest-fb two_admins --by EMAIL" in finding.detail


def test_attest_every_days_comes_from_the_options() -> None:
    spec = {s.id: s for s in checks_for("facebook_group")}["privacy"]
    view = account(platform="facebook_group", attestations={"privacy": NOW - timedelta(days=10)})
    assert spec.run(view, hiding(*Fact), options(attest_every_days=7)).status == "lapse"
    assert spec.run(view, hiding(*Fact), options(attest_every_days=14)).status == "pass"


def test_the_printed_table_has_a_row_per_check_and_a_column_per_platform() -> None:
    lines = format_table().splitlines()
    assert lines[0].split() == ["check", *PLATFORMS]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {spec.id for spec in checks.ALL_CHECKS}
    assert rows["two_admins"].split()[1:] == ["api", "attested", "attested", "attested", "attested"]
    assert "not possible" in rows["registered"]
