"""The scheduler lease: one holder at a time, taken over after expiry, safe across processes."""

from __future__ import annotations

import multiprocessing
from collections import defaultdict
from datetime import timedelta

from daemon_helpers import T0, race_for_leases
from sqlalchemy import Engine

from monitor.lease import LeaseKeeper, current, release, try_acquire
from monitor.store.db import session_factory

TTL = timedelta(seconds=90)


def test_a_second_holder_is_refused_while_the_lease_is_valid(engine: Engine) -> None:
    sessions = session_factory(engine)
    assert try_acquire(sessions, "scheduler", "a", T0, TTL)

    assert not try_acquire(sessions, "scheduler", "b", T0 + TTL - timedelta(seconds=1), TTL)
    lease = current(sessions)
    assert lease is not None and lease.holder == "a"


def test_a_second_holder_takes_over_once_the_lease_has_expired(engine: Engine) -> None:
    sessions = session_factory(engine)
    try_acquire(sessions, "scheduler", "a", T0, TTL)

    assert try_acquire(sessions, "scheduler", "b", T0 + TTL + timedelta(seconds=1), TTL)
    # ...and the old holder, back from a pause, is now the one refused.
    assert not try_acquire(sessions, "scheduler", "a", T0 + TTL + timedelta(seconds=2), TTL)
    lease = current(sessions)
    assert lease is not None and lease.holder == "b"


def test_the_holder_renews_its_own_lease_before_it_expires(engine: Engine) -> None:
    sessions = session_factory(engine)
    try_acquire(sessions, "scheduler", "a", T0, TTL)

    assert try_acquire(sessions, "scheduler", "a", T0 + timedelta(seconds=30), TTL)
    lease = current(sessions)
    assert lease is not None and lease.expires_at == T0 + timedelta(seconds=30) + TTL


def test_a_released_lease_can_be_taken_at_once(engine: Engine) -> None:
    sessions = session_factory(engine)
    try_acquire(sessions, "scheduler", "a", T0, TTL)

    release(sessions, "scheduler", "a", T0 + timedelta(seconds=5))

    assert try_acquire(sessions, "scheduler", "b", T0 + timedelta(seconds=6), TTL)


def test_the_keeper_counts_as_holder_only_until_its_last_renewal_expires(engine: Engine) -> None:
    now = [T0]
    keeper = LeaseKeeper(session_factory(engine), holder="a", ttl=TTL, clock=lambda: now[0])
    other = LeaseKeeper(session_factory(engine), holder="b", ttl=TTL, clock=lambda: now[0])

    assert keeper.renew() and keeper.held()
    assert not other.renew() and not other.held()
    now[0] = T0 + TTL  # keeper missed its renewals (paused, cut off)
    assert not keeper.held()
    assert other.renew() and other.held()
    assert not keeper.renew() and not keeper.held()


def _race(url: str, rounds: int = 25) -> dict[int, list[tuple[str, bool]]]:
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(2), ctx.Queue()
    procs = [
        ctx.Process(target=race_for_leases, args=(url, holder, rounds, barrier, out))
        for holder in ("p1", "p2")
    ]
    for proc in procs:
        proc.start()
    outcomes: dict[int, list[tuple[str, bool]]] = defaultdict(list)
    for _ in range(rounds * 2):
        n, holder, got = out.get(timeout=60)
        outcomes[n].append((holder, got))
    for proc in procs:
        proc.join(timeout=30)
        assert proc.exitcode == 0
    return outcomes


def test_two_processes_racing_for_a_lease_on_one_sqlite_file_never_both_get_it(
    engine: Engine,
) -> None:
    url = engine.url.render_as_string(hide_password=False)

    outcomes = _race(url)

    assert len(outcomes) == 25
    for n, results in outcomes.items():
        winners = [holder for holder, got in results if got]
        assert len(winners) == 1, (n, results)
