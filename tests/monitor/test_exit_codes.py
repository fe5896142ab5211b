"""`socmon check` and friends say the truth in their exit code: 0 clean, 1 not, 2 user, 75 no database."""

from __future__ import annotations

import re
import socket
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from test_end_to_end import _config, socmon

from monitor.cycle import CycleResult
from monitor.settings import load_settings
from monitor.store.db import make_engine, session_factory
from monitor.store.models import Cycle, Lapse
from sandbox.demo import SYSTEM_TOKEN, demo_world
from sandbox.server import SandboxServer
from socmon.demo import DEMO_SECRETS
from socmon.report import check_exit_code, summary_line


@pytest.fixture
def revoked_sandbox() -> Iterator[SandboxServer]:
    """The demo world as of the wall clock, with the district's Facebook token revoked."""
    world = demo_world(datetime.now(UTC), lambda: datetime.now(UTC))
    world.expired_tokens.add(SYSTEM_TOKEN)
    with SandboxServer(world) as server:
        yield server


def _stored(config: Path) -> tuple[list[Cycle], set[tuple[str, str]]]:
    engine = make_engine(load_settings(config).db_url)
    try:
        with session_factory(engine)() as s:
            cycles = list(s.scalars(select(Cycle)))
            lapses = {
                (lp.account_id, lp.check_id)
                for lp in s.scalars(select(Lapse).where(Lapse.status == "open"))
            }
    finally:
        engine.dispose()
    return cycles, lapses


def test_check_exits_1_when_accounts_could_not_be_read_and_its_last_line_says_how_many(
    revoked_sandbox: SandboxServer, tmp_path: Path
) -> None:
    config = _config(tmp_path, revoked_sandbox.base_url)
    assert socmon("db", "upgrade", "--config", str(config)).returncode == 0

    done = socmon("check", "--config", str(config))

    assert done.returncode == 1, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    cycles, lapses = _stored(config)
    (cycle,) = cycles
    assert cycle.accounts_failed > 0 and cycle.status == "complete"
    assert f"{cycle.accounts_failed} could not be read" in last
    credentials = {a for a, c in lapses if c == "connector_health"}
    assert "credential-facebook" in credentials  # Instagram shares the token: it lapses too
    assert f"{len(credentials)} credential lapses open" in last


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _set(config: Path, **keys: object) -> None:
    """Change keys of the example config in place (each key appears once in it)."""
    text = config.read_text(encoding="utf-8")
    for key, value in keys.items():
        shown = f'"{value}"' if isinstance(value, str) else str(value)
        text, n = re.subn(rf"(?m)^{key} = .*$", f"{key} = {shown}", text)
        assert n == 1, key
    config.write_text(text, encoding="utf-8")


def _pg_config(tmp_path: Path, url: str) -> Path:
    config = _config(tmp_path, "http://127.0.0.1:9")
    _set(config, database_url=url, connect_timeout_seconds=2)
    return config


@pytest.mark.parametrize("command", [["check"], ["status"], ["lapses", "list"], ["db", "upgrade"]])
def test_a_port_with_nothing_behind_it_is_one_line_naming_the_database_and_exit_75(
    tmp_path: Path, command: list[str]
) -> None:
    url = f"postgresql://socmon:hunter2-secret@127.0.0.1:{_free_port()}/socmon"
    config = _pg_config(tmp_path, url)

    done = socmon(*command, "--config", str(config), env=DEMO_SECRETS)

    assert done.returncode == 75, done.stderr
    (line,) = (done.stdout + done.stderr).strip().splitlines()
    assert "database postgresql+psycopg://socmon:***@127.0.0.1:" in line
    assert "unavailable" in line and "refused" in line.lower()
    assert "hunter2-secret" not in done.stderr + done.stdout


def test_a_database_that_accepts_and_never_answers_times_out_with_exit_75(tmp_path: Path) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:  # accept every connection and never say a word
        silent.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(silent.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    port = silent.getsockname()[1]
    config = _pg_config(tmp_path, f"postgresql://socmon@127.0.0.1:{port}/socmon")
    try:
        done = socmon("status", "--config", str(config))
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in accepted:
            conn.close()
        silent.close()

    assert done.returncode == 75, done.stderr
    assert accepted  # it did connect: the silence, not a refusal, was the problem
    (line,) = (done.stdout + done.stderr).strip().splitlines()
    assert "unavailable" in line and "timeout" in line.lower()


def test_a_sqlite_database_locked_at_start_is_one_line_and_exit_75_with_nothing_written(
    tmp_path: Path,
) -> None:
    config = _config(tmp_path, "http://127.0.0.1:9")
    _set(config, lock_timeout_seconds=0.1, write_retries=1)
    assert socmon("db", "upgrade", "--config", str(config)).returncode == 0
    other = sqlite3.connect(tmp_path / "state" / "socmon.db", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another writer holds the lock for the whole command
    try:
        done = socmon("check", "--config", str(config), env=DEMO_SECRETS)
    finally:
        other.execute("ROLLBACK")
        other.close()

    assert done.returncode == 75, done.stderr
    (line,) = [ln for ln in done.stderr.splitlines() if ln.startswith("error:")]
    assert line.startswith("error: database sqlite:///") and "database is locked" in line
    assert "Traceback" not in done.stderr
    cycles, lapses = _stored(config)
    assert (cycles, lapses) == ([], set())


def _result(**kw: object) -> CycleResult:
    defaults: dict[str, object] = {"cycle_id": 1, "accounts": 4, "ok": 4, "status": "complete"}
    return CycleResult(**{**defaults, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("result", "open_lapses", "credentials", "code"),
    [
        pytest.param(_result(), 0, 0, 0, id="all read, nothing open"),
        pytest.param(_result(), 2, 0, 1, id="open lapses"),
        pytest.param(_result(), 0, 1, 1, id="a credential lapse"),
        pytest.param(_result(ok=3, failed=1), 0, 0, 1, id="an account unreadable"),
        pytest.param(
            _result(ok=2, status="incomplete", reason="stopped"), 0, 0, 1, id="incomplete"
        ),
        pytest.param(
            _result(
                status="failed", reason="x", error=OperationalError("s", {}, Exception("gone"))
            ),
            0,
            0,
            75,
            id="database gone",
        ),
        pytest.param(
            _result(status="failed", reason="x", error=RuntimeError("bug")), 0, 0, 1, id="failed"
        ),
    ],
)
def test_the_check_exit_code_is_0_only_when_everything_was_read_and_nothing_is_open(
    result: CycleResult, open_lapses: int, credentials: int, code: int
) -> None:
    assert check_exit_code(result, open_lapses, credentials) == code


def test_the_last_line_of_check_says_the_cycle_was_incomplete_and_why() -> None:
    result = _result(ok=2, status="incomplete", reason="stopped before every account was checked")

    line = summary_line(result, 0, 2)

    assert line == (
        "checked 4 accounts: 2 read, 0 could not be read; 0 open lapses (0 new, 0 resolved);"
        " 2 credential lapses open; cycle incomplete: stopped before every account was checked."
    )
