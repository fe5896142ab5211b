"""Delivery through a real SMTP server: parts, headers, retries, refusals, exactly once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from digest_world import HOSTILE, MONDAY, District, Mailbox, RecordingHandler, free_port
from sqlalchemy import delete, select

from monitor.store.db import transaction
from monitor.store.models import OutboxMessage
from notifications import outbox
from notifications.service import build_digests, deliver_pending, send_due_digests

WED = datetime(2026, 11, 18, 17, 0, tzinfo=UTC)
MakeDistrict = Callable[..., District]


def smtp_district(make_district: MakeDistrict, box: Mailbox, **smtp: Any) -> District:
    return make_district(
        smtp={"host": "127.0.0.1", "port": box.port, "security": "plain", **smtp},
        digest={"max_attempts": 3, "weekly_weekday": "sun"},
    )


def parsed(raw: bytes) -> EmailMessage:
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def rows(d: District) -> dict[str, OutboxMessage]:
    with transaction(d.app.sessions) as session:
        return {r.recipient: r for r in session.scalars(select(OutboxMessage))}


def test_a_digest_arrives_with_text_and_html_parts_and_its_headers(
    make_district: MakeDistrict, smtp_server: Mailbox
) -> None:
    d = smtp_district(make_district, smtp_server)
    d.lapse("bayview-fb", "identifies_school", f"bayview-fb: the page is named {HOSTILE}.", WED)
    run = send_due_digests(d.app, MONDAY)
    assert (run.built, run.sent, run.failed, run.retried) == (1, 1, 0, 0)
    [(envelope_to, raw)] = smtp_server.messages
    assert envelope_to == ["r.gill@cmsd82.ca"]
    msg = parsed(raw)
    assert msg["To"] == "r.gill@cmsd82.ca" and msg["From"] == "socmon@cmsd82.ca"
    assert msg["Subject"] == "Coast Mountains SD 82 social media: 1 new, 0 open (Mon 23 Nov 2026)"
    assert msg["Message-ID"].startswith("<socmon.daily.2026-11-23.")
    assert msg["Message-ID"].endswith("@cmsd82.ca>")
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    assert HOSTILE in text.get_content()
    assert HOSTILE not in html.get_content()
    assert "&lt;script&gt;" in html.get_content()
    assert rows(d)["r.gill@cmsd82.ca"].status == "sent"


def test_the_message_id_is_the_same_when_a_digest_is_rebuilt(make_district: MakeDistrict) -> None:
    d = make_district()
    d.lapse("bayview-fb", "two_admins", "bayview-fb: only 1 admin.", WED)
    build_digests(d.app, MONDAY)
    first = rows(d)["r.gill@cmsd82.ca"].message_id
    with transaction(d.app.sessions) as session:
        session.execute(delete(OutboxMessage))
    build_digests(d.app, MONDAY + timedelta(hours=2))
    assert rows(d)["r.gill@cmsd82.ca"].message_id == first
    assert first != outbox.message_id("daily", "r.gill@cmsd82.ca", "2026-11-24", "cmsd82.ca")


def test_a_digest_built_before_a_crash_is_sent_once_by_the_next_process(
    make_district: MakeDistrict, smtp_server: Mailbox
) -> None:
    d = smtp_district(make_district, smtp_server)
    d.lapse("bayview-fb", "two_admins", "bayview-fb: only 1 admin.", WED)
    assert len(build_digests(d.app, MONDAY)) == 1  # ...and the process dies here
    restarted = d.new_process()
    run = send_due_digests(restarted, MONDAY + timedelta(minutes=5))
    assert (run.built, run.sent) == (0, 1)
    again = send_due_digests(d.new_process(), MONDAY + timedelta(minutes=10))
    assert (again.built, again.sent) == (0, 0)
    assert len(smtp_server.messages) == 1


def test_only_one_worker_wins_the_claim_on_a_row(make_district: MakeDistrict) -> None:
    d = make_district()
    d.lapse("bayview-fb", "two_admins", "bayview-fb: only 1 admin.", WED)
    [row_id] = build_digests(d.app, MONDAY)
    with transaction(d.app.sessions) as session:
        assert outbox.claim(session, row_id, MONDAY) is not None
    with transaction(d.new_process().sessions) as session:
        assert outbox.claim(session, row_id, MONDAY) is None


def test_a_claim_left_by_a_dead_sender_expires_and_the_digest_is_sent_once(
    make_district: MakeDistrict, smtp_server: Mailbox
) -> None:
    d = smtp_district(make_district, smtp_server)
    d.lapse("bayview-fb", "two_admins", "bayview-fb: only 1 admin.", WED)
    [row_id] = build_digests(d.app, MONDAY)
    with transaction(d.app.sessions) as session:
        outbox.claim(session, row_id, MONDAY)  # the sender dies holding the claim
    assert deliver_pending(d.new_process(), MONDAY + timedelta(minutes=5)).sent == 0
    later = MONDAY + timedelta(seconds=outbox.CLAIM_SECONDS + 1)
    assert deliver_pending(d.new_process(), later).sent == 1
    assert deliver_pending(d.new_process(), later).sent == 0
    assert len(smtp_server.messages) == 1


def test_a_4xx_reply_is_retried_after_a_backoff_then_delivered(
    make_district: MakeDistrict, smtp_server: Mailbox
) -> None:
    d = smtp_district(make_district, smtp_server)
    d.lapse("bayview-fb", "two_admins", "bayview-fb: only 1 admin.", WED)
    smtp_server.data_replies.append("451 4.3.0 Mailbox busy, try later")
    first = send_due_digests(d.app, MONDAY)
    assert (first.built, first.sent, first.retried) == (1, 0, 1)
    row = rows(d)["r.gill@cmsd82.ca"]
    assert row.status == "pending" and "451 4.3.0 Mailbox busy" in row.last_error
    assert row.next_attempt_at == MONDAY + timedelta(seconds=outbox.BACKOFF_BASE_SECONDS)
    assert deliver_pending(d.app, MONDAY + timedelta(seconds=60)).sent == 0  # not due yet
    assert deliver_pending(d.app, row.next_attempt_at).sent == 1
    row = rows(d)["r.gill@cmsd82.ca"]
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(smtp_server.messages) == 1


def test_a_5xx_reply_is_permanent_and_keeps_the_servers_words(
    make_district: MakeDistrict, smtp_server: Mailbox
) -> None:
    d = smtp_district(make_district, smtp_server)
    d.lapse("bayview-fb", "two_admins", "bayview-fb: only 1 admin.", WED)
    smtp_server.data_replies.append("550 5.7.1 Message rejected by policy")
    run = send_due_digests(d.app, MONDAY)
    assert (run.sent, run.failed) == (0, 1)
    row = rows(d)["r.gill@cmsd82.ca"]
    assert row.status == "failed" and row.last_error == "550 5.7.1 Message rejected by policy"
    assert deliver_pending(d.app, MONDAY + timedelta(days=1)).sent == 0


def test_a_refused_recipient_is_recorded_and_the_others_still_get_theirs(
    make_district: MakeDistrict, smtp_server: Mailbox
) -> None:
    d = smtp_district(make_district, smtp_server)
    d.lapse("hillcrest-band-ig", "freshness", "hillcrest-band-ig: no post for 40 days.", WED)
    smtp_server.refuse["b.cho@cmsd82.ca"] = "550 5.1.1 No such user here"
    run = send_due_digests(d.app, MONDAY)
    assert (run.built, run.sent, run.failed) == (2, 1, 1)
    assert [to for to, _ in smtp_server.messages] == [["r.gill@cmsd82.ca"]]
    refused = rows(d)["b.cho@cmsd82.ca"]
    assert refused.status == "failed"
    assert refused.last_error == "refused b.cho@cmsd82.ca: 550 5.1.1 No such user here"


def test_a_temporarily_refused_recipient_is_retried(
    make_district: MakeDistrict, smtp_server: Mailbox
) -> None:
    d = smtp_district(make_district, smtp_server)
    d.lapse("bayview-fb", "two_admins", "bayview-fb: only 1 admin.", WED)
    smtp_server.refuse["r.gill@cmsd82.ca"] = "450 4.2.1 Mailbox temporarily unavailable"
    assert send_due_digests(d.app, MONDAY).retried == 1
    del smtp_server.refuse["r.gill@cmsd82.ca"]
    assert deliver_pending(d.app, MONDAY + timedelta(hours=1)).sent == 1


def test_transient_failures_give_up_after_max_attempts(
    make_district: MakeDistrict, smtp_server: Mailbox
) -> None:
    d = smtp_district(make_district, smtp_server)
    d.lapse("bayview-fb", "two_admins", "bayview-fb: only 1 admin.", WED)
    smtp_server.data_replies.extend(["421 4.3.2 Service not available"] * 3)
    build_digests(d.app, MONDAY)
    at = MONDAY
    results = []
    for _ in range(3):
        results.append(deliver_pending(d.app, at))
        at += timedelta(hours=3)
    assert [(r.retried, r.failed) for r in results] == [(1, 0), (1, 0), (0, 1)]
    row = rows(d)["r.gill@cmsd82.ca"]
    assert row.status == "failed" and row.last_error.startswith("gave up after 3 attempts: 421")


def test_an_unreachable_server_is_transient_and_stops_the_batch(
    make_district: MakeDistrict,
) -> None:
    d = make_district(smtp={"host": "127.0.0.1", "port": free_port(), "security": "plain"})
    d.lapse("hillcrest-band-ig", "freshness", "hillcrest-band-ig: no post for 40 days.", WED)
    run = send_due_digests(d.app, MONDAY)
    assert (run.built, run.sent, run.retried, run.failed) == (2, 0, 1, 0)
    by_recipient = rows(d)
    assert sorted(r.attempts for r in by_recipient.values()) == [0, 1]  # the second was not tried
    assert all(r.status == "pending" for r in by_recipient.values())


def test_it_logs_in_with_the_password_from_its_secret_and_never_logs_it(
    make_district: MakeDistrict, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    box = Mailbox(port=free_port())
    seen: list[tuple[bytes, bytes]] = []

    def authenticator(
        server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        seen.append((data.login, data.password))
        return AuthResult(success=data.password == b"hunter2-smtp")

    controller = Controller(
        RecordingHandler(box),
        hostname="127.0.0.1",
        port=box.port,
        authenticator=authenticator,
        auth_require_tls=False,
    )
    controller.start()
    try:
        monkeypatch.setenv("SOCMON_SMTP_PASSWORD", "hunter2-smtp")
        d = smtp_district(
            make_district, box, username="socmon", password_secret="SOCMON_SMTP_PASSWORD"
        )
        d.lapse("bayview-fb", "two_admins", "bayview-fb: only 1 admin.", WED)
        with caplog.at_level(logging.DEBUG):
            assert send_due_digests(d.app, MONDAY).sent == 1
    finally:
        controller.stop()
    assert seen == [(b"socmon", b"hunter2-smtp")]
    assert "hunter2-smtp" not in caplog.text
    assert b"hunter2-smtp" not in box.messages[0][1]


def test_a_missing_password_secret_is_transient_and_names_only_the_secret(
    make_district: MakeDistrict, smtp_server: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOCMON_SMTP_PASSWORD", raising=False)
    monkeypatch.delenv("SOCMON_SMTP_PASSWORD_FILE", raising=False)
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    d = smtp_district(
        make_district, smtp_server, username="socmon", password_secret="SOCMON_SMTP_PASSWORD"
    )
    d.lapse("bayview-fb", "two_admins", "bayview-fb: only 1 admin.", WED)
    assert send_due_digests(d.app, MONDAY).retried == 1
    assert "secret SOCMON_SMTP_PASSWORD is not set" in rows(d)["r.gill@cmsd82.ca"].last_error


def test_a_second_builder_that_lost_the_race_stores_nothing(make_district: MakeDistrict) -> None:
    d = make_district()
    d.lapse("bayview-fb", "two_admins", "bayview-fb: only 1 admin.", WED)
    draft = outbox.Draft("daily", "r.gill@cmsd82.ca", "2026-11-23", "s", "t", "h", [1])
    with transaction(d.app.sessions) as session:
        assert len(outbox.insert_once(session, [draft], "cmsd82.ca", MONDAY)) == 1
    # Another process rendered the same digest before it saw the row: the unique key decides.
    with transaction(d.new_process().sessions) as session:
        assert outbox.insert_once(session, [draft], "cmsd82.ca", MONDAY) == []
    assert build_digests(d.new_process(), MONDAY) == []
    assert len(rows(d)) == 1
