"""Taking the lease puts right what a dead holder left; `socmon digest --retry-failed` re-queues."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import typer
from aiosmtpd.controller import Controller
from daemon_helpers import T0, upgraded_app, write_config
from sqlalchemy import select
from typer.testing import CliRunner

from monitor.lease import LeaseKeeper
from monitor.store.db import transaction
from monitor.store.models import Cycle, OutboxMessage
from socmon.cli import digest as digest_cli
from socmon.daemon import Daemon
from socmon.daemon.recovery import CUT_SHORT


def test_taking_the_lease_records_a_cycle_its_dead_holder_left_running_as_incomplete(
    tmp_path: Path,
) -> None:
    app = upgraded_app(write_config(tmp_path, accounts=2), clock=lambda: T0)
    with transaction(app.sessions) as session:
        session.add(Cycle(started_at=T0 - timedelta(minutes=5), accounts_total=2, status="running"))
    daemon = Daemon(app, LeaseKeeper(app.sessions, clock=app.clock), environ={})

    assert daemon.renew_lease()

    with app.sessions() as session:
        (cycle,) = session.scalars(select(Cycle)).all()
    assert (cycle.status, cycle.reason, cycle.finished_at) == ("incomplete", CUT_SHORT, T0)


def test_digest_retry_failed_re_queues_and_sends_what_had_used_up_its_attempts(
    tmp_path: Path,
) -> None:
    from smtp_inbox import Inbox, free_port

    port = free_port()
    extra = f'\n[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "plain"\nsender = "socmon@cmsd82.ca"\n'
    config = write_config(tmp_path, accounts=1, extra=extra)
    app = upgraded_app(config)
    now = app.clock()
    with transaction(app.sessions) as session:
        session.add(
            OutboxMessage(
                kind="daily",
                recipient="manager0@cmsd82.ca",
                period=(now - timedelta(days=1)).date().isoformat(),
                status="failed",
                message_id="<socmon.daily.test@cmsd82.ca>",
                subject="Digest",
                body_text="text",
                body_html="<p>html</p>",
                created_at=now - timedelta(days=1),
                attempts=8,
                last_error="gave up after 8 attempts: 421 4.3.2 Service not available",
            )
        )
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    cli = typer.Typer()
    digest_cli.register(cli)
    try:
        done = CliRunner().invoke(cli, ["digest", "--config", str(config), "--retry-failed"])
    finally:
        controller.stop()

    assert done.exit_code == 0, done.output
    assert "re-queued 1 failed digest(s)" in done.output
    assert inbox.recipients == [["manager0@cmsd82.ca"]]
    with app.sessions() as session:
        row = session.scalars(select(OutboxMessage)).one()
    assert (row.status, row.attempts) == ("sent", 1)


def test_a_stop_whose_grace_ran_out_still_records_the_cycle_as_incomplete(tmp_path: Path) -> None:
    import asyncio

    from connectors.base import AccountSnapshot
    from monitor.context import App
    from monitor.cycle import run_cycle
    from socmon.daemon import Stopper, run_check_cycle

    app = upgraded_app(write_config(tmp_path, accounts=3), clock=lambda: T0)
    stopper = Stopper()

    class Hanging:
        platform = "facebook"

        async def fetch(self, platform_id: str) -> AccountSnapshot:
            if platform_id.endswith("0"):
                stopper.set()  # SIGTERM while this fetch hangs
                await asyncio.Event().wait()
            return AccountSnapshot("facebook", platform_id, T0, name="School")

    async def cycle(a: App, stop: asyncio.Event):  # type: ignore[no-untyped-def]
        return await run_cycle(a, {"facebook": Hanging()}, stop=stop, concurrency={"facebook": 1})

    assert run_check_cycle(app, stopper, cycle=cycle, grace=0.2) is None  # cut short

    with app.sessions() as session:
        (row,) = session.scalars(select(Cycle)).all()
    assert (row.status, row.finished_at) == ("incomplete", T0)
    assert row.reason.startswith("stopped before every account was checked: 0 of 3")
