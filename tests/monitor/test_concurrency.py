"""Adaptive concurrency: grows while usage is low and latency flat, shrinks at 80 % or rising latency."""

from __future__ import annotations

import asyncio

import pytest

from monitor.concurrency import AdaptiveLimit, Gate, LimitPolicy, policy_for
from monitor.platforms.facebook import FacebookConfig as Platform


def feed(limit: AdaptiveLimit, n: int, latency: float, usage: float | None = 5.0) -> None:
    for _ in range(n):
        limit.observe(latency, usage)


def test_it_starts_at_the_configured_value() -> None:
    assert AdaptiveLimit(LimitPolicy(start=16, maximum=64)).limit == 16


def test_it_grows_by_one_per_window_while_usage_is_low_and_latency_flat() -> None:
    limit = AdaptiveLimit(LimitPolicy(start=16, maximum=64, window=20))
    feed(limit, 19, 0.05)
    assert limit.limit == 16  # the window is not full yet
    feed(limit, 1, 0.05)
    assert limit.limit == 17
    feed(limit, 20, 0.05)
    assert limit.limit == 18


def test_growth_stops_at_the_configured_maximum() -> None:
    limit = AdaptiveLimit(LimitPolicy(start=4, maximum=6, window=10))
    feed(limit, 1000, 0.05)
    assert limit.limit == 6


def test_usage_at_80_percent_shrinks_at_once() -> None:
    limit = AdaptiveLimit(LimitPolicy(start=16, maximum=64))
    limit.observe(0.05, 80.0)
    assert limit.limit == 12
    limit.observe(0.05, 95.0)
    assert limit.limit == 9


def test_shrinking_stops_at_the_minimum() -> None:
    limit = AdaptiveLimit(LimitPolicy(start=16, maximum=64, minimum=2))
    feed(limit, 50, 0.05, usage=99.0)
    assert limit.limit == 2


def test_usage_between_the_thresholds_holds_the_limit() -> None:
    limit = AdaptiveLimit(LimitPolicy(start=16, maximum=64, window=20))
    feed(limit, 200, 0.05, usage=70.0)
    assert limit.limit == 16


def test_unknown_usage_with_flat_latency_grows() -> None:
    # A platform without usage headers (X, YouTube) still finds its level by latency.
    limit = AdaptiveLimit(LimitPolicy(start=4, maximum=8, window=10))
    feed(limit, 10, 0.05, usage=None)
    assert limit.limit == 5


def test_rising_latency_shrinks() -> None:
    limit = AdaptiveLimit(LimitPolicy(start=16, maximum=64, window=20))
    feed(limit, 20, 0.05)
    assert limit.limit == 17
    feed(limit, 20, 0.10)  # twice the best median: requests queue
    assert limit.limit == 12


def test_a_few_slow_fetches_do_not_shrink_it() -> None:
    # One busy Page (many calls) in a window: the median does not move.
    limit = AdaptiveLimit(LimitPolicy(start=16, maximum=64, window=20))
    feed(limit, 20, 0.05)
    feed(limit, 3, 5.0)
    feed(limit, 17, 0.05)
    assert limit.limit == 18


def test_a_platform_slower_for_good_is_grown_again_eventually() -> None:
    limit = AdaptiveLimit(LimitPolicy(start=8, maximum=64, window=10, minimum=1))
    feed(limit, 10, 0.05)
    seen = []
    for _ in range(2000):  # four times slower from now on, at any concurrency
        limit.observe(0.20, 5.0)
        seen.append(limit.limit)
    assert min(seen) < 8  # read as rising latency at first
    assert seen[-1] > min(seen)  # then the best latency forgot the fast past


def test_the_window_is_at_least_the_limit() -> None:
    # At 40 in flight a decision waits for 40 fetches, so it sees every slot.
    limit = AdaptiveLimit(LimitPolicy(start=40, maximum=64, window=20))
    feed(limit, 39, 0.05)
    assert limit.limit == 40
    feed(limit, 1, 0.05)
    assert limit.limit == 41


def test_policy_bounds_are_checked() -> None:
    with pytest.raises(ValueError):
        LimitPolicy(start=1, maximum=4, minimum=5)
    with pytest.raises(ValueError):
        LimitPolicy(start=1, maximum=4, grow_below_percent=90, shrink_at_percent=80)


def test_the_platform_config_gives_start_and_ceiling() -> None:
    cfg = Platform(base_url="https://graph.example", concurrency=16, max_concurrency=48)
    policy = policy_for(cfg)
    assert (policy.start, policy.maximum) == (16, 48)
    # A maximum below the start never lowers the configured concurrency.
    low = Platform(base_url="https://graph.example", concurrency=16, max_concurrency=8)
    assert policy_for(low).maximum == 16
    # An override (tests, the benchmark's one-at-a-time sample) pins it.
    fixed = policy_for(cfg, fixed=1)
    assert (fixed.start, fixed.minimum, fixed.maximum) == (1, 1, 1)


async def test_the_gate_admits_at_most_the_limit_and_follows_it() -> None:
    limit = AdaptiveLimit(LimitPolicy(start=2, maximum=4))
    gate = Gate(limit)
    release = asyncio.Event()
    inside: list[int] = []

    async def hold() -> None:
        async with gate:
            inside.append(gate.active)
            await release.wait()

    tasks = [asyncio.create_task(hold()) for _ in range(4)]
    for _ in range(5):
        await asyncio.sleep(0)  # let every task reach the gate; no wall-clock wait
    assert gate.active == 2
    limit.limit = 4  # raised while two wait: they enter when a holder leaves
    release.set()
    await asyncio.gather(*tasks)
    assert gate.peak <= 4
    assert gate.active == 0
    assert len(inside) == 4
