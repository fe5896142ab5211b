"""Sign-in: argon2id, throttling, CSRF, cookies, the trusted proxy header."""

from __future__ import annotations

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from monitor.store.db import transaction
from monitor.store.models import LoginAttempt, User
from socmon.web.app import create_app, secure_cookies
from tests.web.conftest import PASSWORD, SECRET, WebWorld, csrf_of, login, make_settings, signed_in


def _user(world: WebWorld, email: str) -> User:
    with world.sessions() as s:
        user = s.scalars(select(User).where(User.email == email)).one()
        s.expunge(user)
        return user


def _try(client: TestClient, email: str, password: str) -> int:
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login", data={"email": email, "password": password, "csrf": token}
    ).status_code


def test_passwords_are_stored_as_argon2id_hashes(world: WebWorld) -> None:
    user = _user(world, "comms@lpsd.ca")
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_signing_in_with_the_right_password_opens_the_overview(client: TestClient) -> None:
    login(client, "comms@lpsd.ca")
    assert client.get("/").status_code == 200


def test_a_wrong_password_is_refused_counted_and_never_shown(
    world: WebWorld, client: TestClient
) -> None:
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login", data={"email": "comms@lpsd.ca", "password": "guess-number-one", "csrf": token}
    )
    assert response.status_code == 401
    assert "The email or password is wrong." in response.text
    assert "guess-number-one" not in response.text
    with world.sessions() as s:
        assert s.scalars(select(LoginAttempt)).one().address == "testclient"
    assert client.get("/").status_code == 303  # still not signed in


def test_an_unknown_email_gets_the_same_answer_as_a_wrong_password(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login", data={"email": "nobody@lpsd.ca", "password": "x" * 12, "csrf": token}
    )
    assert response.status_code == 401 and "The email or password is wrong." in response.text


def test_five_failures_from_one_address_hold_that_address_back_even_with_the_right_password(
    world: WebWorld, client: TestClient
) -> None:
    for _ in range(5):
        assert _try(client, "comms@lpsd.ca", "wrong-password-x") == 401
    assert _try(client, "comms@lpsd.ca", PASSWORD) == 429


def test_the_lock_ends_after_fifteen_minutes(world: WebWorld, client: TestClient) -> None:
    for _ in range(5):
        _try(client, "comms@lpsd.ca", "wrong-password-x")
    world.clock.advance(minutes=14)
    assert _try(client, "comms@lpsd.ca", PASSWORD) == 429
    world.clock.advance(minutes=2)
    assert _try(client, "comms@lpsd.ca", PASSWORD) == 303


def test_a_sign_in_without_the_csrf_token_is_refused(world: WebWorld, client: TestClient) -> None:
    client.get("/login")
    response = client.post("/login", data={"email": "comms@lpsd.ca", "password": PASSWORD})
    assert response.status_code == 403 and "Form refused" in response.text


def test_a_csrf_token_from_another_browser_is_refused(world: WebWorld) -> None:
    with signed_in(world, "comms@lpsd.ca") as alice, signed_in(world, "it@lpsd.ca") as bob:
        foreign = csrf_of(bob.get("/accounts/north-fb").text)
        response = alice.post("/accounts/north-fb/review", data={"csrf": foreign, "note": "x"})
    assert response.status_code == 403


def test_signing_in_replaces_the_session_id(client: TestClient) -> None:
    before = csrf_of(client.get("/login").text)
    login(client, "comms@lpsd.ca")
    after = csrf_of(client.get("/").text)
    assert before != after


def test_the_session_cookie_is_httponly_samesite_and_secure_behind_https(world: WebWorld) -> None:
    app = create_app(
        make_settings(public_url="https://socmon.lpsd.ca"), world.sessions, world.clock, SECRET
    )
    with TestClient(app, base_url="https://socmon.lpsd.ca") as c:
        cookie = c.get("/login").headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie


def test_secure_cookies_are_relaxed_only_for_plain_http_on_loopback() -> None:
    assert secure_cookies("") is True
    assert secure_cookies("https://socmon.lpsd.ca") is True
    assert secure_cookies("http://socmon.lpsd.ca") is True
    assert secure_cookies("http://127.0.0.1:8080") is False
    assert secure_cookies("http://localhost:8080") is False


def test_a_forged_session_cookie_is_ignored(world: WebWorld, client: TestClient) -> None:
    other = create_app(
        make_settings(), world.sessions, world.clock, SecretStr("another-key-entirely")
    )
    with TestClient(other, base_url="http://127.0.0.1", follow_redirects=False) as forger:
        login(forger, "comms@lpsd.ca")
        forged = forger.cookies.get("socmon_session")
    client.cookies.set("socmon_session", forged or "")
    assert client.get("/").status_code == 303


def test_a_disabled_user_loses_access_at_the_next_request(world: WebWorld) -> None:
    with signed_in(world, "comms@lpsd.ca") as c:
        with transaction(world.sessions) as s:
            s.scalars(select(User).where(User.email == "comms@lpsd.ca")).one().disabled = True
        assert c.get("/").status_code == 303


def test_signing_out_ends_the_session(world: WebWorld) -> None:
    with signed_in(world, "comms@lpsd.ca") as c:
        token = csrf_of(c.get("/").text)
        assert c.post("/logout", data={"csrf": token}).status_code == 303
        assert c.get("/").status_code == 303


def test_the_trusted_proxy_header_signs_in_a_known_user(world: WebWorld) -> None:
    app = create_app(
        make_settings(trusted_user_header="X-Remote-User"), world.sessions, world.clock, SECRET
    )
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as c:
        assert c.get("/", headers={"X-Remote-User": "comms@lpsd.ca"}).status_code == 200
        mgr = c.get("/accounts/south-ig", headers={"X-Remote-User": "mia@lpsd.ca"})
        stranger = c.get("/", headers={"X-Remote-User": "eve@lpsd.ca"})
    assert mgr.status_code == 404
    assert stranger.status_code == 403


def test_the_proxy_header_is_ignored_when_not_configured(client: TestClient) -> None:
    assert client.get("/", headers={"X-Remote-User": "comms@lpsd.ca"}).status_code == 303
