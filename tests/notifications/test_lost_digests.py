"""No lost digest: SMTP down past the last attempt is shown and re-queued; a stuck send is recovered.

And digests say when no complete check cycle of their day backs them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from aiosmtpd.controller import Controller
from digest_world import MONDAY, District, Mailbox, RecordingHandler, free_port
from sqlalchemy import select

from monitor.store.db import transaction
from monitor.store.models import Cycle, OutboxMessage
from notifications import outbox
from notifications.service import build_digests, deliver_pending
from socmon.daemon.recovery import recover
from socmon.status import build_status, format_status

MakeDistrict = Callable[..., District]
TUESDAY = MONDAY + timedelta(days=1)


def _rows(d: District) -> dict[str, OutboxMessage]:
    with d.app.sessions() as session:
        return {r.recipient: r for r in session.scalars(select(OutboxMessage))}


def _give_up(d: District, port: int) -> None:
    """Build Monday's digest and try it with SMTP down until its attempts are used up."""
    d.lapse("bayview-fb", "two_admins", "bayview-fb: only 1 admin.", MONDAY - timedelta(days=5))
    build_digests(d.app, MONDAY)
    at = MONDAY
    for _ in range(2):
        deliver_pending(d.app, at)
        at += timedelta(hours=3)


def test_a_digest_that_used_up_its_attempts_is_listed_by_status_and_in_its_digest_to_it(
    make_district: MakeDistrict,
) -> None:
    port = free_port()  # nothing listens: SMTP is down for the whole time
    d = make_district(
        smtp={"host": "127.0.0.1", "port": port, "security": "plain"},
        digest={"max_attempts": 2},
    )
    _give_up(d, port)
    row = _rows(d)["r.gill@cmsd82.ca"]
    assert (row.status, row.attempts) == ("failed", 2)

    report = build_status(d.app, TUESDAY)
    text = format_status(report, d.app.settings)

    assert [(f.recipient, f.period, f.attempts) for f in report.failed_digests] == [
        ("r.gill@cmsd82.ca", "2026-11-23", 2)
    ]
    assert "1 digest(s) could not be delivered" in text
    assert "digest failed: daily 2026-11-23 to r.gill@cmsd82.ca after 2 attempt(s)" in text
    assert report.exit_code == 1

    build_digests(d.app, TUESDAY)  # the next morning: IT hears of it in its own digest
    it = _rows(d)["it@cmsd82.ca"]
    line = "daily 2026-11-23 to r.gill@cmsd82.ca, 2 attempt(s): gave up after 2 attempts"
    assert "Digests that could not be delivered" in it.body_text and line in it.body_text
    assert "socmon digest --retry-failed" in it.body_html and line in it.body_html


def test_a_re_queued_digest_is_sent_once_smtp_is_back(make_district: MakeDistrict) -> None:
    port = free_port()
    d = make_district(
        smtp={"host": "127.0.0.1", "port": port, "security": "plain"},
        digest={"max_attempts": 2},
    )
    _give_up(d, port)
    box = Mailbox(port=port)
    controller = Controller(RecordingHandler(box), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with transaction(d.app.sessions) as session:
            assert outbox.requeue_failed(session, TUESDAY) == 1
        run = deliver_pending(d.app, TUESDAY)
    finally:
        controller.stop()

    assert run.sent == 1
    assert [to for to, _raw in box.messages] == [["r.gill@cmsd82.ca"]]
    assert _rows(d)["r.gill@cmsd82.ca"].status == "sent"
    assert build_status(d.app, TUESDAY).failed_digests == []


def test_a_digest_left_sending_by_a_stopped_process_is_sent_at_start_up_not_after_the_claim(
    make_district: MakeDistrict, smtp_server: Mailbox
) -> None:
    d = make_district(smtp={"host": "127.0.0.1", "port": smtp_server.port, "security": "plain"})
    d.lapse("bayview-fb", "two_admins", "bayview-fb: only 1 admin.", MONDAY - timedelta(days=5))
    [row_id] = build_digests(d.app, MONDAY)
    with transaction(d.app.sessions) as session:
        assert outbox.claim(session, row_id, MONDAY) is not None  # SIGTERM mid-SMTP exchange
    restart = MONDAY + timedelta(minutes=1)  # long before the claim would expire

    recovered = recover(d.new_process(), restart)
    run = deliver_pending(d.new_process(), restart)

    assert recovered.digests == 1
    assert run.sent == 1 and len(smtp_server.messages) == 1
    row = _rows(d)["r.gill@cmsd82.ca"]
    assert (row.status, row.attempts) == ("sent", 1)  # the interrupted attempt did not count


def _cycle(d: District, status: str, reason: str = "", started: datetime = MONDAY) -> None:
    with transaction(d.app.sessions) as session:
        session.add(
            Cycle(
                started_at=started - timedelta(minutes=30),
                finished_at=started - timedelta(minutes=25),
                accounts_total=3,
                status=status,
                reason=reason,
            )
        )


def test_a_digest_without_a_complete_cycle_that_day_says_it_was_built_from_an_incomplete_check(
    make_district: MakeDistrict,
) -> None:
    d = make_district()
    d.lapse("bayview-fb", "two_admins", "bayview-fb: only 1 admin.", MONDAY - timedelta(days=5))
    _cycle(d, "complete", started=MONDAY - timedelta(days=1))  # yesterday's does not count
    why = "stopped before every account was checked: 1 of 3 accounts have a stored result"
    _cycle(d, "incomplete", why)

    build_digests(d.app, MONDAY)

    row = _rows(d)["r.gill@cmsd82.ca"]
    note = f"Built from an incomplete check: today's check cycle was incomplete ({why})"
    assert note in row.body_text
    assert "Built from an incomplete check:</strong> today&#39;s check cycle was incomplete" in (
        row.body_html
    )


def test_a_digest_after_a_complete_cycle_that_day_carries_no_such_note(
    make_district: MakeDistrict,
) -> None:
    d = make_district()
    d.lapse("bayview-fb", "two_admins", "bayview-fb: only 1 admin.", MONDAY - timedelta(days=5))
    _cycle(d, "complete")

    build_digests(d.app, MONDAY)

    row = _rows(d)["r.gill@cmsd82.ca"]
    assert "incomplete check" not in row.body_text + row.body_html
