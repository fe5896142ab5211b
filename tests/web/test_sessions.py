"""Sessions you can end: stored server-side, ended at sign-out, by timeouts and by IT."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from monitor.store.db import transaction
from monitor.store.models import User, WebSession
from socmon.web import sessions as web_sessions
from socmon.web.auth import session_key
from tests.web.conftest import BASE_URL, NOW, WebWorld, csrf_of, signed_in


def _copy(world: WebWorld, source: TestClient) -> TestClient:
    """Another browser holding a copy of `source`'s cookie (what a thief would hold)."""
    c = TestClient(world.app, base_url=BASE_URL, follow_redirects=False)
    c.cookies.set("socmon_session", source.cookies["socmon_session"])
    return c


def test_a_cookie_copied_before_sign_out_opens_nothing_after_it(world: WebWorld) -> None:
    with signed_in(world, "comms@lpsd.ca") as c, _copy(world, c) as thief:
        assert thief.get("/").status_code == 200
        assert c.post("/logout", data={"csrf": csrf_of(c.get("/").text)}).status_code == 303
        assert thief.get("/").status_code == 303
    with world.sessions() as s:
        row = s.scalars(select(WebSession)).one()
    assert row.ended_at == NOW and row.ended_reason == "signed out"


def test_the_table_holds_a_hash_of_the_session_id_not_the_id(world: WebWorld) -> None:
    with signed_in(world, "comms@lpsd.ca") as c:
        cookie = c.cookies["socmon_session"]
    with world.sessions() as s:
        row = s.scalars(select(WebSession)).one()
    sid = cookie.split(".")[0].strip('"')
    assert row.id not in cookie and sid not in row.id
    assert (row.email, row.kind, row.expires_at) == (
        "comms@lpsd.ca",
        "password",
        NOW + timedelta(hours=12),
    )


def test_a_session_unused_for_the_idle_timeout_ends(world: WebWorld) -> None:
    with signed_in(world, "comms@lpsd.ca") as c:
        world.clock.advance(minutes=59)
        assert c.get("/").status_code == 200  # used: the idle time counts from here
        world.clock.advance(minutes=59)
        assert c.get("/").status_code == 200
        world.clock.advance(minutes=60)
        assert c.get("/").status_code == 303


def test_a_session_ends_at_its_absolute_timeout_however_busy(world: WebWorld) -> None:
    with signed_in(world, "comms@lpsd.ca") as c:
        for _ in range(14):
            world.clock.advance(minutes=50)
            assert c.get("/").status_code == 200
        world.clock.advance(minutes=50)  # 12 h 30 min after sign-in
        assert c.get("/").status_code == 303


def test_ending_every_session_of_a_person_signs_out_each_of_their_browsers(
    world: WebWorld,
) -> None:
    a, b = signed_in(world, "comms@lpsd.ca"), signed_in(world, "comms@lpsd.ca")
    other = signed_in(world, "it@lpsd.ca")
    with transaction(world.sessions) as s:
        assert web_sessions.end_all(s, "comms@lpsd.ca", NOW, "revoked") == 2
    assert a.get("/").status_code == 303 and b.get("/").status_code == 303
    assert other.get("/").status_code == 200


def test_a_disabled_users_session_is_refused_even_before_it_is_ended(world: WebWorld) -> None:
    with signed_in(world, "comms@lpsd.ca") as c:
        with transaction(world.sessions) as s:
            s.scalars(select(User).where(User.email == "comms@lpsd.ca")).one().disabled = True
        assert c.get("/").status_code == 303


def test_a_forged_session_id_finds_no_session(world: WebWorld, client: TestClient) -> None:
    client.get("/login")
    assert client.get("/").status_code == 303
    with world.sessions() as s:
        assert s.get(WebSession, session_key("made-up")) is None


def test_signing_in_after_an_anonymous_form_post_returns_to_its_page_not_a_405(
    client: TestClient,
) -> None:
    token = csrf_of(client.get("/login").text)
    response = client.post("/accounts/north-fb/review", data={"csrf": token})
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Faccounts%2Fnorth-fb"
