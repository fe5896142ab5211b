"""Real `socmon run` processes: start, notify systemd, stop on SIGTERM, one lease, no secrets."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from daemon_helpers import EXAMPLES, SECRET, Process, upgraded_app, write_config
from sqlalchemy import func, select

from monitor.store.models import CheckRun
from sandbox.demo import demo_world
from sandbox.server import SandboxServer


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    world = demo_world(datetime.now(UTC))
    world.system_token = SECRET  # a recognisable value to look for in the logs
    with SandboxServer(world) as server:
        yield server


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(tmp_path / "notify.sock")
    sock.bind(path)
    sock.settimeout(60)
    yield sock, path
    sock.close()


def _running(config: Path, **env: str) -> Process:
    return Process("run", "--config", str(config), env={"SOCMON_FACEBOOK_TOKEN": SECRET, **env})


def test_socmon_run_with_a_bad_config_exits_2_before_anything_starts(tmp_path: Path) -> None:
    config = write_config(tmp_path, every=1)  # check_every_minutes must be >= 5

    done = subprocess.run(
        [sys.executable, "-m", "socmon", "run", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 2
    assert "schedule.check_every_minutes" in done.stderr
    assert "Traceback" not in done.stderr and "socmon running" not in done.stderr


def test_socmon_run_on_a_database_that_is_behind_exits_2(tmp_path: Path) -> None:
    config = write_config(tmp_path)  # never upgraded

    done = subprocess.run(
        [sys.executable, "-m", "socmon", "run", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 2
    assert "socmon db upgrade" in done.stderr


@pytest.mark.skipif(
    "FAKETIME" in os.environ,
    reason="under libfaketime (0.9.10) a timed thread wait never wakes: it does not intercept "
    "sem_clockwait, so APScheduler's wait for the next WATCHDOG=1 lasts the whole shift",
)
def test_sigterm_during_a_cycle_exits_0_within_10_seconds_and_tells_systemd(
    sandbox: SandboxServer, notify_socket: tuple[socket.socket, str], tmp_path: Path
) -> None:
    sandbox.world.latency_ms = 300  # a cycle takes long enough to be stopped in the middle
    config = write_config(
        tmp_path, base_url=sandbox.base_url, registry=EXAMPLES / "accounts.example.yaml"
    )
    app = upgraded_app(config)
    sock, path = notify_socket
    proc = _running(config, NOTIFY_SOCKET=path, WATCHDOG_USEC="1000000")
    try:
        assert sock.recv(4096) == b"READY=1", proc.output
        assert sock.recv(4096) == b"WATCHDOG=1"
        finished_before = 0
        while finished_before == 0 and proc.proc.poll() is None:
            assert proc.wait_for("lease taken", timeout=30)
            with app.sessions() as session:  # poll the store until an account is done
                finished_before = session.scalar(select(func.count()).select_from(CheckRun)) or 0

        code, seconds = proc.stop(signal.SIGTERM, timeout=10)

        assert code == 0, proc.output
        assert seconds < 10
        messages = []
        sock.settimeout(2)
        while b"STOPPING=1" not in messages:
            messages.append(sock.recv(4096))
        with app.sessions() as session:
            kept = session.scalar(select(func.count()).select_from(CheckRun)) or 0
        assert kept >= finished_before >= 1
        assert "socmon stopped" in proc.output
    finally:
        proc.kill()


def test_a_full_cycle_never_logs_a_secret_and_metrics_are_served(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    page = next(iter(sandbox.world.pages.values()))
    sandbox.world.expired_tokens.add(page.token)  # an error path that mentions tokens
    port = _free_port()
    config = write_config(
        tmp_path,
        base_url=sandbox.base_url,
        registry=EXAMPLES / "accounts.example.yaml",
        extra=f"\n[metrics]\nenabled = true\nport = {port}\n",
    )
    upgraded_app(config)
    proc = _running(config, SOCMON_LOG_LEVEL="DEBUG")
    try:
        assert proc.wait_for("cycle finished", timeout=90), proc.output
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
            metrics = reply.read().decode()
        code, _ = proc.stop(signal.SIGTERM)
    finally:
        proc.kill()

    output = proc.output
    assert code == 0
    assert "page token was rejected" in output  # the token error path ran and logged
    assert SECRET not in output
    for served in sandbox.world.pages.values():
        assert served.token not in output
    assert "socmon_cycle_duration_seconds_count 1.0" in metrics
    assert 'socmon_accounts{status="ok"}' in metrics


def test_a_second_socmon_run_on_the_same_database_stands_by_and_sighup_reloads_the_first(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path, accounts=1)
    upgraded_app(config)
    first = _running(config)
    try:
        assert first.wait_for("cycle finished", timeout=60), first.output
        second = _running(config)
        try:
            assert second.wait_for("socmon running", timeout=60), second.output
            assert "standing by" in second.output
            assert "lease=standby" in second.output
            code, _ = second.stop()
            assert code == 0
        finally:
            second.kill()
        assert "lease taken" not in second.output
        assert "cycle finished" not in second.output
        first.proc.send_signal(signal.SIGHUP)
        assert first.wait_for("registry reloaded", timeout=30), first.output
        code, _ = first.stop()
        assert code == 0
    finally:
        first.kill()
