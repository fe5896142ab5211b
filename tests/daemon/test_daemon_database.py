"""The daemon outlives its database: PostgreSQL behind a proxy the test cuts, then restores."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import typer
from daemon_helpers import T0, upgraded_app, write_config
from sqlalchemy import select
from tcp_proxy import TcpProxy
from typer.testing import CliRunner

from monitor.context import App
from monitor.lease import LeaseKeeper
from monitor.store.faults import DatabaseUnavailable
from monitor.store.models import Cycle
from socmon.cli import service
from socmon.cli.service import _open_waiting
from socmon.daemon import CHECK, DIGESTS, Daemon
from socmon.daemon.dbwatch import MARKER, read_outage
from socmon.daemon.heartbeat import Heartbeat

FAST_DB = """
[database]
connect_timeout_seconds = 2
statement_timeout_seconds = 2
write_retries = 1
retry_first_seconds = 0.01
start_wait_seconds = 0
"""


@pytest.fixture
def proxied(pg_url: str) -> Iterator[tuple[TcpProxy, str]]:
    """The test database, reached through a proxy the test can cut."""
    with TcpProxy(("127.0.0.1", 5432)) as proxy:
        yield proxy, pg_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")


def _app(tmp_path: Path, url: str, now: list[datetime]) -> App:
    extra = FAST_DB.replace("[database]", f'database_url = "{url}"\n[database]', 0)
    config = write_config(tmp_path, accounts=2, extra="")
    text = config.read_text(encoding="utf-8").replace(
        "[district]", f'database_url = "{url}"\n\n[district]', 1
    )
    config.write_text(text + extra.replace(f'database_url = "{url}"\n', ""), encoding="utf-8")
    return upgraded_app(config, clock=lambda: now[0])


def _cli() -> typer.Typer:
    cli = typer.Typer()
    service.register(cli)
    return cli


def test_the_daemon_stays_up_while_the_database_is_gone_and_status_says_since_when(
    proxied: tuple[TcpProxy, str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    proxy, url = proxied
    now = [T0]
    app = _app(tmp_path, url, now)
    daemon = Daemon(app, LeaseKeeper(app.sessions, clock=app.clock), environ={})
    assert daemon.renew_lease()

    proxy.cut()
    now[0] = T0 + timedelta(seconds=30)
    with caplog.at_level(logging.INFO):
        assert daemon.renew_lease()  # still ours until the lease would expire
        for job in (CHECK, DIGESTS, CHECK):
            assert daemon.scheduler.get_job(job).func() is None  # no traceback, no raise
    outage = read_outage(app.settings.state_dir)
    unavailable = [r for r in caplog.records if r.getMessage() == "database unavailable"]
    status = CliRunner().invoke(_cli(), ["status", "--config", str(app.settings.source)])

    assert outage is not None and outage.since == T0 + timedelta(seconds=30)
    assert len(unavailable) == 1  # said once, not once per job
    assert status.exit_code == 75
    assert "unavailable since 2026-11-23T18:30:30+00:00" in status.output

    proxy.restore()
    now[0] = T0 + timedelta(seconds=60)
    with caplog.at_level(logging.INFO):
        assert daemon.renew_lease()
    assert read_outage(app.settings.state_dir) is None
    assert not (app.settings.state_dir / MARKER).exists()
    assert "database back" in caplog.text


def test_a_cycle_whose_database_is_cut_mid_way_is_recorded_failed_once_it_is_back(
    proxied: tuple[TcpProxy, str], tmp_path: Path
) -> None:
    from connectors.base import AccountSnapshot
    from monitor.cycle import run_cycle
    from socmon.daemon import run_check_cycle

    proxy, url = proxied
    now = [T0]
    app = _app(tmp_path, url, now)

    class Cutting:
        platform = "facebook"

        def __init__(self) -> None:
            self.fetched = 0

        async def fetch(self, platform_id: str) -> AccountSnapshot:
            self.fetched += 1
            if self.fetched == 1:
                proxy.cut()  # the database goes away once the cycle has started
            return AccountSnapshot("facebook", platform_id, T0, name="School")

    async def cycle(a: App, stop: object) -> object:
        return await run_cycle(a, {"facebook": Cutting()})

    result = run_check_cycle(app, cycle=cycle)  # type: ignore[arg-type]

    assert result is not None and result.status == "failed"
    assert "storing results failed" in result.reason
    proxy.restore()
    with app.sessions() as s:
        (row,) = s.scalars(select(Cycle)).all()
    assert row.finished_at is None or row.status != "complete"  # never passed off as complete


def test_socmon_run_waits_for_an_absent_database_then_raises_for_exit_75(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql://socmon:pw-not-shown@127.0.0.1:{port}/socmon"
    config = write_config(tmp_path)
    text = config.read_text(encoding="utf-8").replace(
        "[district]", f'database_url = "{url}"\n\n[district]', 1
    )
    config.write_text(
        text + FAST_DB.replace("start_wait_seconds = 0", "start_wait_seconds = 5"),
        encoding="utf-8",
    )
    waited: list[float] = []

    with pytest.raises(DatabaseUnavailable) as raised:
        _open_waiting(config, sleep=waited.append)

    assert waited and sum(waited) <= 5 and waited == sorted(waited)  # backoff, bounded
    assert "pw-not-shown" not in str(raised.value)
    outage = read_outage(tmp_path / "state")
    assert outage is not None and "refused" in outage.what.lower()


def test_the_watchdog_is_pinged_only_while_the_cycle_makes_progress(
    tmp_path: Path,
) -> None:
    clock = [0.0]
    beat = Heartbeat(stuck_after=300, monotonic=lambda: clock[0])
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(tmp_path / "notify.sock")
    sock.bind(path)
    sock.settimeout(0.5)
    app = upgraded_app(write_config(tmp_path / "cfg"), clock=lambda: T0)
    daemon = Daemon(
        app,
        LeaseKeeper(app.sessions, clock=app.clock),
        environ={"NOTIFY_SOCKET": path},
        heartbeat=beat,
    )
    try:
        assert daemon.watchdog()  # idle between cycles
        assert sock.recv(64) == b"WATCHDOG=1"
        beat.begin()
        clock[0] = 200.0
        beat.beat(100)  # a batch stored
        clock[0] = 450.0
        assert daemon.watchdog()  # 250 s since the last progress: still moving
        assert sock.recv(64) == b"WATCHDOG=1"
        clock[0] = 501.0
        assert not daemon.watchdog()  # 301 s without progress: stuck, systemd will restart
        with pytest.raises(TimeoutError):
            sock.recv(64)
        beat.end()
        assert daemon.watchdog()  # the cycle ended: idle again
    finally:
        sock.close()
