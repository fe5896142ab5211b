"""Sign-in with the district's identity provider (a real OpenID Provider on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from monitor.settings_web import Oidc
from monitor.store.models import WebSession
from socmon.web import oidc as protocol
from socmon.web.app import create_app
from tests.web.conftest import BASE_URL, SECRET, WebWorld, csrf_of, make_settings
from tests.web.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, running_provider

CALLBACK = f"{BASE_URL}/oidc/callback"


def _oidc(issuer: str, client_id: str = CLIENT_ID) -> Oidc:
    return Oidc(
        issuer=issuer,
        client_id=client_id,
        client_secret_secret="SOCMON_OIDC_SECRET",
        allowed_domains=("lpsd.ca",),
        role_claim="groups",
        role_map={"g-comms": "comms"},
    )


@pytest.fixture
def provider(world: WebWorld, tmp_path: Path) -> Iterator[Provider]:
    # The provider keeps its own (wall) clock; the App's clock starts level with it.
    world.clock.now = datetime.now(UTC)
    with running_provider(tmp_path, [CALLBACK]) as p:
        yield p


def _client(world: WebWorld, oidc: Oidc) -> TestClient:
    app = create_app(
        make_settings(oidc=oidc), world.sessions, world.clock, SECRET,
        oidc_secret=SecretStr(CLIENT_SECRET),
    )  # fmt: skip
    return TestClient(app, base_url=BASE_URL, follow_redirects=False)


@pytest.fixture
def browser(world: WebWorld, provider: Provider) -> Iterator[TestClient]:
    with _client(world, _oidc(provider.issuer)) as c:
        yield c


def _start(c: TestClient) -> str:
    page = c.get("/login").text
    assert 'id="oidc"' in page
    response = c.post("/oidc/start", data={"csrf": csrf_of(page), "next": "/directory"})
    assert response.status_code == 303
    return response.headers["location"]


def _callback(c: TestClient, url: str) -> httpx.Response:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == CALLBACK
    return c.get(f"{parts.path}?{parts.query}")


def test_a_registered_user_signs_in_through_the_provider_with_their_socmon_role(
    world: WebWorld, provider: Provider, browser: TestClient
) -> None:
    authorize = _start(browser)
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    response = _callback(browser, provider.sign_in(authorize, "mia"))
    assert response.status_code == 303 and response.headers["location"] == "/directory"
    assert browser.get("/accounts/north-x").status_code == 200
    assert browser.get("/accounts/south-ig").status_code == 404  # a manager: her accounts only
    with world.sessions() as s:
        assert s.scalars(select(WebSession)).one().kind == "oidc"


def test_a_person_in_a_mapped_group_gets_that_role_without_a_users_entry(
    provider: Provider, browser: TestClient
) -> None:
    _callback(browser, provider.sign_in(_start(browser), "gwen"))
    assert browser.get("/accounts/south-ig").status_code == 200  # comms sees every account


def test_a_district_email_with_no_user_entry_nor_mapped_group_is_refused(
    provider: Provider, browser: TestClient
) -> None:
    response = _callback(browser, provider.sign_in(_start(browser), "nobody"))
    assert response.status_code == 403 and "not a socmon user" in response.text
    assert browser.get("/").status_code == 303


def test_an_email_outside_the_allowed_domains_is_refused(
    provider: Provider, browser: TestClient
) -> None:
    response = _callback(browser, provider.sign_in(_start(browser), "eve"))
    assert response.status_code == 403 and "not one of the district" in response.text
    assert browser.get("/").status_code == 303


def test_a_callback_whose_state_does_not_match_is_refused(
    provider: Provider, browser: TestClient
) -> None:
    url = provider.sign_in(_start(browser), "mia").replace("state=", "state=x")
    response = _callback(browser, url)
    assert response.status_code == 400 and "does not match" in response.text
    assert browser.get("/").status_code == 303


def test_a_replayed_code_is_refused_by_the_provider(
    provider: Provider, browser: TestClient
) -> None:
    first = provider.sign_in(_start(browser), "mia")
    assert _callback(browser, first).status_code == 303
    browser.post("/logout", data={"csrf": csrf_of(browser.get("/").text)})
    fresh_state = parse_qs(urlsplit(_start(browser)).query)["state"][0]
    old_code = parse_qs(urlsplit(first).query)["code"][0]
    response = browser.get("/oidc/callback", params={"code": old_code, "state": fresh_state})
    assert response.status_code == 400 and "expired or was already used" in response.text
    assert browser.get("/").status_code == 303


def test_an_expired_code_is_refused(provider: Provider, browser: TestClient) -> None:
    url = provider.sign_in(_start(browser), "mia")
    provider.advance(120)  # codes live 60 s
    response = _callback(browser, url)
    assert response.status_code == 400 and "expired or was already used" in response.text


def test_a_callback_this_browser_did_not_start_is_refused(
    world: WebWorld, provider: Provider, browser: TestClient
) -> None:
    url = provider.sign_in(_start(browser), "mia")
    with _client(world, _oidc(provider.issuer)) as stranger:
        stranger.get("/login")
        response = _callback(stranger, url)
    assert response.status_code == 400 and "not started in this browser" in response.text


def test_a_provider_that_names_another_issuer_is_refused(
    world: WebWorld, provider: Provider
) -> None:
    wrong = provider.issuer.replace("127.0.0.1", "localhost")
    with _client(world, _oidc(wrong)) as c:
        response = c.post("/oidc/start", data={"csrf": csrf_of(c.get("/login").text)})
    assert response.status_code == 502
    assert "does not identify itself as the configured issuer" in response.text


def _real_id_token(
    provider: Provider, oidc: Oidc, secret: str
) -> tuple[str, str, dict[str, object]]:
    """A genuine ID token from the provider for `oidc`'s client, its nonce and the keys."""
    with httpx.Client(timeout=10) as http:
        meta = protocol.discover(http, oidc)
        url, pending = protocol.authorization_url(meta, oidc, CALLBACK, "/")
        code = parse_qs(urlsplit(provider.sign_in(url, "mia")).query)["code"][0]
        token = protocol.exchange_code(
            http, meta, oidc, SecretStr(secret), CALLBACK, code, pending.verifier
        )
        return token, pending.nonce, protocol.get_json(http, meta["jwks_uri"])


def test_an_id_token_for_another_audience_or_issuer_or_nonce_is_refused(provider: Provider) -> None:
    other = _oidc(provider.issuer, client_id="other-app")
    token, nonce, jwks = _real_id_token(provider, other, "other-app-secret-xxxxxxxx")
    now = datetime.now(UTC)
    assert protocol.verify_id_token(token, jwks, other, nonce, now)["email"] == "mia@lpsd.ca"
    with pytest.raises(protocol.OidcError):
        protocol.verify_id_token(token, jwks, _oidc(provider.issuer), nonce, now)  # audience
    with pytest.raises(protocol.OidcError):
        wrong_issuer = _oidc("https://login.example.org", client_id="other-app")
        protocol.verify_id_token(token, jwks, wrong_issuer, nonce, now)
    with pytest.raises(protocol.OidcError):
        protocol.verify_id_token(token, jwks, other, "another-nonce", now)
    with pytest.raises(protocol.OidcError):
        protocol.verify_id_token(
            token, jwks, other, nonce, now.replace(year=now.year + 1)
        )  # expired
