"""The cycle against a failing store and failing code: fail at once, isolate one account, never pass it off.

Real parts: the cycle's own SQLite file, locked by a second connection holding
BEGIN EXCLUSIVE, and a trigger that makes the store refuse a write.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy import select
from store_factories import T0, account
from test_cycle import FakeConnector, clean_snapshot

from connectors.base import AccountSnapshot
from monitor.context import App
from monitor.cycle import run_cycle
from monitor.registry import Account
from monitor.settings import Database, District, Settings
from monitor.store.db import make_engine, session_factory
from monitor.store.migrate import upgrade
from monitor.store.models import CheckRun, CheckState, Cycle

# Short waits so a lock outlasts the retries in well under a second of the test.
FAST = Database(lock_timeout_seconds=0.05, write_retries=2, retry_first_seconds=0.01)
LIMIT = 60.0  # a hang is a failure, not a stuck suite


def fault_app(tmp_path: Path, accounts: Sequence[Account]) -> App:
    settings = Settings(
        district=District(
            name="Coast Mountains School District 82",
            signature_texts=("Coast Mountains School District 82",),
            email_domains=("cmsd82.ca",),
        ),
        state_dir=tmp_path,
        database=FAST,
    )
    engine = make_engine(settings.db_url, timeouts=settings.database)
    upgrade(engine)
    return App(settings, engine, session_factory(engine), list(accounts), clock=lambda: T0)


class Locker:
    """A second connection to the same SQLite file that can hold BEGIN EXCLUSIVE."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.held = False

    def lock(self) -> None:
        self.conn.execute("BEGIN EXCLUSIVE")
        self.held = True

    def unlock(self) -> None:
        if self.held:
            self.conn.execute("COMMIT")
            self.held = False


class OnLog(logging.Handler):
    """Runs `action` once, when a record whose message starts with `text` is logged."""

    def __init__(self, text: str, action: Callable[[], None]) -> None:
        super().__init__()
        self.text, self.action, self.seen = text, action, 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith(self.text):
            self.seen += 1
            if self.seen == 1:
                self.action()


@pytest.fixture
def on_log() -> Iterator[Callable[[str, Callable[[], None]], OnLog]]:
    handlers: list[OnLog] = []
    root = logging.getLogger("monitor")

    def add(text: str, action: Callable[[], None]) -> OnLog:
        handler = OnLog(text, action)
        root.addHandler(handler)
        handlers.append(handler)
        return handler

    yield add
    for handler in handlers:
        root.removeHandler(handler)


class LockingConnector(FakeConnector):
    """Takes the database's write lock (through `locker`) when the n-th fetch starts."""

    def __init__(self, snapshots: dict[str, AccountSnapshot], locker: Locker, at: int) -> None:
        super().__init__(snapshots)
        self.locker, self.at = locker, at

    async def fetch(self, platform_id: str) -> AccountSnapshot:
        self.fetched.append(platform_id)
        if len(self.fetched) == self.at:
            self.locker.lock()
        return await super().fetch(platform_id)


def _cycles(app: App) -> list[Cycle]:
    with app.sessions() as s:
        return list(s.scalars(select(Cycle).order_by(Cycle.id)))


def _stored(app: App, cycle_id: int) -> int:
    with app.sessions() as s:
        return len(s.scalars(select(CheckRun.id).where(CheckRun.cycle_id == cycle_id)).all())


def test_a_lock_outlasting_the_retries_fails_the_cycle_at_once_and_the_next_starts_fresh(
    tmp_path: Path, on_log: Callable[[str, Callable[[], None]], OnLog]
) -> None:
    # More accounts than a full batch and the full queue behind it hold (300), so the
    # accounts the workers never fetched show that they stopped.
    accts = [account(f"school-{i}-fb") for i in range(600)]
    app = fault_app(tmp_path, accts)
    locker = Locker(tmp_path / "socmon.db")
    snapshots = {a.platform_id: clean_snapshot(a) for a in accts}
    fake = LockingConnector(snapshots, locker, at=5)
    # The lock goes away once the cycle has given up, so its failure can be recorded.
    failed_line = on_log("cycle failed", locker.unlock)

    result = asyncio.run(asyncio.wait_for(run_cycle(app, {"facebook": fake}), LIMIT))

    first = _cycles(app)[0]
    assert result.status == first.status == "failed"
    assert "storing results failed" in first.reason and "locked" in first.reason
    assert first.finished_at == T0
    assert failed_line.seen == 1  # one line naming the cause
    assert len(fake.fetched) < 600  # the workers stopped; they did not fetch the rest
    assert _stored(app, first.id) < 600

    again = asyncio.run(run_cycle(app, {"facebook": FakeConnector(snapshots)}))

    assert (again.status, again.ok) == ("complete", 600)
    assert _stored(app, again.cycle_id) == 600


def test_a_lock_shorter_than_the_retries_is_waited_out_and_the_cycle_is_complete(
    tmp_path: Path, on_log: Callable[[str, Callable[[], None]], OnLog]
) -> None:
    accts = [account(f"school-{i}-fb") for i in range(250)]
    app = fault_app(tmp_path, accts)
    locker = Locker(tmp_path / "socmon.db")
    fake = LockingConnector({a.platform_id: clean_snapshot(a) for a in accts}, locker, at=3)
    retried = on_log("database busy; retrying", locker.unlock)

    result = asyncio.run(asyncio.wait_for(run_cycle(app, {"facebook": fake}), LIMIT))

    assert retried.seen >= 1
    assert (result.status, result.ok, result.failed) == ("complete", 250, 0)
    assert _stored(app, result.cycle_id) == 250
    assert _cycles(app)[0].status == "complete"


def test_a_store_that_refuses_a_write_fails_the_cycle_without_retrying_and_says_why(
    tmp_path: Path, on_log: Callable[[str, Callable[[], None]], OnLog]
) -> None:
    accts = [account(f"school-{i}-fb") for i in range(250)]
    app = fault_app(tmp_path, accts)
    with sqlite3.connect(tmp_path / "socmon.db") as conn:
        conn.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON check_runs "
            "WHEN (SELECT count(*) FROM check_runs) >= 1 "
            "BEGIN SELECT RAISE(ABORT, 'the store refuses this row'); END"
        )
    retried = on_log("database busy; retrying", lambda: None)
    fake = FakeConnector({a.platform_id: clean_snapshot(a) for a in accts})

    result = asyncio.run(asyncio.wait_for(run_cycle(app, {"facebook": fake}), LIMIT))

    cycle = _cycles(app)[0]
    assert (result.status, cycle.status) == ("failed", "failed")
    assert "the store refuses this row" in cycle.reason
    assert retried.seen == 0  # not a transient error: no retry
    assert _stored(app, cycle.id) < 250
    assert cycle.accounts_ok == result.ok < 250  # counts only what was committed


class BuggyConnector(FakeConnector):
    """Raises a KeyError (a bug, not a platform error) for one account."""

    def __init__(self, snapshots: dict[str, AccountSnapshot], bad: str) -> None:
        super().__init__(snapshots)
        self.bad = bad

    async def fetch(self, platform_id: str) -> AccountSnapshot:
        if platform_id == self.bad:
            raise KeyError("comments")
        return await super().fetch(platform_id)


def test_an_exception_on_one_account_makes_its_checks_unknown_internal_and_the_cycle_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    accts = [account(f"school-{i}-fb") for i in range(5)]
    app = fault_app(tmp_path, accts)
    fake = BuggyConnector({a.platform_id: clean_snapshot(a) for a in accts}, accts[2].platform_id)

    with caplog.at_level(logging.ERROR, logger="monitor.cycle"):
        result = asyncio.run(run_cycle(app, {"facebook": fake}))

    with app.sessions() as s:
        states = list(s.scalars(select(CheckState)))
        runs = {r.account_id: (r.outcome, r.error_kind) for r in s.scalars(select(CheckRun))}
    bad = [st for st in states if st.account_id == accts[2].id]
    good = [st for st in states if st.account_id != accts[2].id]
    assert (result.ok, result.failed, dict(result.errors_by_kind)) == (4, 1, {"internal": 1})
    assert result.status == _cycles(app)[0].status == "complete"  # every account has a result
    assert bad and {(st.status, st.evidence["error"]) for st in bad} == {("unknown", "internal")}
    # No consent roster is imported here: student_privacy is unknown, never a pass.
    assert {st.status for st in good if st.check_id != "student_privacy"} == {"pass"}
    assert {st.status for st in good if st.check_id == "student_privacy"} == {"unknown"}
    assert runs[accts[2].id] == ("failed", "internal") and len(runs) == 5
    # exc_text too: the log's secret redactor (when installed) turns exc_info into redacted text.
    tracebacks = [
        r
        for r in caplog.records
        if (r.exc_info or r.exc_text) and "internal error" in r.getMessage()
    ]
    assert len(tracebacks) == 1 and "KeyError" in caplog.text


def test_an_exception_in_a_check_is_isolated_like_one_in_a_fetch(tmp_path: Path) -> None:
    accts = [account(f"school-{i}-fb") for i in range(3)]
    app = fault_app(tmp_path, accts)
    snapshots = {a.platform_id: clean_snapshot(a) for a in accts}
    # A snapshot whose admins field is not a tuple of admins: the checks trip over it.
    snapshots[accts[1].platform_id] = AccountSnapshot(
        **{
            **{
                f: getattr(snapshots[accts[1].platform_id], f)
                for f in AccountSnapshot.__dataclass_fields__
            },
            "admins": None,
        }
    )

    result = asyncio.run(run_cycle(app, {"facebook": FakeConnector(snapshots)}))

    with app.sessions() as s:
        bad = {
            st.status
            for st in s.scalars(select(CheckState).where(CheckState.account_id == accts[1].id))
        }
    assert (result.ok, result.failed, dict(result.errors_by_kind)) == (2, 1, {"internal": 1})
    assert bad == {"unknown"}
    assert result.status == "complete"


def test_a_stop_mid_cycle_records_the_cycle_as_incomplete_with_how_many_were_stored(
    tmp_path: Path,
) -> None:
    accts = [account(f"school-{i}-fb") for i in range(10)]
    app = fault_app(tmp_path, accts)
    stop = asyncio.Event()

    class StoppingConnector(FakeConnector):
        async def fetch(self, platform_id: str) -> AccountSnapshot:
            self.fetched.append(platform_id)
            if len(self.fetched) == 3:
                stop.set()  # SIGTERM arrives while the third fetch is in flight
            return await super().fetch(platform_id)

    fake = StoppingConnector({a.platform_id: clean_snapshot(a) for a in accts})
    result = asyncio.run(run_cycle(app, {"facebook": fake}, concurrency={"facebook": 1}, stop=stop))

    cycle = _cycles(app)[0]
    assert result.status == cycle.status == "incomplete"
    assert (
        cycle.reason
        == "stopped before every account was checked: 3 of 10 accounts have a stored result"
    )
    assert cycle.finished_at == T0 and _stored(app, cycle.id) == 3


def test_a_store_that_fails_after_the_cycle_opened_closes_it_as_failed_not_running(
    tmp_path: Path,
) -> None:
    accts = [account(f"school-{i}-fb") for i in range(3)]
    app = fault_app(tmp_path, accts)
    with sqlite3.connect(tmp_path / "socmon.db") as conn:  # read after the cycle's row exists
        conn.execute("ALTER TABLE privacy_resolutions RENAME TO gone")
    fake = FakeConnector({a.platform_id: clean_snapshot(a) for a in accts})

    result = asyncio.run(asyncio.wait_for(run_cycle(app, {"facebook": fake}), LIMIT))

    cycle = _cycles(app)[0]
    assert (result.status, cycle.status) == ("failed", "failed")
    assert cycle.reason.startswith("reading the directory failed")
    assert cycle.finished_at is not None and _stored(app, cycle.id) == 0
