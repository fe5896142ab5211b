"""registered: the directory and the pages the district's business owns agree."""

from __future__ import annotations

from check_factories import account, options, snapshot

from checks.registered import ownership_findings, registered, unregistered_id

BUSINESS = "300000000000082"
REGISTERED = {"111": "hillcrest-fb", "222": "bayview-fb"}


def test_it_passes_every_registered_page_the_business_owns() -> None:
    found = ownership_findings(
        REGISTERED, {"111": "Hillcrest", "222": "Bayview"}, business_id=BUSINESS
    )
    assert {k: f.status.value for k, f in found.items()} == {
        "hillcrest-fb": "pass",
        "bayview-fb": "pass",
    }


def test_it_opens_a_lapse_on_the_account_when_a_registered_page_is_no_longer_owned() -> None:
    found = ownership_findings(REGISTERED, {"111": "Hillcrest"}, business_id=BUSINESS)
    assert found["bayview-fb"].status == "lapse"
    assert found["bayview-fb"].detail == (
        "bayview-fb: the page 222 is in the directory but the district's business "
        "300000000000082 no longer owns it."
    )


def test_it_opens_a_lapse_on_a_pseudo_account_for_an_owned_page_missing_from_the_directory() -> (
    None
):
    owned = {"111": "Hillcrest", "222": "Bayview", "999": "Hillcrest PAC"}
    found = ownership_findings(REGISTERED, owned, business_id=BUSINESS)
    pseudo = unregistered_id("facebook", "999")
    assert pseudo == "unregistered-facebook-999"
    assert found[pseudo].status == "lapse"
    assert "'Hillcrest PAC' (999) but it is not in the directory" in found[pseudo].detail
    assert found[pseudo].evidence["page_id"] == "999"


def test_it_answers_unknown_for_every_registered_page_when_the_listing_failed() -> None:
    found = ownership_findings(
        REGISTERED,
        None,
        business_id=BUSINESS,
        error="Facebook unavailable",
        open_unregistered=["unregistered-facebook-999"],
    )
    assert {f.status.value for f in found.values()} == {"unknown"}
    assert set(found) == {"hillcrest-fb", "bayview-fb", "unregistered-facebook-999"}
    assert "Facebook unavailable" in found["hillcrest-fb"].detail


def test_it_passes_a_pseudo_account_whose_page_was_since_registered_so_its_lapse_resolves() -> None:
    found = ownership_findings(
        REGISTERED,
        {"111": "H", "222": "B"},
        business_id=BUSINESS,
        open_unregistered=["unregistered-facebook-999"],
    )
    assert found["unregistered-facebook-999"].status == "pass"


def test_a_pseudo_account_id_is_a_valid_account_id_whatever_the_page_id() -> None:
    assert unregistered_id("facebook", "Ab/12 x") == "unregistered-facebook-ab-12-x"
    assert len(unregistered_id("facebook", "9" * 200)) == 80


def test_one_snapshot_alone_is_unknown_never_pass() -> None:
    assert registered.run(account(), snapshot(), options()).status == "unknown"
