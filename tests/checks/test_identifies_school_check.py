"""identifies_school: the profile names the school (not only the district) and links a website."""

from __future__ import annotations

import pytest
from check_factories import DISTRICT, account, hiding, options, snapshot

from checks.base import Status
from checks.identifies_school import identifies_school, names_school
from connectors.base import Fact


@pytest.mark.parametrize(
    "profile",
    [
        "Hillcrest Elementary School",
        "HILLCREST ELEMENTARY",
        "Welcome to Hillcrest Elem!",
        "Hillcrest, a school in Coast Mountains School District 82",
    ],
)
def test_it_recognises_the_school_name_written_differently(profile: str) -> None:
    assert names_school("Hillcrest Elementary", profile, DISTRICT)


@pytest.mark.parametrize(
    "profile",
    [
        "Hillside Elementary School",
        "Coast Mountains School District 82",
        "An elementary school in the district",
        "",
    ],
)
def test_it_rejects_profiles_that_do_not_name_the_school(profile: str) -> None:
    assert not names_school("Hillcrest Elementary", profile, DISTRICT)


def test_it_needs_every_distinctive_word_in_order() -> None:
    assert names_school("Mount Baker Secondary", "Mount Baker Secondary School")
    assert names_school("École Élémentaire Côté", "ecole cote")
    assert not names_school("Mount Baker Secondary", "Baker Mount secondary")
    assert not names_school("Mount Baker Secondary", "Mount Elizabeth Secondary")


def test_the_district_name_does_not_name_a_school_whose_name_it_contains() -> None:
    district = "Lloydminster Public School Division"
    school = "Lloydminster Comprehensive High School"
    assert not names_school("Lloydminster High", district, district)
    assert names_school(school, f"{school}, part of {district}", district)


def test_a_school_name_of_only_generic_words_needs_all_of_them() -> None:
    assert names_school("Middle School", "The Middle School news", DISTRICT)
    assert not names_school("Middle School", "A school in town", DISTRICT)


def test_it_passes_when_the_profile_names_the_school_and_links_a_website() -> None:
    finding = identifies_school.run(account(), snapshot(), options())
    assert finding.status == Status.PASS


def test_it_opens_a_lapse_when_only_the_district_is_named() -> None:
    snap = snapshot(name=DISTRICT, about="Official page.", description="")
    finding = identifies_school.run(account(), snap, options())
    assert finding.status == Status.LAPSE
    assert (
        finding.detail == "hillcrest-fb: the profile lacks the school name 'Hillcrest Elementary'."
    )


def test_it_opens_a_lapse_when_the_website_link_is_missing() -> None:
    finding = identifies_school.run(account(), snapshot(website=""), options())
    assert finding.status == Status.LAPSE
    assert finding.detail == "hillcrest-fb: the profile lacks a website link."


def test_it_names_both_missing_parts() -> None:
    snap = snapshot(name="Our class", about="", website="")
    finding = identifies_school.run(account(), snap, options())
    assert finding.status == Status.LAPSE
    assert "school name 'Hillcrest Elementary' and a website link" in finding.detail


def test_it_answers_unknown_when_the_profile_is_not_exposed() -> None:
    snap = hiding(Fact.PROFILE, name="", about="", website="")
    assert identifies_school.run(account(), snap, options()).status == Status.UNKNOWN


def test_it_answers_unknown_when_the_registry_names_no_school() -> None:
    assert (
        identifies_school.run(account(school=" "), snapshot(), options()).status == Status.UNKNOWN
    )
