"""Credential and business lapses have no registry account: IT and communications still hear of them."""

from __future__ import annotations

from collections.abc import Callable

from digest_world import MONDAY, District
from sqlalchemy import select

from monitor.store.db import transaction
from monitor.store.models import OutboxMessage
from notifications.service import build_digests

MakeDistrict = Callable[..., District]


def digests(d: District) -> dict[str, OutboxMessage]:
    with transaction(d.app.sessions) as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "daily")).all()
        return {r.recipient: r for r in rows}


def test_a_credential_lapse_goes_to_it_and_to_no_manager(make_district: MakeDistrict) -> None:
    d = make_district()
    d.lapse(
        "credential-facebook",
        "connector_health",
        "credential-facebook: the token expires in 9 days.",
        MONDAY,
    )
    build_digests(d.app, MONDAY)
    rows = digests(d)
    assert set(rows) == {"it@cmsd82.ca"}
    assert "the token expires in 9 days" in rows["it@cmsd82.ca"].body_text
    assert "(district)" in rows["it@cmsd82.ca"].body_text


def test_an_unregistered_page_goes_to_communications(make_district: MakeDistrict) -> None:
    d = make_district()
    d.lapse(
        "unregistered-facebook-100000000000099",
        "registered",
        "unregistered-facebook-100000000000099: the business owns this page but it is not registered.",
        MONDAY,
    )
    build_digests(d.app, MONDAY)
    rows = digests(d)
    assert set(rows) == {"comms@cmsd82.ca"}
    assert "100000000000099" in rows["comms@cmsd82.ca"].body_text


def test_a_manager_lapse_on_an_account_removed_from_the_registry_is_not_sent(
    make_district: MakeDistrict,
) -> None:
    d = make_district()
    d.lapse("gone-fb", "two_admins", "gone-fb: only 1 admin.", MONDAY)
    build_digests(d.app, MONDAY)
    assert digests(d) == {}
