"""Fencing: a leader frozen past its lease and resumed after a takeover writes nothing more.

Two real `socmon run` processes on one SQLite file, against the sandbox; the leader is
frozen with SIGSTOP mid-cycle and resumed with SIGCONT once the standby has taken over.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from daemon_helpers import EXAMPLES, SECRET, Process, upgraded_app, write_config
from sqlalchemy import func, select

from monitor.context import App
from monitor.store.models import CheckRun, Cycle
from sandbox.demo import demo_world
from sandbox.server import SandboxServer

LEASE = 3  # seconds: a takeover within a few seconds of the freeze


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    now = datetime.now(UTC)
    with SandboxServer(demo_world(now, lambda: datetime.now(UTC))) as server:
        server.world.latency_ms = 250  # a cycle lasts long enough to freeze its leader mid-way
        yield server


def _runs(app: App, cycle_id: int) -> int:
    with app.sessions() as s:
        return s.scalar(select(func.count()).where(CheckRun.cycle_id == cycle_id)) or 0


def _cycles(app: App) -> list[Cycle]:
    with app.sessions() as s:
        return list(s.scalars(select(Cycle).order_by(Cycle.id)))


def _until(condition: object, timeout: float = 60) -> bool:
    """Poll `condition` (a callable) until true; the processes run on their own clocks."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def test_a_frozen_leader_resumed_after_a_takeover_stops_and_writes_nothing_more(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    extra = f"\n[database]\nlock_timeout_seconds = 5\n\n[lease]\nseconds = {LEASE}\n"
    config = write_config(
        tmp_path,
        base_url=sandbox.base_url,
        registry=EXAMPLES / "accounts.example.yaml",
        extra=extra,
    )
    app = upgraded_app(config)
    env = {"SOCMON_FACEBOOK_TOKEN": "sandbox-system-token", "SOCMON_TEST": SECRET}
    leader = Process("run", "--config", str(config), env=env)
    standby: Process | None = None
    try:
        assert leader.wait_for("lease taken", timeout=60), leader.output
        assert _until(lambda: _cycles(app) and _runs(app, _cycles(app)[0].id) >= 1)
        first = _cycles(app)[0].id
        leader.proc.send_signal(signal.SIGSTOP)  # frozen mid-cycle, past its lease
        frozen_runs = _runs(app, first)

        standby = Process("run", "--config", str(config), env=env)
        assert standby.wait_for("cycle finished", timeout=120), standby.output
        after_takeover = _runs(app, first)
        leader.proc.send_signal(signal.SIGCONT)
        assert leader.wait_for("cycle stopped", timeout=60), leader.output

        cycles = _cycles(app)
        assert after_takeover == frozen_runs  # nothing of the old cycle landed while frozen
        assert _runs(app, first) == frozen_runs  # and nothing after it woke up
        assert cycles[0].status == "incomplete"  # recorded so by the new leader, not "complete"
        assert cycles[1].status == "complete"
        assert "lease" in leader.output.split("cycle stopped", 1)[1].splitlines()[0]
    finally:
        if leader.proc.poll() is None:
            leader.proc.send_signal(signal.SIGCONT)
        leader.kill()
        if standby is not None:
            standby.kill()
