"""What the daily digest says, to whom, and when it stays silent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from digest_world import HOSTILE, MONDAY, District, account
from sqlalchemy import select

from monitor.lapses import mute_lapse
from monitor.signed_links import verify_link_token
from monitor.store.db import transaction
from monitor.store.models import OutboxMessage
from notifications.service import build_digests, deliver_pending
from notifications.smtp import FileTransport

WED = datetime(2026, 11, 18, 17, 0, tzinfo=UTC)  # Wednesday 09:00 Vancouver
FRI_BEFORE = datetime(2026, 11, 13, 17, 0, tzinfo=UTC)  # six school days before Monday

MakeDistrict = Callable[..., District]


def outbox_rows(d: District, kind: str = "daily") -> dict[str, OutboxMessage]:
    with transaction(d.app.sessions) as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)).all()
        return {r.recipient: r for r in rows}


def parts(d: District, recipient: str) -> tuple[str, str, str]:
    row = outbox_rows(d)[recipient]
    return row.subject, row.body_text, row.body_html


def test_it_groups_a_managers_lapses_by_school_then_account(make_district: MakeDistrict) -> None:
    d = make_district()
    d.lapse("bayview-fb", "two_admins", "bayview-fb: only 1 admin.", WED)
    d.lapse("hillcrest-fb", "privacy", "hillcrest-fb: public, declared private.", WED)
    d.lapse("hillcrest-band-ig", "freshness", "hillcrest-band-ig: no post for 45 days.", WED)
    build_digests(d.app, MONDAY)
    _, text, html = parts(d, "r.gill@cmsd82.ca")
    # Schools alphabetically, then accounts by id within each school.
    order = [
        text.index(s)
        for s in (
            "=== Bayview",
            "bayview-fb",
            "=== Hillcrest",
            "hillcrest-band-ig",
            "hillcrest-fb ---",
        )
    ]
    assert order == sorted(order)
    assert html.index("Bayview Secondary") < html.index("Hillcrest Elementary")
    # Each manager sees only their accounts.
    _, other_text, _ = parts(d, "b.cho@cmsd82.ca")
    assert "hillcrest-band-ig" in other_text and "bayview-fb" not in other_text


def test_each_lapse_says_what_is_wrong_what_to_do_and_which_clause(
    make_district: MakeDistrict,
) -> None:
    d = make_district()
    d.lapse("bayview-fb", "two_admins", "bayview-fb: only 1 admin (Sam).", WED)
    build_digests(d.app, MONDAY)
    subject, text, html = parts(d, "r.gill@cmsd82.ca")
    assert "1 new" in subject and "Coast Mountains SD 82" in subject
    for part in (text, html):
        assert "bayview-fb: only 1 admin (Sam)." in part
        assert "Add a second staff admin" in part
        assert "CRPS AP146 3.d; CRPS AP146 4.b" in part
        assert "https://www.facebook.com/100010" in part


def test_a_hostile_detail_is_escaped_in_html_and_plain_in_text(make_district: MakeDistrict) -> None:
    d = make_district()
    d.lapse("bayview-fb", "identifies_school", f"bayview-fb: the page is named '{HOSTILE}'.", WED)
    build_digests(d.app, MONDAY)
    _, text, html = parts(d, "r.gill@cmsd82.ca")
    assert HOSTILE in text
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_ages_count_school_days_skipping_the_weekend_and_holidays(
    make_district: MakeDistrict,
) -> None:
    d = make_district(district={"holidays": ["2026-11-20"]})
    d.lapse("bayview-fb", "two_admins", "bayview-fb: only 1 admin.", WED)
    build_digests(d.app, MONDAY)
    _, text, _ = parts(d, "r.gill@cmsd82.ca")
    # Thu 19 counts; Fri 20 (holiday), Sat and Sun do not; Mon 23 counts.
    assert "Open since Wed 18 Nov 2026 (2 school days)" in text


def test_ages_are_calendar_days_when_school_days_only_is_off(make_district: MakeDistrict) -> None:
    d = make_district(digest={"school_days_only": False})
    d.lapse("bayview-fb", "two_admins", "bayview-fb: only 1 admin.", WED)
    build_digests(d.app, MONDAY)
    _, text, _ = parts(d, "r.gill@cmsd82.ca")
    assert "Open since Wed 18 Nov 2026 (5 days)" in text


def test_a_lapse_open_past_the_threshold_also_goes_to_the_principal(
    make_district: MakeDistrict,
) -> None:
    d = make_district()
    d.lapse("hillcrest-fb", "principal_admin", "hillcrest-fb: Ann Lee is not an admin.", FRI_BEFORE)
    d.lapse("hillcrest-fb", "freshness", "hillcrest-fb: no post for 31 days.", WED)
    build_digests(d.app, MONDAY)
    subject, text, html = parts(d, "a.lee@cmsd82.ca")
    assert "Ann Lee is not an admin" in text and "(6 school days)" in text
    assert "Ann Lee is not an admin" in html and "1 open" in subject
    # Only the escalated lapse: the 3-day-old one stays with the manager.
    assert "no post for 31 days" not in text and "no post for 31 days" not in html
    assert "As principal" in text
    _, manager_text, _ = parts(d, "r.gill@cmsd82.ca")
    assert "[sent to the principal too]" in manager_text and "no post for 31 days" in manager_text


def test_a_holiday_can_keep_a_lapse_below_the_escalation_threshold(
    make_district: MakeDistrict,
) -> None:
    d = make_district(district={"holidays": ["2026-11-20"]})
    d.lapse("hillcrest-fb", "principal_admin", "hillcrest-fb: Ann Lee is not an admin.", FRI_BEFORE)
    build_digests(d.app, MONDAY)
    assert "a.lee@cmsd82.ca" not in outbox_rows(d)  # 5 school days is not more than 5


def test_no_email_when_there_is_nothing_to_say(make_district: MakeDistrict) -> None:
    d = make_district()
    assert build_digests(d.app, MONDAY) == []
    assert outbox_rows(d) == {}


def test_a_muted_lapse_is_only_counted_and_alone_sends_nothing(make_district: MakeDistrict) -> None:
    d = make_district()
    lapse_id = d.lapse("bayview-fb", "freshness", "bayview-fb: no post for 40 days.", WED)
    with transaction(d.app.sessions) as session:
        mute_lapse(
            session,
            lapse_id,
            reason="summer",
            by="l.roy@cmsd82.ca",
            until=MONDAY.date() + timedelta(days=30),
            at=WED,
        )
    build_digests(d.app, MONDAY)
    assert outbox_rows(d) == {}
    d.lapse("bayview-fb", "two_admins", "bayview-fb: only 1 admin.", WED)
    build_digests(d.app, MONDAY + timedelta(days=1))
    _, text, _ = parts(d, "r.gill@cmsd82.ca")
    assert "(1 muted)" in text and "no post for 40 days" not in text


def test_the_next_day_splits_new_still_open_and_resolved(make_district: MakeDistrict) -> None:
    d = make_district()
    d.lapse("bayview-fb", "two_admins", "bayview-fb: only 1 admin.", WED)
    d.lapse("bayview-fb", "freshness", "bayview-fb: no post for 31 days.", WED)
    build_digests(d.app, MONDAY)
    tuesday = MONDAY + timedelta(days=1)
    d.resolve("bayview-fb", "freshness", tuesday - timedelta(hours=3))
    d.lapse(
        "bayview-fb",
        "privacy",
        "bayview-fb: public, declared private.",
        tuesday - timedelta(hours=2),
    )
    build_digests(d.app, tuesday)
    with transaction(d.app.sessions) as session:
        row = session.scalars(
            select(OutboxMessage).where(OutboxMessage.period == "2026-11-24")
        ).one()
    text = row.body_text
    new, still, resolved = (text.index(h) for h in ("New since", "Still open:\n", "Resolved since"))
    assert (
        new < text.index("public, declared private") < still < text.index("only 1 admin") < resolved
    )
    assert "Updated regularly (resolved Tue 24 Nov 2026)" in text
    assert "1 new, 1 open, 1 resolved" in row.subject


def test_an_account_unknown_too_long_is_reported_to_managers_and_it(
    make_district: MakeDistrict,
) -> None:
    d = make_district()
    d.fetch_failing("bayview-fb", MONDAY - timedelta(days=3), "token expired")
    d.fetch_failing("hillcrest-fb", MONDAY - timedelta(days=1), "timeout")  # not long enough yet
    build_digests(d.app, MONDAY)
    _, text, html = parts(d, "r.gill@cmsd82.ca")
    assert "Could not be checked since Fri 20 Nov 2026 (3 days): token expired" in text
    assert "token expired" in html
    assert "hillcrest-fb" not in text
    assert "token expired" in parts(d, "it@cmsd82.ca")[1]


def test_operational_lapses_go_to_it_not_to_managers(make_district: MakeDistrict) -> None:
    d = make_district()
    d.lapse("bayview-fb", "connector", "bayview-fb: the token lacks pages_read_engagement.", WED)
    build_digests(d.app, MONDAY)
    rows = outbox_rows(d)
    assert set(rows) == {"it@cmsd82.ca"}
    assert "pages_read_engagement" in rows["it@cmsd82.ca"].body_text


def test_signed_history_and_review_links_when_a_public_url_is_set(
    make_district: MakeDistrict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOCMON_WEB_SECRET", "s3cret-for-links-only")
    d = make_district(web={"public_url": "https://socmon.cmsd82.ca"})
    d.lapse("bayview-fb", "comments", "bayview-fb: 2 comments unanswered for over 24 h.", WED)
    d.lapse("hillcrest-fb", "two_admins", "hillcrest-fb: only 1 admin.", WED)
    build_digests(d.app, MONDAY)
    _, text, html = parts(d, "r.gill@cmsd82.ca")
    review = [line for line in text.splitlines() if line.startswith("Mark comments reviewed: ")]
    assert len(review) == 1  # only the account with a comments lapse
    token = review[0].split("/link/")[1]
    claims = verify_link_token(token, "s3cret-for-links-only", now=MONDAY)
    assert (claims.email, claims.account_ids, claims.purpose) == (
        "r.gill@cmsd82.ca",
        ("bayview-fb",),
        "review",
    )
    assert text.count("History: https://socmon.cmsd82.ca/link/") == 2
    assert "s3cret-for-links-only" not in text + html


def test_nothing_is_due_before_the_digest_hour(make_district: MakeDistrict) -> None:
    d = make_district()
    d.lapse("bayview-fb", "two_admins", "bayview-fb: only 1 admin.", WED)
    six_am = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # 06:00 Vancouver
    assert build_digests(d.app, six_am) == []
    assert outbox_rows(d) == {} and outbox_rows(d, "weekly") == {}
    build_digests(d.app, six_am + timedelta(hours=5))  # a late morning still builds
    assert outbox_rows(d)["r.gill@cmsd82.ca"].period == "2026-11-23"


def test_without_an_smtp_host_digests_are_written_as_eml_files(make_district: MakeDistrict) -> None:
    d = make_district()
    d.lapse("bayview-fb", "two_admins", f"bayview-fb: admin {HOSTILE}.", WED)
    build_digests(d.app, MONDAY)
    run = deliver_pending(d.app, MONDAY)  # no transport given: smtp.host is empty
    assert run.sent == 1
    files = list(Path(d.app.settings.outbox).glob("*.eml"))
    assert [f.name for f in files] == ["daily-2026-11-23-r.gill@cmsd82.ca.eml"]
    msg = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert isinstance(msg, EmailMessage)
    assert msg["To"] == "r.gill@cmsd82.ca"
    assert outbox_rows(d)["r.gill@cmsd82.ca"].status == "sent"
    assert deliver_pending(d.app, MONDAY, FileTransport(d.tmp_path / "again")).sent == 0


def test_a_second_account_manager_list_shape_is_accepted(make_district: MakeDistrict) -> None:
    extra: Any = account("lone-x", "Lakeside Middle", ["z.k@cmsd82.ca"])
    d = make_district(accounts=[extra])
    d.lapse("lone-x", "signature", "lone-x: no signature.", WED)
    build_digests(d.app, MONDAY)
    assert set(outbox_rows(d)) == {"z.k@cmsd82.ca"}
