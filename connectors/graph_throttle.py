"""Graph throttling scoped the way Graph scopes it: the app, and each Page (business use case).

`X-App-Usage` is app-wide: it holds every Facebook and Instagram request, so one
`GraphThrottle` is shared by both connectors. `X-Business-Use-Case-Usage` is keyed
by the object (one Page or Instagram account) whose quota it reports: it holds
requests about that object only, so one busy Page never stalls the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx

from connectors.graph import business_usage_by_object, header_json, percent_of
from connectors.http import Sleep, Throttle


class GraphThrottle:
    """The app's hold plus one hold per object; every request waits for both that apply."""

    def __init__(
        self,
        name: str = "graph",
        *,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float],
        throttle_at_percent: float = 90.0,
        max_delay: float = 60.0,
    ) -> None:
        self.name = name
        self._sleep = sleep
        self._clock = clock
        self._at = throttle_at_percent
        self._max_delay = max_delay
        self.app = Throttle(f"{name} app", sleep=sleep, clock=clock)
        self._objects: dict[str, Throttle] = {}
        self._app_usage: float | None = None

    def usage_percent(self) -> float | None:
        """The app's latest X-App-Usage (None before any reply carried one).

        The cycle's adaptive concurrency reads it. Business-use-case usage is not part
        of it: that quota is one Page's, which fewer Pages in flight would not spare,
        and its own hold (below) already keeps that Page's requests back.
        """
        return self._app_usage

    def of(self, object_id: str) -> Throttle:
        """The hold of one Page or Instagram account."""
        if object_id not in self._objects:
            self._objects[object_id] = Throttle(
                f"{self.name} {object_id}", sleep=self._sleep, clock=self._clock
            )
        return self._objects[object_id]

    @property
    def active(self) -> bool:
        """True while the app or any object is held."""
        return self.app.active or any(t.active for t in self._objects.values())

    async def wait(self, scope: str, max_wait: float | None) -> None:
        """Wait out the app's hold and the hold of `scope` (RateLimited when longer than max_wait)."""
        await self.app.wait(max_wait)
        if scope in self._objects:
            await self._objects[scope].wait(max_wait)

    def observe(self, response: httpx.Response) -> None:
        """Update the holds from the usage headers of one reply."""
        app = header_json(response, "X-App-Usage")
        if isinstance(app, dict):
            self._app_usage = percent_of(app)
            self._apply(self.app, self._app_usage, 0.0)
        for object_id, (percent, regain) in business_usage_by_object(response).items():
            self._apply(self.of(object_id), percent, regain)

    def _apply(self, throttle: Throttle, percent: float, regain: float) -> None:
        if percent >= 100:
            # Graph's regain time is the wait; 0 means "now": the request's own retry backs off.
            if regain > 0:
                throttle.hold(regain, f"usage at {percent:.0f}%")
            else:
                throttle.release()
        elif percent >= self._at:
            # Slow down in proportion to how close usage is to the limit.
            ceiling = regain or self._max_delay
            share = max(percent - self._at, 1.0) / max(100 - self._at, 1.0)
            throttle.hold(ceiling * share, f"usage at {percent:.0f}%")
        else:
            throttle.release()
