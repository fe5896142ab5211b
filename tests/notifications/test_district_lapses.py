"""District-wide lapses (a credential, an unregistered page) have no account: IT and comms hear of them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from digest_world import MONDAY, District
from sqlalchemy import select

from checks.base import Status
from checks.district import Subject
from monitor.store.db import transaction
from monitor.store.models import Lapse, OutboxMessage
from notifications.service import build_digests

MakeDistrict = Callable[..., District]


def digests(d: District) -> dict[str, OutboxMessage]:
    with transaction(d.app.sessions) as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "daily")).all()
        return {r.recipient: r for r in rows}


def test_a_credential_lapse_goes_to_it_as_district_wide_and_to_no_manager(
    make_district: MakeDistrict,
) -> None:
    d = make_district()
    d.district_finding(
        Subject.credential("facebook"),
        "connector_health",
        Status.LAPSE,
        "The Facebook credential expires on 2026-12-02, in 9 days.",
        MONDAY,
    )
    build_digests(d.app, MONDAY)
    rows = digests(d)
    assert set(rows) == {"it@cmsd82.ca"}
    for body in (rows["it@cmsd82.ca"].body_text, rows["it@cmsd82.ca"].body_html):
        assert "expires on 2026-12-02, in 9 days" in body
        assert "District-wide: Facebook credential" in body
        assert "(district)" in body
        assert "credential-facebook" not in body  # no pseudo-account any more
    assert "History:" not in rows["it@cmsd82.ca"].body_text  # no account page to link to


def test_an_unregistered_page_goes_to_communications_as_district_wide(
    make_district: MakeDistrict,
) -> None:
    d = make_district()
    d.district_finding(
        Subject.page("facebook", "100000000000099"),
        "registered",
        Status.LAPSE,
        "The district's business owns the page 'PAC' (100000000000099) but it is not in the "
        "directory.",
        MONDAY,
    )
    build_digests(d.app, MONDAY)
    rows = digests(d)
    assert set(rows) == {"comms@cmsd82.ca"}
    for body in (rows["comms@cmsd82.ca"].body_text, rows["comms@cmsd82.ca"].body_html):
        assert "District-wide: Facebook page 100000000000099" in body
        assert "it is not in the" in body


def test_a_district_unknown_opens_nothing_and_a_pass_resolves_it_in_the_next_digest(
    make_district: MakeDistrict,
) -> None:
    d = make_district()
    credential = Subject.credential("x")
    d.district_finding(credential, "connector_health", Status.UNKNOWN, "X: unknown.", MONDAY)
    build_digests(d.app, MONDAY)
    assert digests(d) == {}  # unknown never opens a lapse
    d.district_finding(credential, "connector_health", Status.LAPSE, "X refused.", MONDAY)
    d.district_finding(credential, "connector_health", Status.LAPSE, "X refused.", MONDAY)
    build_digests(d.app, MONDAY)
    with transaction(d.app.sessions) as session:
        lapses = session.scalars(select(Lapse).where(Lapse.check_id == "connector_health")).all()
    assert [(lp.scope, lp.subject, lp.status) for lp in lapses] == [("district", "x", "open")]
    tuesday = MONDAY + timedelta(days=1)
    d.district_finding(credential, "connector_health", Status.PASS, "X works.", tuesday)
    build_digests(d.app, tuesday)
    with transaction(d.app.sessions) as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.period == tuesday.date().isoformat())
        ).all()
    (row,) = rows
    assert row.recipient == "it@cmsd82.ca"
    assert "Resolved since your last digest" in row.body_text
    assert "District-wide: X credential" in row.body_text


def test_a_manager_lapse_on_an_account_removed_from_the_registry_is_not_sent(
    make_district: MakeDistrict,
) -> None:
    d = make_district()
    d.lapse("gone-fb", "two_admins", "gone-fb: only 1 admin.", MONDAY)
    build_digests(d.app, MONDAY)
    assert digests(d) == {}
