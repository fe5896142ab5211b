"""Sign-in throttling: per address and per (address, email), the same for unknown emails."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from socmon.web import auth
from socmon.web.app import create_app
from tests.web.conftest import BASE_URL, PASSWORD, SECRET, WebWorld, csrf_of, make_settings


@pytest.fixture
def proxied(world: WebWorld) -> Iterator[TestClient]:
    """The app behind a proxy that names the client's address in X-Forwarded-For."""
    app = create_app(
        make_settings(client_address_header="X-Forwarded-For"),
        world.sessions,
        world.clock,
        SECRET,
    )
    with TestClient(app, base_url=BASE_URL, follow_redirects=False) as c:
        yield c


def _try(c: TestClient, email: str, password: str, address: str = "203.0.113.7") -> tuple[int, str]:
    headers = {"X-Forwarded-For": address}
    token = csrf_of(c.get("/login", headers=headers).text)
    response = c.post(
        "/login", data={"email": email, "password": password, "csrf": token}, headers=headers
    )
    return response.status_code, response.text.split('role="alert">')[-1].split("<")[0]


def test_an_unknown_email_and_a_known_one_get_the_same_answers_in_the_same_order(
    proxied: TestClient,
) -> None:
    known = [_try(proxied, "comms@lpsd.ca", "wrong-password-1") for _ in range(6)]
    unknown = [_try(proxied, "nobody@lpsd.ca", "wrong-password-1") for _ in range(6)]
    assert known == unknown
    assert [status for status, _ in known] == [401] * 5 + [429]
    assert known[-1][1].startswith("Too many failed sign-ins for this email: try again after 11:15")


def test_both_paths_check_one_password_hash_so_they_take_similar_time(
    proxied: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    verified: list[str] = []
    real = auth._verify

    def counting(password_hash: str, password: str) -> bool:
        verified.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(auth, "_verify", counting)
    _try(proxied, "comms@lpsd.ca", "wrong-password-1")
    _try(proxied, "nobody@lpsd.ca", "wrong-password-1")
    assert len(verified) == 2 and all(h.startswith("$argon2id$") for h in verified)


def test_an_attacker_elsewhere_cannot_lock_a_real_user_out(proxied: TestClient) -> None:
    for _ in range(20):
        _try(proxied, "comms@lpsd.ca", "wrong-password-1", address="198.51.100.9")
    assert _try(proxied, "comms@lpsd.ca", "wrong-password-1", address="198.51.100.9")[0] == 429
    assert _try(proxied, "comms@lpsd.ca", PASSWORD, address="203.0.113.7")[0] == 303


def test_one_address_trying_many_emails_is_held_back_by_the_per_address_limit(
    proxied: TestClient,
) -> None:
    for n in range(30):
        assert _try(proxied, f"guess{n}@lpsd.ca", "wrong-password-1")[0] == 401
    status, message = _try(proxied, "comms@lpsd.ca", PASSWORD)
    assert status == 429 and message.startswith("Too many failed sign-ins from your network")
    assert _try(proxied, "comms@lpsd.ca", PASSWORD, address="192.0.2.1")[0] == 303


def test_the_hold_ends_when_the_failures_age_out_of_the_window(
    world: WebWorld, proxied: TestClient
) -> None:
    for _ in range(5):
        _try(proxied, "comms@lpsd.ca", "wrong-password-1")
    world.clock.advance(minutes=14)
    assert _try(proxied, "comms@lpsd.ca", PASSWORD)[0] == 429
    world.clock.advance(minutes=2)
    assert _try(proxied, "comms@lpsd.ca", PASSWORD)[0] == 303


def test_with_local_passwords_off_the_password_form_is_gone_and_refused(world: WebWorld) -> None:
    settings = make_settings(local_passwords=False, trusted_user_header="X-Remote-User")
    app = create_app(settings, world.sessions, world.clock, SECRET)
    with TestClient(app, base_url=BASE_URL, follow_redirects=False) as c:
        assert 'name="password"' not in c.get("/login").text
        token = csrf_of(c.get("/", headers={"X-Remote-User": "it@lpsd.ca"}).text)
        response = c.post(
            "/login", data={"email": "comms@lpsd.ca", "password": PASSWORD, "csrf": token}
        )
    assert response.status_code == 403 and "Passwords are off" in response.text
