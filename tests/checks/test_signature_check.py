"""signature: the district signature text or logo is on the profile."""

from __future__ import annotations

from check_factories import account, hiding, options, snapshot

from checks.base import Status
from checks.signature import signature
from connectors.base import Fact

NO_TEXT = {"about": "News from Hillcrest.", "name": "Hillcrest Elementary"}


def test_it_passes_on_the_signature_text_ignoring_case_and_spacing() -> None:
    snap = snapshot(about="Part of COAST  mountains\nschool district 82", name="Hillcrest")
    finding = signature.run(account(), snap, options())
    assert finding.status == Status.PASS
    assert "signature text" in finding.detail


def test_it_finds_the_signature_text_in_the_description() -> None:
    snap = snapshot(about="", description="Coast Mountains School District 82 channel")
    assert signature.run(account(), snap, options()).status == Status.PASS


def test_it_passes_on_the_logo_and_names_the_image() -> None:
    snap = snapshot(**NO_TEXT, logo_seen={"banner": False, "picture": True})
    finding = signature.run(account(), snap, options())
    assert finding.status == Status.PASS
    assert "picture" in finding.detail and "banner" not in finding.detail


def test_it_passes_on_the_logo_even_when_the_profile_is_not_exposed() -> None:
    snap = hiding(Fact.PROFILE, logo_seen={"banner": True})
    finding = signature.run(account(), snap, options())
    assert finding.status == Status.PASS
    assert "banner" in finding.detail


def test_it_opens_a_lapse_when_neither_text_nor_logo_is_there() -> None:
    snap = snapshot(**NO_TEXT, logo_seen={"banner": False, "picture": False})
    finding = signature.run(account(), snap, options())
    assert finding.status == Status.LAPSE
    assert finding.detail.endswith("not in the banner and picture.")


def test_it_opens_a_lapse_without_text_when_no_logo_is_configured() -> None:
    finding = signature.run(account(), snapshot(**NO_TEXT, logo_seen={}), options())
    assert finding.status == Status.LAPSE
    assert "no district logo configured" in finding.detail


def test_it_answers_unknown_when_an_image_could_not_be_checked() -> None:
    snap = snapshot(**NO_TEXT, logo_seen={"banner": None, "picture": False})
    finding = signature.run(account(), snap, options())
    assert finding.status == Status.UNKNOWN
    assert "banner could not be checked" in finding.detail


def test_it_answers_unknown_when_the_profile_is_not_exposed_and_no_logo_is_seen() -> None:
    snap = hiding(Fact.PROFILE, logo_seen={"banner": False})
    assert signature.run(account(), snap, options()).status == Status.UNKNOWN


def test_it_answers_unknown_without_text_when_images_are_not_exposed() -> None:
    snap = hiding(Fact.IMAGES, **NO_TEXT, logo_seen={})
    assert signature.run(account(), snap, options()).status == Status.UNKNOWN


def test_it_does_not_match_an_empty_signature_text() -> None:
    snap = snapshot(**NO_TEXT, logo_seen={"banner": False})
    finding = signature.run(account(), snap, options(signature_texts=("", "  ")))
    assert finding.status == Status.LAPSE
