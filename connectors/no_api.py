"""The connector of a platform no API can read (Facebook Groups since 22 April 2024)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from connectors.base import AccountSnapshot, Fact

GROUPS_GONE = "the Facebook Groups API was removed on 2024-04-22"


class NoApiConnector:
    """A platform no API can read: an empty snapshot that says every fact is unexposed.

    Only attested and impossible checks run on such a platform (see the capability
    table), so nothing reads the empty fields as clean; the snapshot carries the clock.
    """

    def __init__(self, platform: str, reason: str, clock: Callable[[], datetime]) -> None:
        self.platform = platform
        self._reason = reason
        self._clock = clock

    async def fetch(self, platform_id: str) -> AccountSnapshot:
        return AccountSnapshot(
            platform=self.platform,
            platform_id=platform_id,
            fetched_at=self._clock(),
            unexposed={fact: self._reason for fact in Fact},
        )
