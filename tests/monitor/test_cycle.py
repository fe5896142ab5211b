"""The check cycle with a fake connector: failures are unknown, others go on, concurrency bounded."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select
from store_factories import T0, account

from checks.capabilities import checks_for
from connectors.base import AccountSnapshot, Admin, AuthFailed, Unavailable
from monitor.context import App
from monitor.cycle import run_cycle
from monitor.platforms.facebook import FacebookConfig
from monitor.registry import Account
from monitor.roster import RosterEntry
from monitor.roster_store import store_roster
from monitor.settings import District, Settings
from monitor.store.db import make_engine, session_factory, transaction
from monitor.store.migrate import upgrade
from monitor.store.models import AccountRow, CheckRun, CheckState, Cycle, Lapse


@dataclass
class FakeConnector:
    """Answers from a dict; raises what it is told to; records peak concurrency."""

    snapshots: dict[str, AccountSnapshot]
    errors: dict[str, Exception] = field(default_factory=dict)
    platform: str = "facebook"
    in_flight: int = 0
    peak: int = 0
    gate: asyncio.Event | None = None
    fetched: list[str] = field(default_factory=list)

    async def fetch(self, platform_id: str) -> AccountSnapshot:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            if self.gate is not None:
                await self.gate.wait()
            await asyncio.sleep(0)  # yield so other workers can start: no wall-clock wait
            if platform_id in self.errors:
                raise self.errors[platform_id]
            return self.snapshots[platform_id]
        finally:
            self.in_flight -= 1


def clean_snapshot(acct: Account) -> AccountSnapshot:
    return AccountSnapshot(
        platform="facebook",
        platform_id=acct.platform_id,
        fetched_at=T0,
        name=f"{acct.school}",
        about="Coast Mountains School District 82",
        website="https://hillcrest.cmsd82.ca",
        emails=("office@cmsd82.ca",),
        admins=(Admin("200", "Ann Lee"), Admin("201", "Bob Roe")),
        audience="public",
        comment_setting="off",
        last_post_at=T0,
        post_text_read=True,
    )


ROSTER_KEY = b"test-roster-key-for-the-cycle-tests"


def make_app(tmp_path: Path, accounts: Sequence[Account]) -> App:
    settings = Settings(
        district=District(
            name="Coast Mountains School District 82",
            signature_texts=("Coast Mountains School District 82",),
            email_domains=("cmsd82.ca",),
        ),
        state_dir=tmp_path,
    )
    engine = make_engine(settings.db_url)
    upgrade(engine)
    return App(settings, engine, session_factory(engine), list(accounts), clock=lambda: T0)


def test_a_clean_account_passes_every_check(tmp_path: Path) -> None:
    acct = account()
    app = make_app(tmp_path, [acct])
    student = RosterEntry("S-1", "Quentin", "Farrowdale", "", acct.school, "none")
    with transaction(app.sessions) as session:
        store_roster(session, [student], ROSTER_KEY, T0)
    connector = FakeConnector({acct.platform_id: clean_snapshot(acct)})
    result = asyncio.run(run_cycle(app, {"facebook": connector}, roster_key=ROSTER_KEY))
    with app.sessions() as s:
        states = {st.check_id: st.status for st in s.scalars(select(CheckState))}
    assert (result.ok, result.failed) == (1, 0)
    assert states == {spec.id: "pass" for spec in checks_for("facebook")}


def test_a_failed_fetch_makes_every_check_unknown_and_keeps_open_lapses(tmp_path: Path) -> None:
    acct = account()
    app = make_app(tmp_path, [acct])
    lonely = clean_snapshot(acct)
    lonely = AccountSnapshot(
        **{**{f: getattr(lonely, f) for f in lonely.__dataclass_fields__}, "admins": ()}
    )
    asyncio.run(run_cycle(app, {"facebook": FakeConnector({acct.platform_id: lonely})}))
    broken = FakeConnector({}, errors={acct.platform_id: Unavailable("HTTP 503 from graph")})

    result = asyncio.run(run_cycle(app, {"facebook": broken}))

    with app.sessions() as s:
        states = {st.check_id: st.status for st in s.scalars(select(CheckState))}
        open_lapses = {lp.check_id for lp in s.scalars(select(Lapse).where(Lapse.status == "open"))}
        run = s.scalars(select(CheckRun).order_by(CheckRun.id.desc())).first()
        row = s.get(AccountRow, acct.id)
    assert (result.ok, result.failed, dict(result.errors_by_kind)) == (0, 1, {"unavailable": 1})
    assert set(states.values()) == {"unknown"}
    assert open_lapses == {"two_admins", "principal_admin"}  # neither resolved nor duplicated
    assert run is not None and (run.outcome, run.error_kind) == ("failed", "unavailable")
    assert row is not None and (row.fetch_status, row.failing_since) == ("failed", T0)


def test_one_failing_account_does_not_stop_the_others(tmp_path: Path) -> None:
    accts = [account(f"school-{i}-fb") for i in range(5)]
    app = make_app(tmp_path, accts)
    fake = FakeConnector(
        {a.platform_id: clean_snapshot(a) for a in accts},
        errors={accts[2].platform_id: AuthFailed("token expired", code=190, subcode=463)},
    )
    result = asyncio.run(run_cycle(app, {"facebook": fake}))
    assert (result.ok, result.failed, dict(result.errors_by_kind)) == (4, 1, {"auth": 1})


def test_an_account_on_a_platform_without_connector_is_unknown_not_passed(tmp_path: Path) -> None:
    acct = account(platform="youtube", platform_id="UC123")
    app = make_app(tmp_path, [acct])
    result = asyncio.run(run_cycle(app, {}))
    with app.sessions() as s:
        statuses = {st.status for st in s.scalars(select(CheckState))}
    assert result.failed == 1
    assert statuses == {"unknown"}


def test_concurrency_per_platform_is_bounded(tmp_path: Path) -> None:
    accts = [account(f"school-{i}-fb") for i in range(40)]
    app = make_app(tmp_path, accts)
    fake = FakeConnector({a.platform_id: clean_snapshot(a) for a in accts})
    result = asyncio.run(run_cycle(app, {"facebook": fake}, concurrency={"facebook": 3}))
    assert result.ok == 40
    assert fake.peak == 3


@pytest.mark.parametrize("n", [1, 250])
def test_every_result_is_stored_once_in_one_cycle(tmp_path: Path, n: int) -> None:
    accts = [account(f"school-{i}-fb") for i in range(n)]
    app = make_app(tmp_path, accts)
    fake = FakeConnector({a.platform_id: clean_snapshot(a) for a in accts})
    result = asyncio.run(run_cycle(app, {"facebook": fake}))
    with app.sessions() as s:
        runs = s.scalars(select(CheckRun)).all()
        cycle = s.get(Cycle, result.cycle_id)
    assert len(runs) == n == len({r.account_id for r in runs})
    assert cycle is not None and (cycle.accounts_ok, cycle.finished_at) == (n, T0)


def test_a_cycle_over_some_accounts_is_recorded_as_narrowed_not_as_the_registrys(
    tmp_path: Path,
) -> None:
    accts = [account(f"school-{i}-fb") for i in range(3)]
    app = make_app(tmp_path, accts)
    fake = FakeConnector({a.platform_id: clean_snapshot(a) for a in accts})
    narrowed = asyncio.run(run_cycle(app, {"facebook": fake}, accounts=accts[:1]))
    whole = asyncio.run(run_cycle(app, {"facebook": fake}))
    with app.sessions() as s:
        scopes = {c.id: (c.scope, c.status) for c in s.scalars(select(Cycle))}
    assert scopes[narrowed.cycle_id] == ("accounts", "complete")
    assert scopes[whole.cycle_id] == ("registry", "complete")


def test_a_stop_request_keeps_every_finished_result(tmp_path: Path) -> None:
    accts = [account(f"school-{i}-fb") for i in range(10)]
    app = make_app(tmp_path, accts)
    stop = asyncio.Event()

    class StoppingConnector(FakeConnector):
        async def fetch(self, platform_id: str) -> AccountSnapshot:
            snapshot = await super().fetch(platform_id)
            if len(self.fetched) == 2:
                stop.set()  # SIGTERM arrives while the third fetch is in flight
            self.fetched.append(platform_id)
            return snapshot

    fake = StoppingConnector({a.platform_id: clean_snapshot(a) for a in accts})
    result = asyncio.run(run_cycle(app, {"facebook": fake}, concurrency={"facebook": 2}, stop=stop))
    with app.sessions() as s:
        stored = {r.account_id for r in s.scalars(select(CheckRun))}
    assert 3 <= len(fake.fetched) < 10  # no new fetch started after the stop
    assert len(stored) == len(fake.fetched) == result.ok  # but every finished one was stored


def test_the_directory_follows_the_registry_across_chunks(tmp_path: Path) -> None:
    from monitor.directory import SYNC_CHUNK, sync_accounts
    from monitor.store.db import transaction

    accts = [account(f"school-{i}-fb") for i in range(SYNC_CHUNK + 7)]
    app = make_app(tmp_path, accts)
    with transaction(app.sessions) as s:
        sync_accounts(s, accts, T0)
    renamed = account("school-3-fb", school="Renamed School")
    kept = [renamed, *accts[4:]]  # school-0..2 leave the registry
    with transaction(app.sessions) as s:
        sync_accounts(s, kept, T0)
    with app.sessions() as s:
        rows = {r.id: r for r in s.scalars(select(AccountRow))}
    assert len(rows) == SYNC_CHUNK + 7
    assert {i for i, r in rows.items() if not r.active} == {
        "school-0-fb",
        "school-1-fb",
        "school-2-fb",
    }
    assert rows["school-3-fb"].school == "Renamed School"


@dataclass
class Usage:
    """A Graph-like throttle that reports the app's usage."""

    percent: float | None

    def usage_percent(self) -> float | None:
        return self.percent


@dataclass
class UsageReportingConnector(FakeConnector):
    throttle: Usage = field(default_factory=lambda: Usage(5.0))


def _adaptive_app(tmp_path: Path, accts: Sequence[Account], start: int, ceiling: int) -> App:
    app = make_app(tmp_path, accts)
    fb = FacebookConfig(
        base_url="https://graph.example", concurrency=start, max_concurrency=ceiling
    )
    app.settings = app.settings.model_copy(update={"platforms": {"facebook": fb}})
    return app


@pytest.mark.parametrize(
    ("usage", "final", "peak_at_most"),
    [(5.0, 8, 8), (None, 8, 8), (90.0, 1, 2), (70.0, 2, 2)],
    ids=["low usage grows", "no usage header grows", "80 % shrinks", "between holds"],
)
def test_the_cycle_adapts_its_concurrency_to_usage(
    tmp_path: Path, usage: float | None, final: int, peak_at_most: int
) -> None:
    # The injected clock stands still, so every fetch's latency is flat (0 s).
    accts = [account(f"school-{i}-fb") for i in range(300)]
    app = _adaptive_app(tmp_path, accts, start=2, ceiling=8)
    fake = UsageReportingConnector({a.platform_id: clean_snapshot(a) for a in accts})
    fake.throttle = Usage(usage)
    result = asyncio.run(run_cycle(app, {"facebook": fake}))
    assert result.ok == 300
    assert result.concurrency["facebook"][0] == final
    assert fake.peak <= peak_at_most
    if final == 8:
        assert fake.peak > 2  # it grew past the configured start


def test_a_concurrency_override_is_not_adapted(tmp_path: Path) -> None:
    accts = [account(f"school-{i}-fb") for i in range(300)]
    app = _adaptive_app(tmp_path, accts, start=2, ceiling=8)
    fake = UsageReportingConnector({a.platform_id: clean_snapshot(a) for a in accts})
    result = asyncio.run(run_cycle(app, {"facebook": fake}, concurrency={"facebook": 3}))
    assert result.concurrency["facebook"] == (3, 3)
    assert fake.peak == 3
