"""The daemon's units of work, called directly: no scheduler running, no sleeps."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from daemon_helpers import T0, upgraded_app, write_config
from sqlalchemy import func, select

from connectors.base import AccountSnapshot
from monitor.context import App
from monitor.cycle import CycleResult, run_cycle
from monitor.lease import LeaseKeeper
from monitor.store.db import transaction
from monitor.store.models import CheckRun, Cycle, Lease
from notifications.service import DigestRun
from socmon.daemon import CHECK, DIGESTS, Daemon, Stopper, housekeeping, run_check_cycle
from socmon.daemon.jobs import error_listener
from socmon.metrics import Metrics

NO_SERVER = "http://127.0.0.1:9"


class StubConnector:
    """Facebook stand-in: `on_fetch(platform_id)` runs first; `block` ids never return."""

    platform = "facebook"

    def __init__(self, on_fetch: Callable[[str], None], block: frozenset[str] = frozenset()):
        self.on_fetch, self.block = on_fetch, block
        self.fetched: list[str] = []

    async def fetch(self, platform_id: str) -> AccountSnapshot:
        self.fetched.append(platform_id)
        self.on_fetch(platform_id)
        if platform_id in self.block:
            await asyncio.Event().wait()  # a fetch that hangs until cancelled
        return AccountSnapshot("facebook", platform_id, T0, name="School")


def _cycle_with(connector: StubConnector):  # type: ignore[no-untyped-def]
    async def cycle(app: App, stop: asyncio.Event) -> CycleResult:
        return await run_cycle(app, {"facebook": connector}, stop=stop)

    return cycle


def _runs(app: App) -> list[str]:
    with app.sessions() as session:
        return sorted(session.scalars(select(CheckRun.account_id)))


@pytest.fixture
def app(tmp_path: Path) -> App:
    return upgraded_app(write_config(tmp_path, base_url=NO_SERVER, accounts=3), clock=lambda: T0)


def test_a_stop_request_takes_no_new_account_and_keeps_every_finished_result(app: App) -> None:
    stopper = Stopper()
    connector = StubConnector(lambda _id: stopper.set())

    result = run_check_cycle(app, stopper, cycle=_cycle_with(connector))

    assert result is not None
    assert len(connector.fetched) < 3  # stopped before the whole registry
    assert result.ok == len(connector.fetched)
    assert len(_runs(app)) == len(connector.fetched)


def test_a_fetch_outlasting_the_grace_is_cancelled_and_results_already_finished_are_kept(
    app: App,
) -> None:
    stopper = Stopper()
    hung = str(100_000_000_000_000)  # the first account: its worker hangs, the next one stops
    connector = StubConnector(
        lambda pid: stopper.set() if pid != hung else None, block=frozenset({hung})
    )

    result = run_check_cycle(app, stopper, cycle=_cycle_with(connector), grace=0.2)

    assert result is None
    assert hung in connector.fetched
    finished = [pid for pid in connector.fetched if pid != hung]
    assert len(_runs(app)) == len(finished) >= 1


def test_housekeeping_deletes_check_runs_older_than_30_days_and_expired_leases(app: App) -> None:
    with transaction(app.sessions) as session:
        for days in (31, 29):
            at = T0 - timedelta(days=days)
            session.add(CheckRun(account_id=f"a{days}", started_at=at, outcome="ok"))
        session.add(Lease(name="old", holder="x", expires_at=T0 - timedelta(seconds=1)))
        session.add(Lease(name="live", holder="y", expires_at=T0 + timedelta(seconds=60)))

    tidied = housekeeping(app, T0)

    assert (tidied.check_runs, tidied.leases) == (1, 1)
    assert _runs(app) == ["a29"]
    with app.sessions() as session:
        assert list(session.scalars(select(Lease.name))) == ["live"]


def _daemon(app: App, keeper: LeaseKeeper, **kw: object) -> Daemon:
    return Daemon(app, keeper, environ={}, **kw)  # type: ignore[arg-type]


def test_jobs_do_nothing_while_another_process_holds_the_lease(app: App) -> None:
    now = [T0]
    app.clock = lambda: now[0]
    other = LeaseKeeper(app.sessions, holder="other", clock=app.clock)
    mine = LeaseKeeper(app.sessions, holder="me", clock=app.clock)
    sent: list[App] = []
    daemon = _daemon(app, mine, send_digests=lambda a: sent.append(a) or DigestRun())
    assert other.renew()

    assert not daemon.renew_lease()
    daemon.scheduler.get_job(DIGESTS).func()
    assert sent == []

    now[0] = T0 + other.ttl  # the other process died and stopped renewing
    assert daemon.renew_lease()
    daemon.scheduler.get_job(DIGESTS).func()
    assert sent == [app]


def test_taking_the_lease_runs_a_missed_check_at_once_and_builds_the_digests_after_it(
    app: App,
) -> None:
    order: list[str] = []
    connector = StubConnector(lambda _id: order.append("fetch") if "fetch" not in order else None)
    daemon = _daemon(
        app,
        LeaseKeeper(app.sessions, clock=app.clock),
        cycle=_cycle_with(connector),
        send_digests=lambda a: order.append("digests") or DigestRun(),
    )

    assert daemon.renew_lease()

    assert daemon.scheduler.get_job(CHECK).next_run_time == T0
    assert not hasattr(daemon.scheduler.get_job(DIGESTS), "next_run_time")  # not moved up
    daemon.scheduler.get_job(CHECK).func()
    assert order == ["fetch", "digests"]  # built from the catch-up cycle, not before it


def test_taking_the_lease_with_no_check_due_builds_the_digests_at_once(app: App) -> None:
    connector = StubConnector(lambda _id: None)
    run_check_cycle(app, cycle=_cycle_with(connector))  # a fresh, complete cycle
    daemon = _daemon(app, LeaseKeeper(app.sessions, clock=app.clock))

    assert daemon.renew_lease()

    assert daemon.scheduler.get_job(DIGESTS).next_run_time == T0


def test_the_digest_job_waits_while_a_check_cycle_runs_and_still_sends_what_was_built(
    app: App,
) -> None:
    built: list[str] = []
    delivered: list[str] = []
    daemon_box: list[Daemon] = []

    def on_fetch(_id: str) -> None:
        if not built and not delivered:
            daemon_box[0].scheduler.get_job(DIGESTS).func()  # the digest hour strikes mid-cycle

    daemon = _daemon(
        app,
        LeaseKeeper(app.sessions, clock=app.clock),
        cycle=_cycle_with(StubConnector(on_fetch)),
        send_digests=lambda a: built.append("built") or DigestRun(),
        deliver=lambda a: delivered.append("pending sent") or DigestRun(),
    )
    daemon_box.append(daemon)
    daemon.renew_lease()

    daemon.scheduler.get_job(CHECK).func()

    assert delivered == ["pending sent"]  # mid-cycle: only what was already built
    assert built == ["built"]  # then built once, when the cycle ended


def test_the_check_job_records_the_cycle_in_the_metrics(app: App) -> None:
    metrics = Metrics()
    connector = StubConnector(lambda _id: None)
    daemon = _daemon(
        app,
        LeaseKeeper(app.sessions, clock=app.clock),
        metrics=metrics,
        cycle=_cycle_with(connector),
    )
    daemon.renew_lease()

    result = daemon.scheduler.get_job(CHECK).func()

    assert result is not None and result.ok == 3
    assert metrics.registry.get_sample_value("socmon_cycle_duration_seconds_count") == 1
    assert metrics.registry.get_sample_value("socmon_accounts", {"status": "ok"}) == 3


def test_the_check_job_does_nothing_outside_the_check_hours(tmp_path: Path) -> None:
    config = write_config(tmp_path, base_url=NO_SERVER, accounts=1, first_hour=6, last_hour=22)
    three_am = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)  # 03:00 in Vancouver
    app = upgraded_app(config, clock=lambda: three_am)
    connector = StubConnector(lambda _id: None)
    daemon = _daemon(app, LeaseKeeper(app.sessions, clock=app.clock), cycle=_cycle_with(connector))
    daemon.renew_lease()

    assert daemon.check() is None
    assert connector.fetched == []
    with app.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Cycle)) == 0


def test_the_digest_job_counts_sent_and_failed_digests(app: App) -> None:
    metrics = Metrics()
    daemon = _daemon(
        app,
        LeaseKeeper(app.sessions, clock=app.clock),
        metrics=metrics,
        send_digests=lambda _app: DigestRun(built=4, sent=3, failed=1),
    )
    daemon.renew_lease()

    daemon.scheduler.get_job(DIGESTS).func()

    assert metrics.registry.get_sample_value("socmon_digests_sent_total") == 3
    assert metrics.registry.get_sample_value("socmon_digests_failed_total") == 1


def test_a_job_that_raises_is_logged_with_its_id_and_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failed: list[str] = []
    listener = error_listener(failed.append)
    boom = RuntimeError("smtp relay exploded")
    event = JobExecutionEvent(EVENT_JOB_ERROR, "digests", "default", T0, exception=boom)

    with caplog.at_level(logging.ERROR):
        listener(event)

    assert failed == ["digests"]
    record = caplog.records[-1]
    assert record.getMessage() == "job failed" and record.job == "digests"  # type: ignore[attr-defined]
    assert record.exc_info is not None and record.exc_info[1] is boom


def test_reload_keeps_the_old_registry_when_the_new_file_is_bad_and_takes_a_good_one(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    daemon = _daemon(app, LeaseKeeper(app.sessions, clock=app.clock))
    before = list(app.accounts)
    registry = app.settings.registry

    registry.write_text("accounts:\n  - id: [unclosed\n", encoding="utf-8")
    with caplog.at_level(logging.ERROR):
        daemon.reload()
    assert app.accounts == before
    assert any("registry reload failed" in r.getMessage() for r in caplog.records)

    registry.write_text(yaml.safe_dump({"accounts": []}), encoding="utf-8")
    daemon.reload()  # an empty registry would check nothing: refused like a broken one
    assert app.accounts == before

    one = before[0].model_dump(mode="json", exclude_defaults=True)
    registry.write_text(yaml.safe_dump({"accounts": [one]}), encoding="utf-8")
    daemon.reload()
    assert app.accounts == before[:1]


def test_the_digest_job_sends_real_digests_into_the_outbox_folder_after_a_cycle(
    tmp_path: Path,
) -> None:
    eight_am = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # Tuesday 08:00 in Vancouver
    app = upgraded_app(
        write_config(tmp_path, base_url=NO_SERVER, accounts=2), clock=lambda: eight_am
    )
    metrics = Metrics()
    daemon = _daemon(
        app,
        LeaseKeeper(app.sessions, clock=app.clock),
        metrics=metrics,
        cycle=_cycle_with(StubConnector(lambda _id: None)),  # bare pages: lapses to report
    )
    daemon.renew_lease()
    daemon.scheduler.get_job(CHECK).func()

    daemon.scheduler.get_job(DIGESTS).func()
    daemon.scheduler.get_job(DIGESTS).func()  # a second run sends nothing twice

    sent = metrics.registry.get_sample_value("socmon_digests_sent_total")
    assert sent == 2  # one per manager
    assert len(list(app.settings.outbox.rglob("*.eml"))) == 2
