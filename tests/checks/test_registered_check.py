"""registered: the directory and the pages the district's business owns agree."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from check_factories import NOW, account, options, snapshot

from checks.base import Finding
from checks.district import DistrictView, OwnershipFacts, Subject
from checks.registered import ownership_findings, registered

BUSINESS = "300000000000082"
REGISTERED = {"111": "hillcrest-fb", "222": "bayview-fb"}
HILLCREST = Subject.account("facebook", "hillcrest-fb")
BAYVIEW = Subject.account("facebook", "bayview-fb")
PAGE_999 = Subject.page("facebook", "999")


def findings(
    owned: Mapping[str, str] | None, *, error: str = "", open_unregistered: tuple[str, ...] = ()
) -> dict[Subject, Finding]:
    facts = OwnershipFacts("facebook", BUSINESS, REGISTERED, owned, error, open_unregistered)
    return ownership_findings(facts)


def test_the_check_is_declared_district_wide() -> None:
    assert registered.scope == "district"


def test_it_passes_every_registered_page_the_business_owns() -> None:
    found = findings({"111": "Hillcrest", "222": "Bayview"})
    assert {k: f.status.value for k, f in found.items()} == {HILLCREST: "pass", BAYVIEW: "pass"}


def test_it_opens_a_lapse_on_the_account_when_a_registered_page_is_no_longer_owned() -> None:
    found = findings({"111": "Hillcrest"})
    assert found[BAYVIEW].status == "lapse"
    assert BAYVIEW.scope == "account"
    assert found[BAYVIEW].detail == (
        "bayview-fb: the page 222 is in the directory but the district's business "
        "300000000000082 no longer owns it."
    )


def test_an_owned_page_missing_from_the_directory_is_a_district_wide_lapse_about_the_page() -> None:
    found = findings({"111": "Hillcrest", "222": "Bayview", "999": "Hillcrest PAC"})
    assert Subject("facebook", "999") == PAGE_999
    assert PAGE_999.scope == "district" and PAGE_999.account_id == ""
    assert PAGE_999.label == "facebook page 999"
    assert found[PAGE_999].status == "lapse"
    assert found[PAGE_999].detail == (
        "The district's business 300000000000082 owns the page 'Hillcrest PAC' (999) "
        "but it is not in the directory."
    )
    assert found[PAGE_999].evidence["page_id"] == "999"


def test_it_answers_unknown_for_every_registered_page_when_the_listing_failed() -> None:
    found = findings(None, error="Facebook unavailable", open_unregistered=("999",))
    assert {f.status.value for f in found.values()} == {"unknown"}
    assert set(found) == {HILLCREST, BAYVIEW, PAGE_999}
    assert "Facebook unavailable" in found[HILLCREST].detail


def test_it_passes_a_page_since_registered_so_its_district_lapse_resolves() -> None:
    found = findings({"111": "H", "222": "B"}, open_unregistered=("999",))
    assert found[PAGE_999].status == "pass"


def test_the_district_run_answers_for_each_business_and_nothing_without_one() -> None:
    facts = OwnershipFacts("facebook", BUSINESS, REGISTERED, {"111": "H", "999": "PAC"})
    found = registered.run_district(DistrictView(NOW, ownership=(facts,)), options())
    assert {(f.subject, f.finding.status.value) for f in found} == {
        (HILLCREST, "pass"),
        (BAYVIEW, "lapse"),
        (PAGE_999, "lapse"),
    }
    assert registered.run_district(DistrictView(NOW), options()) == []


def test_one_snapshot_alone_has_no_verdict_it_is_not_run_per_account() -> None:
    with pytest.raises(TypeError, match="district-wide"):
        registered.run(account(), snapshot(), options())
