"""Digest links: one click to mark reviewed, scoped, refused when tampered or expired."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from monitor.signed_links import (
    LinkExpired,
    LinkTampered,
    link_url,
    make_link_token,
    verify_link_token,
)
from monitor.store.db import transaction
from monitor.store.models import AccountRow, Review
from tests.web.conftest import NOW, SECRET, WebWorld, csrf_of


def _token(
    purpose: str = "review", accounts: tuple[str, ...] = ("north-fb",), days: int = 7
) -> str:
    return make_link_token(
        SECRET, email="mia@lpsd.ca", account_ids=accounts, purpose=purpose,  # type: ignore[arg-type]
        expires_at=NOW + timedelta(days=days),
    )  # fmt: skip


def test_a_token_round_trips_its_claims() -> None:
    claims = verify_link_token(_token(accounts=("north-x", "north-fb")), SECRET, now=NOW)
    assert claims.email == "mia@lpsd.ca"
    assert claims.account_ids == ("north-fb", "north-x")
    assert claims.purpose == "review"
    assert claims.expires_at == NOW + timedelta(days=7)


@pytest.mark.parametrize("where", [0, 10, -3])
def test_a_changed_character_anywhere_makes_the_token_tampered(where: int) -> None:
    token = _token()
    flipped = token[:where] + ("A" if token[where] != "A" else "B") + token[where + 1 :]
    with pytest.raises(LinkTampered):
        verify_link_token(flipped, SECRET, now=NOW)


def test_a_token_signed_with_another_key_or_cut_short_is_tampered() -> None:
    with pytest.raises(LinkTampered):
        verify_link_token(_token(), "some-other-key", now=NOW)
    with pytest.raises(LinkTampered):
        verify_link_token(_token().split(".")[0], SECRET, now=NOW)


def test_a_token_expires_at_its_expiry_time() -> None:
    token = _token(days=7)
    verify_link_token(token, SECRET, now=NOW + timedelta(days=7, seconds=-1))
    with pytest.raises(LinkExpired):
        verify_link_token(token, SECRET, now=NOW + timedelta(days=7))


def test_link_url_is_empty_without_a_public_address() -> None:
    assert link_url("", "abc") == ""
    assert link_url("https://socmon.lpsd.ca/", "abc") == "https://socmon.lpsd.ca/link/abc"


def test_a_review_link_lands_on_a_confirmation_page_and_records_nothing_until_confirmed(
    world: WebWorld, client: TestClient
) -> None:
    landing = client.get(f"/link/{_token()}")
    assert landing.status_code == 303
    assert landing.headers["location"] == "/accounts/north-fb/review"
    page = client.get("/accounts/north-fb/review").text
    assert "Mark the comments of north-fb reviewed?" in page
    assert _token() not in page  # the token is never rendered
    with world.sessions() as s:
        assert s.scalars(select(Review)).first() is None
    mine = client.get("/mine").text
    assert "north-fb" in mine and "north-x" not in mine  # only the link's accounts
    response = client.post("/accounts/north-fb/review", data={"csrf": csrf_of(page)})
    assert response.status_code == 303
    with world.sessions() as s:
        review = s.scalars(select(Review)).one()
    assert (review.account_id, review.by, review.source) == ("north-fb", "mia@lpsd.ca", "link")


def test_a_link_opens_no_account_outside_its_scope(client: TestClient) -> None:
    client.get(f"/link/{_token()}")
    assert client.get("/accounts/north-fb").status_code == 200
    assert client.get("/accounts/north-x").status_code == 404  # hers, but not in this link
    assert client.get("/accounts/south-ig").status_code == 404
    token = csrf_of(client.get("/mine").text)
    assert client.post("/accounts/north-x/review", data={"csrf": token}).status_code == 404


def test_a_link_stops_working_for_an_account_its_recipient_no_longer_manages(
    world: WebWorld, client: TestClient
) -> None:
    client.get(f"/link/{_token()}")
    with transaction(world.sessions) as s:
        s.scalars(select(AccountRow).where(AccountRow.id == "north-fb")).one().managers = [
            "new@lpsd.ca"
        ]
    assert client.get("/accounts/north-fb").status_code == 404


def test_a_link_cannot_record_an_attestation_or_mute(client: TestClient) -> None:
    client.get(f"/link/{_token()}")
    token = csrf_of(client.get("/mine").text)
    attest = client.post(
        "/accounts/north-fb/attest", data={"csrf": token, "check": "signature", "note": "ok ok"}
    )
    mute = client.post(
        "/lapses/1/mute", data={"csrf": token, "reason": "ok ok", "until": "2026-12-01"}
    )
    assert attest.status_code == 403 and mute.status_code == 403


def test_a_history_link_for_one_account_opens_its_timeline(client: TestClient) -> None:
    landing = client.get(f"/link/{_token(purpose='history')}")
    assert landing.headers["location"] == "/accounts/north-fb"
    assert "Timeline" in client.get("/accounts/north-fb").text


def test_a_tampered_link_is_refused_with_a_clear_403_page(
    world: WebWorld, client: TestClient
) -> None:
    token = _token()
    forged = make_link_token("guessed-key", email="mia@lpsd.ca", account_ids=["south-ig"],
                             purpose="review", expires_at=NOW + timedelta(days=7))  # fmt: skip
    for bad in (token[:-2] + "xx", forged):
        response = client.get(f"/link/{bad}")
        assert response.status_code == 403
        assert "This link is not valid" in response.text and "Nothing was recorded" in response.text
    assert client.get("/mine").status_code == 303  # no session came of it


def test_an_expired_link_is_refused_with_a_clear_410_page(
    world: WebWorld, client: TestClient
) -> None:
    token = _token(days=7)
    world.clock.advance(days=8)
    response = client.get(f"/link/{token}")
    assert response.status_code == 410 and "This link has expired" in response.text
    assert client.get("/mine").status_code == 303


def test_the_link_session_ends_when_the_link_expires(world: WebWorld, client: TestClient) -> None:
    client.get(f"/link/{_token(days=1)}")
    assert client.get("/mine").status_code == 200
    world.clock.advance(days=1, seconds=1)
    assert client.get("/mine").status_code == 303
