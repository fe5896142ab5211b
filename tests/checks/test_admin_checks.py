"""principal_admin and two_admins: who administers the account."""

from __future__ import annotations

from check_factories import PRINCIPAL, TEACHER, account, hiding, options, snapshot

from checks.base import Principal, Status
from checks.principal_admin import principal_admin
from checks.two_admins import two_admins
from connectors.base import Admin, Fact

STRANGER = Admin("2001", name="Pat Green", email="pat.green@cmsd82.ca")


def test_it_passes_when_the_principal_is_an_admin_by_user_id() -> None:
    snap = snapshot(admins=(Admin("1001", name="D. Lee (office)"), TEACHER))
    finding = principal_admin.run(account(), snap, options())
    assert finding.status == Status.PASS
    assert finding.detail == "hillcrest-fb: Dana Lee is an admin of the account."


def test_it_matches_the_principal_by_email_ignoring_case_when_ids_are_missing() -> None:
    snap = snapshot(admins=(Admin("", name="Office", email="Dana.Lee@CMSD82.ca"),))
    principal = Principal("Dana Lee", email="dana.lee@cmsd82.ca")
    finding = principal_admin.run(account(principals=(principal,)), snap, options())
    assert finding.status == Status.PASS


def test_it_matches_the_principal_by_normalised_name_as_a_last_resort() -> None:
    snap = snapshot(admins=(Admin("", name="  dana   LEE. "),))
    finding = principal_admin.run(account(principals=(Principal("Dana Lee"),)), snap, options())
    assert finding.status == Status.PASS


def test_a_matching_name_does_not_override_a_different_user_id() -> None:
    snap = snapshot(admins=(Admin("9999", name="Dana Lee"), TEACHER))
    finding = principal_admin.run(account(), snap, options())
    assert finding.status == Status.LAPSE


def test_it_passes_when_an_assistant_principal_is_the_admin() -> None:
    assistant = Principal("Kim Park", user_id="2001")
    snap = snapshot(admins=(Admin("2001", name="Kim Park"), TEACHER))
    finding = principal_admin.run(account(principals=(PRINCIPAL, assistant)), snap, options())
    assert finding.status == Status.PASS
    assert finding.evidence["matched"] == "Kim Park"


def test_it_opens_a_lapse_when_the_principal_is_not_an_admin() -> None:
    finding = principal_admin.run(account(), snapshot(admins=(TEACHER, STRANGER)), options())
    assert finding.status == Status.LAPSE
    assert finding.detail == "hillcrest-fb: Dana Lee is not among the account's 2 admins."


def test_it_opens_a_lapse_when_the_registry_names_no_principal() -> None:
    finding = principal_admin.run(account(principals=()), snapshot(), options())
    assert finding.status == Status.LAPSE
    assert "registry names no principal" in finding.detail


def test_principal_admin_answers_unknown_when_admins_are_not_exposed() -> None:
    finding = principal_admin.run(account(principals=()), hiding(Fact.ADMINS), options())
    assert finding.status == Status.UNKNOWN


def test_it_passes_with_two_admins() -> None:
    finding = two_admins.run(account(), snapshot(), options())
    assert finding.status == Status.PASS
    assert finding.evidence["admins"] == 2


def test_it_opens_a_lapse_with_a_single_admin() -> None:
    finding = two_admins.run(account(), snapshot(admins=(TEACHER,)), options())
    assert finding.status == Status.LAPSE
    assert finding.detail == "hillcrest-fb: the account has 1 admin, fewer than the 2 required."


def test_it_counts_a_person_listed_twice_once() -> None:
    finding = two_admins.run(account(), snapshot(admins=(TEACHER, TEACHER)), options())
    assert finding.status == Status.LAPSE


def test_it_uses_the_configured_minimum() -> None:
    three = (TEACHER, STRANGER, Admin("1001"))
    assert two_admins.run(account(), snapshot(), options(min_admins=3)).status == Status.LAPSE
    snap = snapshot(admins=three)
    assert two_admins.run(account(), snap, options(min_admins=3)).status == Status.PASS


def test_two_admins_answers_unknown_when_admins_are_not_exposed() -> None:
    finding = two_admins.run(account(), hiding(Fact.ADMINS, admins=()), options())
    assert finding.status == Status.UNKNOWN
