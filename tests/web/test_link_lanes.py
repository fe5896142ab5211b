"""Digest links stay in their lane: never replace someone else, revocable, every use logged."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from monitor.signed_links import make_link_token
from monitor.store.db import transaction
from monitor.store.models import LinkRevocation, LinkUse, Review
from tests.web.conftest import NOW, SECRET, WebWorld, csrf_of, signed_in


def _token(issued_days_ago: int = 0, purpose: str = "review", email: str = "mia@lpsd.ca") -> str:
    issued = NOW - timedelta(days=issued_days_ago)
    return make_link_token(
        SECRET, email=email, account_ids=["north-fb"], purpose=purpose,  # type: ignore[arg-type]
        expires_at=issued + timedelta(days=7), issued_at=issued,
    )  # fmt: skip


def _uses(world: WebWorld) -> list[tuple[str, str]]:
    with world.sessions() as s:
        return [(u.email, u.outcome) for u in s.scalars(select(LinkUse).order_by(LinkUse.id))]


def test_a_link_opened_while_someone_else_is_signed_in_asks_and_keeps_their_session(
    world: WebWorld,
) -> None:
    with signed_in(world, "comms@lpsd.ca") as c:
        page = c.get(f"/link/{_token()}")
        assert page.status_code == 200
        assert "This link is for mia@lpsd.ca" in page.text
        assert "You are signed in as <strong>comms@lpsd.ca</strong>" in page.text
        assert c.get("/").status_code == 200  # still comms, seeing everything
        assert "south-ig" in c.get("/directory").text
    assert _uses(world) == [("mia@lpsd.ca", "asked")]


def test_continuing_as_the_links_recipient_signs_the_other_person_out(world: WebWorld) -> None:
    with signed_in(world, "comms@lpsd.ca") as c:
        page = c.get(f"/link/{_token()}").text
        response = c.post("/link", data={"csrf": csrf_of(page), "token": _token()})
        assert response.headers["location"] == "/accounts/north-fb/review"
        assert "south-ig" not in c.get("/directory").text  # now mia's link view only
        assert "Opened from a digest link for mia@lpsd.ca" in c.get("/mine").text
    assert _uses(world)[-1] == ("mia@lpsd.ca", "switched")


def test_a_link_for_the_signed_in_person_keeps_their_own_session(world: WebWorld) -> None:
    with signed_in(world, "mia@lpsd.ca") as c:
        response = c.get(f"/link/{_token(purpose='history')}")
        assert response.headers["location"] == "/accounts/north-fb"
        assert c.get("/accounts/north-x").status_code == 200  # her full session, not the link's


def test_revoked_links_are_refused_and_later_ones_still_work(
    world: WebWorld, client: TestClient
) -> None:
    old = _token(issued_days_ago=1)
    with transaction(world.sessions) as s:
        s.add(
            LinkRevocation(
                email="mia@lpsd.ca", revoked_at=NOW - timedelta(hours=1), revoked_by="it@lpsd.ca"
            )
        )
    refused = client.get(f"/link/{old}")
    assert refused.status_code == 410 and "This link was withdrawn" in refused.text
    assert client.get(f"/link/{_token()}").status_code == 303
    assert _uses(world) == [("mia@lpsd.ca", "revoked"), ("mia@lpsd.ca", "opened")]


def test_every_use_is_logged_including_refusals_without_the_token(
    world: WebWorld, client: TestClient
) -> None:
    client.get(f"/link/{_token()}")
    client.get(f"/link/{_token()[:-4]}AAAA")
    client.get(f"/link/{_token(issued_days_ago=8)}")
    assert [o for _, o in _uses(world)] == ["opened", "tampered", "expired"]
    with world.sessions() as s:
        assert s.scalars(select(LinkUse)).first().account_ids == ["north-fb"]  # type: ignore[union-attr]


def test_signing_out_of_a_link_session_ends_it(world: WebWorld, client: TestClient) -> None:
    client.get(f"/link/{_token()}")
    cookie = client.cookies["socmon_session"]
    client.post("/logout", data={"csrf": csrf_of(client.get("/mine").text)})
    client.cookies.set("socmon_session", cookie)
    assert client.get("/mine").status_code == 303


def test_the_review_confirmation_records_a_review_only_on_post(
    world: WebWorld, client: TestClient
) -> None:
    client.get(f"/link/{_token()}")
    page = client.get("/accounts/north-fb/review")
    assert page.status_code == 200 and 'method="post"' in page.text
    with world.sessions() as s:
        assert s.scalars(select(Review)).first() is None
    client.post("/accounts/north-fb/review", data={"csrf": csrf_of(page.text), "note": "ok"})
    with world.sessions() as s:
        assert s.scalars(select(Review)).one().source == "link"
