"""work_email: contact and manager emails are district addresses."""

from __future__ import annotations

from check_factories import account, hiding, options, snapshot

from checks.base import Status
from checks.work_email import in_district, work_email
from connectors.base import Fact


def test_it_accepts_district_domains_and_their_subdomains_only() -> None:
    domains = ("cmsd82.ca",)
    assert in_district("a.b@cmsd82.ca", domains)
    assert in_district("Office@Hillcrest.CMSD82.ca", domains)
    assert not in_district("a.b@gmail.com", domains)
    assert not in_district("a.b@notcmsd82.ca", domains)
    assert not in_district("a.b@cmsd82.ca.evil.com", domains)
    assert not in_district("not-an-address", domains)
    assert not in_district("@cmsd82.ca", domains)


def test_it_passes_when_contact_and_manager_emails_are_district_addresses() -> None:
    snap = snapshot(emails=("office@hillcrest.cmsd82.ca",))
    finding = work_email.run(account(), snap, options())
    assert finding.status == Status.PASS


def test_it_opens_a_lapse_for_a_personal_contact_email() -> None:
    snap = snapshot(emails=("hillcrest.pto@gmail.com",))
    finding = work_email.run(account(), snap, options())
    assert finding.status == Status.LAPSE
    assert finding.detail == (
        "hillcrest-fb: contact hillcrest.pto@gmail.com outside the district's email domains."
    )
    assert finding.evidence["outside"] == ["hillcrest.pto@gmail.com"]


def test_it_opens_a_lapse_for_a_personal_manager_email() -> None:
    acct = account(managers=("sam.ortiz@cmsd82.ca", "sam@hotmail.com"))
    finding = work_email.run(acct, snapshot(), options())
    assert finding.status == Status.LAPSE
    assert "manager sam@hotmail.com" in finding.detail


def test_it_accepts_any_of_several_district_domains() -> None:
    acct = account(managers=("coach@sd82.bc.ca",))
    finding = work_email.run(acct, snapshot(), options(email_domains=("cmsd82.ca", "bc.ca")))
    assert finding.status == Status.PASS


def test_it_still_opens_a_lapse_for_a_manager_when_contact_emails_are_not_exposed() -> None:
    acct = account(managers=("sam@hotmail.com",))
    finding = work_email.run(acct, hiding(Fact.EMAILS, emails=()), options())
    assert finding.status == Status.LAPSE


def test_it_answers_unknown_when_contact_emails_are_not_exposed_and_managers_are_fine() -> None:
    finding = work_email.run(account(), hiding(Fact.EMAILS, emails=()), options())
    assert finding.status == Status.UNKNOWN
    assert "contact emails cannot be read" in finding.detail


def test_it_answers_unknown_when_no_district_domain_is_configured() -> None:
    snap = snapshot(emails=("x@gmail.com",))
    finding = work_email.run(account(), snap, options(email_domains=()))
    assert finding.status == Status.UNKNOWN
