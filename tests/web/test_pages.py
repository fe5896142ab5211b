"""Every page, for every role: what each one shows and what a manager may not see."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import BASE_URL, WebWorld, signed_in

PAGES = [
    "/",
    "/directory",
    "/mine",
    "/accounts/north-fb",
    "/schools/North High",
    "/chart.svg",
    "/lapses.csv",
]


@pytest.mark.parametrize("email", ["comms@lpsd.ca", "it@lpsd.ca", "mia@lpsd.ca"])
@pytest.mark.parametrize("path", PAGES)
def test_every_page_answers_for_every_role_that_may_see_it(
    world: WebWorld, email: str, path: str
) -> None:
    with signed_in(world, email) as c:
        response = c.get(path)
    assert response.status_code == 200, response.text
    if path not in ("/chart.svg", "/lapses.csv"):
        assert "<script" not in response.text
        assert "north-fb" in response.text


@pytest.mark.parametrize("path", ["/accounts/north-fb", "/schools/North High"])
def test_a_manager_gets_404_for_another_schools_account_and_school(
    world: WebWorld, path: str
) -> None:
    with signed_in(world, "sam@lpsd.ca") as c:
        response = c.get(path)
    assert response.status_code == 404
    assert "north-fb" not in response.text


@pytest.mark.parametrize("path", PAGES)
def test_pages_send_an_anonymous_visitor_to_sign_in(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_the_overview_lists_open_lapses_newest_first_with_counts(world: WebWorld) -> None:
    with signed_in(world, "comms@lpsd.ca") as c:
        html = c.get("/").text
    assert html.index("north-x fails comments") < html.index("south-ig fails two_admins")
    assert html.index("south-ig fails two_admins") < html.index("north-fb fails principal_admin")
    assert "<strong>3</strong> open lapses" in html
    assert "Page 1 of 1" in html
    assert "north-fb fails privacy" not in html  # resolved
    assert "south-ig fails freshness" not in html  # muted: not open
    assert "Accounts whose status is unknown" in html


def test_a_manager_sees_only_their_accounts_on_the_overview_directory_and_export(
    world: WebWorld,
) -> None:
    with signed_in(world, "mia@lpsd.ca") as c:
        pages = [c.get("/").text, c.get("/directory").text, c.get("/lapses.csv?status=all").text]
    for text in pages:
        assert "north-fb" in text
        assert "south-ig" not in text
        assert "South Elementary" not in text


def test_filters_narrow_the_overview_by_school_platform_check_status_and_dates(
    world: WebWorld,
) -> None:
    with signed_in(world, "comms@lpsd.ca") as c:
        by_school = c.get("/", params={"school": "South Elementary"}).text
        by_platform = c.get("/", params={"platform": "x"}).text
        by_check = c.get("/", params={"check": "principal_admin"}).text
        muted = c.get("/", params={"status": "muted"}).text
        recent = c.get(
            "/", params={"status": "all", "since": "2026-11-15", "until": "2026-11-23"}
        ).text
    assert "south-ig fails two_admins" in by_school and "north-fb fails" not in by_school
    assert "north-x fails comments" in by_platform and "north-fb fails" not in by_platform
    assert "north-fb fails principal_admin" in by_check and "south-ig fails" not in by_check
    assert "south-ig fails freshness" in muted and "north-fb fails" not in muted
    assert "north-x fails comments" in recent and "south-ig fails freshness" in recent
    assert "north-fb fails principal_admin" not in recent  # opened 20 days before


def test_a_filter_that_cannot_be_read_is_answered_with_a_clear_400(world: WebWorld) -> None:
    with signed_in(world, "comms@lpsd.ca") as c:
        response = c.get("/", params={"since": "yesterday"})
    assert response.status_code == 400
    assert "since must be a date like 2026-11-23" in response.text


def test_the_account_page_shows_each_checks_status_evidence_clauses_and_the_timeline(
    world: WebWorld,
) -> None:
    with signed_in(world, "mia@lpsd.ca") as c:
        html = c.get("/accounts/north-fb").text
    assert "Pat Principal is not an admin of north-fb." in html
    assert "Mia Manager" in html  # evidence
    assert "CRPS AP146 4.b" in html  # the principal_admin clause
    assert "not checked yet" in html  # checks with no state
    assert html.count('class="k-opened"') == 2 and 'class="k-resolved"' in html
    assert "APR-2024-17" in html and "Pat Principal" in html


def test_the_account_page_never_renders_a_token_found_in_evidence(world: WebWorld) -> None:
    with signed_in(world, "comms@lpsd.ca") as c:
        html = c.get("/accounts/north-fb").text
    assert "EAAB-SECRET-TOKEN" not in html
    assert "access_token=[hidden]" in html


def test_the_school_page_lists_its_accounts_with_their_open_lapses(world: WebWorld) -> None:
    with signed_in(world, "comms@lpsd.ca") as c:
        html = c.get("/schools/North High").text
    assert "north-fb" in html and "north-x" in html and "south-ig" not in html
    assert "north-fb fails principal_admin" in html


def test_the_directory_shows_managers_principal_and_approval(world: WebWorld) -> None:
    with signed_in(world, "comms@lpsd.ca") as c:
        html = c.get("/directory", params={"school": "North High"}).text
    assert "mia@lpsd.ca, ola@lpsd.ca" in html
    assert "Pat Principal" in html and "APR-2024-17" in html
    assert "APR-2025-02" not in html


def test_every_answer_carries_the_security_headers(world: WebWorld) -> None:
    with signed_in(world, "comms@lpsd.ca") as c:
        response = c.get("/")
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
    assert "unsafe-inline" not in csp and "script-src" not in csp  # no script may run at all
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"


def test_the_chart_is_an_svg_of_open_lapses_per_day(world: WebWorld) -> None:
    with signed_in(world, "comms@lpsd.ca") as c:
        response = c.get("/chart.svg", params={"since": "2026-10-01", "until": "2026-11-23"})
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.text.startswith("<svg") and "<script" not in response.text
    # On Nov 23: four lapses still open or muted.
    assert "4 on Nov 23" in response.text


def test_an_unknown_page_is_a_404_page(world: WebWorld) -> None:
    with signed_in(world, "comms@lpsd.ca") as c:
        response = c.get("/nowhere")
    assert response.status_code == 404 and "There is no such page." in response.text
    assert BASE_URL
