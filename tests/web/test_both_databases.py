"""The web page's queries, sessions and throttling on SQLite and on PostgreSQL alike."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from monitor.store.db import session_factory, transaction
from monitor.store.models import Lapse
from socmon.web.app import create_app
from tests.web.conftest import BASE_URL, NOW, PASSWORD, SECRET, Clock, csrf_of, make_settings, seed


@pytest.fixture
def app_client(engine: Engine) -> Iterator[tuple[TestClient, Clock]]:
    sessions = session_factory(engine)
    seed(sessions)
    with transaction(sessions) as s:
        s.add(Lapse(account_id="credential-youtube", check_id="connector_health", status="open",
                    opened_at=NOW - timedelta(hours=30), last_seen_at=NOW, detail="The YouTube key is refused.",
                    evidence={}, muted_by="", mute_reason=""))  # fmt: skip
    clock = Clock(NOW)
    app = create_app(make_settings(), sessions, clock, SECRET)
    with TestClient(app, base_url=BASE_URL, follow_redirects=False) as c:
        yield c, clock


def _sign_in(c: TestClient, password: str = PASSWORD) -> int:
    token = csrf_of(c.get("/login").text)
    data = {"email": "comms@lpsd.ca", "password": password, "csrf": token}
    return c.post("/login", data=data).status_code


def test_lists_search_chart_and_csv_agree_on_either_database(
    app_client: tuple[TestClient, Clock],
) -> None:
    c, _ = app_client
    assert _sign_in(c) == 303
    html = c.get("/").text
    assert "<strong>4</strong> open lapses" in html and "The YouTube key is refused." in html
    assert "<strong>5</strong> open or muted at the end of 2026-11-23" in html
    searched = c.get("/", params={"q": "NORTH", "sort": "check", "order": "asc"}).text
    assert searched.index("north-x fails comments") < searched.index(
        "north-fb fails principal_admin"
    )
    assert "YouTube key" not in searched
    youtube = c.get("/", params={"platform": "youtube"}).text
    assert "The YouTube key is refused." in youtube and "north-x fails" not in youtube
    rows = list(csv.DictReader(io.StringIO(c.get("/lapses.csv", params={"status": "all"}).text)))
    assert len(rows) == 6 and {r["scope"] for r in rows} == {"account", "district-wide"}
    chart = c.get("/chart.svg").text
    assert "5 on Nov 23" in chart


def test_sessions_and_throttling_work_on_either_database(
    app_client: tuple[TestClient, Clock],
) -> None:
    c, clock = app_client
    assert [_sign_in(c, "wrong-password-x") for _ in range(6)] == [401] * 5 + [429]
    clock.advance(minutes=16)
    assert _sign_in(c) == 303
    assert c.get("/").status_code == 200
    clock.advance(minutes=61)
    assert c.get("/").status_code == 303  # idle
