"""Mute, mark reviewed, attest: each recorded with who and why, only where allowed."""

from __future__ import annotations

import csv
import io
from datetime import date

from sqlalchemy import select

from monitor.store.models import Attestation, Lapse, LapseEvent, Review
from tests.web.conftest import NOW, WebWorld, csrf_of, signed_in


def _lapse_id(world: WebWorld, account: str, check: str) -> int:
    with world.sessions() as s:
        return s.scalars(
            select(Lapse.id).where(Lapse.account_id == account, Lapse.check_id == check)
        ).one()


def test_comms_mutes_a_lapse_with_reason_and_expiry_recorded_as_an_event(world: WebWorld) -> None:
    lapse_id = _lapse_id(world, "north-fb", "principal_admin")
    with signed_in(world, "comms@lpsd.ca") as c:
        token = csrf_of(c.get("/accounts/north-fb").text)
        response = c.post(
            f"/lapses/{lapse_id}/mute",
            data={"csrf": token, "reason": "principal on leave", "until": "2026-12-18"},
        )
        page = c.get("/accounts/north-fb").text
    assert response.status_code == 303
    with world.sessions() as s:
        lapse = s.get(Lapse, lapse_id)
        event = s.scalars(
            select(LapseEvent).where(LapseEvent.lapse_id == lapse_id, LapseEvent.kind == "muted")
        ).one()
    assert lapse is not None and lapse.status == "muted" and lapse.muted_until == date(2026, 12, 18)
    assert lapse.muted_by == "comms@lpsd.ca" and lapse.mute_reason == "principal on leave"
    assert event.actor == "comms@lpsd.ca" and "principal on leave" in event.note and event.at == NOW
    assert "Muted until 2026-12-18 by comms@lpsd.ca: principal on leave" in page


def test_a_mute_without_a_reason_or_with_a_past_date_is_refused(world: WebWorld) -> None:
    lapse_id = _lapse_id(world, "north-fb", "principal_admin")
    with signed_in(world, "comms@lpsd.ca") as c:
        token = csrf_of(c.get("/").text)
        no_reason = c.post(
            f"/lapses/{lapse_id}/mute", data={"csrf": token, "reason": " ", "until": "2026-12-01"}
        )
        past = c.post(
            f"/lapses/{lapse_id}/mute",
            data={"csrf": token, "reason": "because", "until": "2026-11-01"},
        )
    assert no_reason.status_code == 400 and "Say why" in no_reason.text
    assert past.status_code == 400
    with world.sessions() as s:
        assert s.get(Lapse, lapse_id).status == "open"  # type: ignore[union-attr]


def test_a_mute_without_a_csrf_token_is_refused_and_changes_nothing(world: WebWorld) -> None:
    lapse_id = _lapse_id(world, "north-fb", "principal_admin")
    with signed_in(world, "comms@lpsd.ca") as c:
        response = c.post(
            f"/lapses/{lapse_id}/mute", data={"reason": "sneaky", "until": "2026-12-01"}
        )
    assert response.status_code == 403
    with world.sessions() as s:
        assert s.get(Lapse, lapse_id).status == "open"  # type: ignore[union-attr]


def test_a_manager_cannot_mute_a_lapse(world: WebWorld) -> None:
    lapse_id = _lapse_id(world, "north-fb", "principal_admin")
    with signed_in(world, "mia@lpsd.ca") as c:
        token = csrf_of(c.get("/").text)
        response = c.post(
            f"/lapses/{lapse_id}/mute",
            data={"csrf": token, "reason": "not now", "until": "2026-12-01"},
        )
    assert response.status_code == 403


def test_muting_a_resolved_lapse_is_a_clear_409(world: WebWorld) -> None:
    lapse_id = _lapse_id(world, "north-fb", "privacy")
    with signed_in(world, "comms@lpsd.ca") as c:
        token = csrf_of(c.get("/").text)
        response = c.post(
            f"/lapses/{lapse_id}/mute",
            data={"csrf": token, "reason": "old one", "until": "2026-12-01"},
        )
    assert response.status_code == 409 and "resolved" in response.text


def test_marking_comments_reviewed_records_a_review_and_a_timeline_event(world: WebWorld) -> None:
    with signed_in(world, "mia@lpsd.ca") as c:
        token = csrf_of(c.get("/accounts/north-fb").text)
        response = c.post(
            "/accounts/north-fb/review", data={"csrf": token, "note": "hid 2 spam comments"}
        )
        page = c.get("/accounts/north-fb").text
    assert response.status_code == 303
    with world.sessions() as s:
        review = s.scalars(select(Review)).one()
        event = s.scalars(select(LapseEvent).where(LapseEvent.kind == "reviewed")).one()
    assert (review.account_id, review.by, review.source, review.note) == (
        "north-fb",
        "mia@lpsd.ca",
        "web",
        "hid 2 spam comments",
    )
    assert (
        event.lapse_id is None and event.actor == "mia@lpsd.ca" and event.account_id == "north-fb"
    )
    assert 'class="k-reviewed"' in page and "hid 2 spam comments" in page


def test_a_manager_cannot_review_another_schools_account(world: WebWorld) -> None:
    with signed_in(world, "mia@lpsd.ca") as c:
        token = csrf_of(c.get("/").text)
        response = c.post("/accounts/south-ig/review", data={"csrf": token})
    assert response.status_code == 404
    with world.sessions() as s:
        assert s.scalars(select(Review)).first() is None


def test_an_attestation_is_recorded_with_who_and_what_was_verified(world: WebWorld) -> None:
    with signed_in(world, "comms@lpsd.ca") as c:
        page = c.get("/accounts/north-fb").text
        assert "Attest this" in page  # signature is unknown there
        response = c.post(
            "/accounts/north-fb/attest",
            data={
                "csrf": csrf_of(page),
                "check": "signature",
                "note": "banner shows the district logo",
            },
        )
        after = c.get("/accounts/north-fb").text
    assert response.status_code == 303
    with world.sessions() as s:
        att = s.scalars(select(Attestation)).one()
        event = s.scalars(select(LapseEvent).where(LapseEvent.kind == "attested")).one()
    assert (att.check_id, att.by, att.note) == (
        "signature",
        "comms@lpsd.ca",
        "banner shows the district logo",
    )
    assert event.actor == "comms@lpsd.ca" and event.check_id == "signature"
    assert "Attested" in after


def test_an_attestation_for_an_unknown_check_is_refused(world: WebWorld) -> None:
    with signed_in(world, "comms@lpsd.ca") as c:
        token = csrf_of(c.get("/").text)
        response = c.post(
            "/accounts/north-fb/attest", data={"csrf": token, "check": "nope", "note": "fine"}
        )
    assert response.status_code == 400


def test_the_csv_export_follows_the_filters(world: WebWorld) -> None:
    with signed_in(world, "comms@lpsd.ca") as c:
        all_rows = list(
            csv.DictReader(io.StringIO(c.get("/lapses.csv", params={"status": "all"}).text))
        )
        north = c.get("/lapses.csv", params={"school": "North High"})
        muted = list(
            csv.DictReader(io.StringIO(c.get("/lapses.csv", params={"status": "muted"}).text))
        )
    north_rows = list(csv.DictReader(io.StringIO(north.text)))
    assert len(all_rows) == 5
    assert [(r["account_id"], r["check"]) for r in north_rows] == [
        ("north-x", "comments"),  # newest first, like the page
        ("north-fb", "principal_admin"),
    ]
    assert north.headers["content-disposition"].startswith("attachment;")
    assert [r["check"] for r in muted] == ["freshness"]
    assert muted[0]["muted_until"] == "2026-12-31"


def test_the_csv_export_defuses_spreadsheet_formulas(world: WebWorld) -> None:
    with signed_in(world, "comms@lpsd.ca") as c:
        rows = list(
            csv.DictReader(io.StringIO(c.get("/lapses.csv", params={"status": "muted"}).text))
        )
    assert rows[0]["mute_reason"].startswith("'=cmd")
