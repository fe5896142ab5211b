"""Concurrency that finds its level: how many accounts of one platform are fetched at once.

A cycle starts at the platform's configured `concurrency` and adjusts once per window of
finished fetches (additive increase, multiplicative decrease):

- platform usage at or above `shrink_at_percent` (Graph's X-App-Usage): shrink at once,
  without waiting for the window to fill, because the next step is being throttled;
- the window's median fetch latency well above the best seen (`latency_rise` times):
  shrink, because more requests in flight only queue (at the platform, or on our own CPU);
- usage below `grow_below_percent` and latency flat: grow by one, up to `max_concurrency`;
- otherwise hold.

The median, not the mean, so one busy or throttled Page does not move the limit. The best
latency slowly forgets (`forget`), so a platform that became slower for good is not read
as "rising" forever. Decisions depend only on the observations fed in, never on a clock,
so the tests drive it without sleeping.
"""

from __future__ import annotations

import asyncio
import statistics
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from monitor.platforms.base import PlatformConfig


@dataclass(frozen=True, slots=True)
class LimitPolicy:
    """The bounds and thresholds of one platform's limit."""

    start: int
    maximum: int
    minimum: int = 1
    shrink_at_percent: float = 80.0
    grow_below_percent: float = 60.0
    latency_rise: float = 1.5
    window: int = 20
    forget: float = 0.05

    def __post_init__(self) -> None:
        if not 1 <= self.minimum <= self.maximum:
            raise ValueError("need 1 <= minimum <= maximum")
        if not self.grow_below_percent <= self.shrink_at_percent:
            raise ValueError("grow_below_percent must not exceed shrink_at_percent")


def ceiling(cfg: PlatformConfig) -> int:
    """The most fetches at once: `max_concurrency`, never below the starting `concurrency`."""
    return max(cfg.concurrency, cfg.max_concurrency)


def policy_for(cfg: PlatformConfig | None, fixed: int | None = None) -> LimitPolicy:
    """A platform's policy; `fixed` (a caller's override) pins the limit there."""
    if fixed is not None:
        return LimitPolicy(start=fixed, maximum=fixed, minimum=fixed)
    if cfg is None:
        return LimitPolicy(start=4, maximum=4, minimum=4)
    return LimitPolicy(start=cfg.concurrency, maximum=ceiling(cfg))


@runtime_checkable
class UsageSource(Protocol):
    """Something that knows the platform's latest app-wide usage, in percent of the limit."""

    def usage_percent(self) -> float | None: ...


class AdaptiveLimit:
    """The current limit, moved by fed (latency, usage) observations."""

    def __init__(self, policy: LimitPolicy) -> None:
        self.policy = policy
        self.limit = min(max(policy.start, policy.minimum), policy.maximum)
        self.best: float | None = None
        self._latencies: list[float] = []
        self._peak_usage = 0.0

    def observe(self, latency: float, usage: float | None = None) -> None:
        """One finished fetch: its seconds and the platform usage reported at its end."""
        p = self.policy
        if usage is not None and usage >= p.shrink_at_percent:
            self._shrink()
            return
        self._latencies.append(latency)
        if usage is not None:
            self._peak_usage = max(self._peak_usage, usage)
        # A window at least as large as the limit: a decision sees every slot at least once.
        if len(self._latencies) >= max(p.window, self.limit):
            self._decide()

    def _decide(self) -> None:
        p = self.policy
        median = statistics.median(self._latencies)
        if self.best is None or median < self.best:
            self.best = median
        rising = median > self.best * p.latency_rise
        if rising:
            self._shrink()
        else:
            if self._peak_usage < p.grow_below_percent:
                self.limit = min(self.limit + 1, p.maximum)
            self._reset()
        self.best += (median - self.best) * p.forget

    def _shrink(self) -> None:
        self.limit = max(self.policy.minimum, self.limit * 3 // 4)
        self._reset()

    def _reset(self) -> None:
        # The next decision sees only fetches finished under the new limit (or close to it).
        self._latencies.clear()
        self._peak_usage = 0.0


class Gate:
    """At most `limit.limit` holders at once; a lowered limit takes effect as holders leave."""

    def __init__(self, limit: AdaptiveLimit) -> None:
        self.limit = limit
        self.active = 0
        self.peak = 0
        self._freed = asyncio.Event()

    async def __aenter__(self) -> Gate:
        while self.active >= self.limit.limit:
            self._freed.clear()
            await self._freed.wait()
        self.active += 1
        self.peak = max(self.peak, self.active)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.active -= 1
        self._freed.set()
