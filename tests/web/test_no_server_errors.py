"""No 500 from any request: every filter, date and page number is validated."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.web.conftest import BASE_URL, WebWorld, csrf_of, signed_in

ROUTES = (
    "/",
    "/lapses.csv",
    "/chart.svg",
    "/directory",
    "/mine",
    "/accounts/north-fb",
    "/accounts/north-fb/review",
    "/schools/North High",
    "/login",
)
KEYS = (
    "q",
    "school",
    "platform",
    "check",
    "status",
    "since",
    "until",
    "page",
    "sort",
    "order",
    "size",
    "next",
)
TRICKY = (
    "9999-12-31", "0001-01-01", "2026-02-30", "²", "١٢", "-1", "0", "99999999999999999999",
    "open", "all", "asc", "narrow", "%", "_", "\\", "\x00", "'; drop table lapses;--",
    "2026-11-23T00:00", "//evil.example", "é" * 300,
)  # fmt: skip
values = st.one_of(st.sampled_from(TRICKY), st.text(max_size=40))
queries = st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), values, max_size=6)


@pytest.fixture
def comms(world: WebWorld) -> Iterator[TestClient]:
    with signed_in(world, "comms@lpsd.ca") as c:
        yield c


@pytest.mark.parametrize(
    "url",
    [
        "/?until=9999-12-31",
        "/lapses.csv?until=9999-12-31",
        "/chart.svg?until=0001-01-01",
        "/directory?page=%C2%B2",
        "/?page=0",
        "/?since=2026-13-01",
        "/?school=a%00b",
        "/accounts/north-fb?page=%C2%B2",
    ],
)
def test_the_reported_crashing_queries_get_a_styled_400_with_the_usual_headers(
    comms: TestClient, url: str
) -> None:
    response = comms.get(url)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert '<link rel="stylesheet" href="/static/socmon.css">' in response.text
    assert "Sign out" in response.text  # the normal page, with its navigation
    assert response.headers["content-security-policy"].startswith("default-src 'none'")


def test_a_page_past_the_last_is_a_404_that_says_how_many_pages_there_are(
    comms: TestClient,
) -> None:
    response = comms.get("/?page=2")
    assert response.status_code == 404 and "1 page(s)" in response.text


@pytest.mark.parametrize("route", ROUTES)
@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(query=queries)
def test_no_query_string_makes_a_route_answer_5xx(
    comms: TestClient, route: str, query: dict[str, str]
) -> None:
    response = comms.get(route, params=query)
    assert response.status_code < 500, (route, query, response.text[:300])


@settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    segment=st.text(min_size=1, max_size=60).filter(lambda s: "/" not in s and s not in (".", ".."))
)
def test_no_path_segment_makes_the_account_school_or_link_routes_answer_5xx(
    comms: TestClient, segment: str
) -> None:
    for route in ("/accounts/{}", "/schools/{}", "/link/{}", "/accounts/{}/review"):
        response = comms.get(route.format(quote(segment, safe="")))
        assert response.status_code < 500, (route, segment)


def test_an_unexpected_error_is_a_styled_500_page_without_a_traceback(
    world: WebWorld, comms: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("secret internals")

    monkeypatch.setattr("socmon.web.queries.overview", broken)
    with TestClient(
        world.app, base_url=BASE_URL, raise_server_exceptions=False, follow_redirects=False
    ) as c:
        c.cookies = comms.cookies
        response = c.get("/")
    assert response.status_code == 500
    assert "Something went wrong" in response.text and "secret internals" not in response.text
    assert "socmon.css" in response.text
    assert response.headers["x-frame-options"] == "DENY"


def test_a_database_failure_is_a_503_that_says_the_page_cannot_be_shown(
    world: WebWorld, comms: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    def down(*args: object, **kwargs: object) -> object:
        raise OperationalError("SELECT", {}, Exception("database is locked"))

    monkeypatch.setattr("socmon.web.queries.overview", down)
    response = comms.get("/")
    assert response.status_code == 503 and response.headers["retry-after"] == "60"
    assert "Database unavailable" in response.text


FORMS = (
    ("/lapses/1/mute", ("reason", "until")),
    ("/lapses/99999999999999999999/mute", ("reason", "until")),
    ("/accounts/north-fb/attest", ("check", "note")),
    ("/accounts/north-fb/review", ("note", "next")),
    ("/link", ("token",)),
    ("/oidc/start", ("next",)),
    ("/login", ("email", "password", "next")),
)


@pytest.mark.parametrize(("route", "fields"), FORMS)
@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_no_form_value_makes_a_form_answer_5xx(
    comms: TestClient, route: str, fields: tuple[str, ...], data: st.DataObject
) -> None:
    form = {name: data.draw(values, label=name) for name in fields}
    form["csrf"] = csrf_of(comms.get("/directory").text)
    response = comms.post(route, data=form)
    assert response.status_code < 500, (route, form, response.text[:300])
