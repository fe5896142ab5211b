"""A per-platform circuit breaker for one cycle: a platform that is down costs a handful of calls.

When `threshold` accounts of one platform in a row fail with a server error, a timeout
or a throttle (kinds `unavailable`, `rate_limited`), the breaker opens for the rest of
the cycle: that platform's remaining accounts are unknown ("platform unavailable")
without a request. Any other outcome (a page read, or an error that is about one page
such as not_found) closes the count again. The next cycle starts closed.
"""

from __future__ import annotations

import logging

from connectors.base import ConnectorError

logger = logging.getLogger(__name__)

TRIPPING_KINDS = frozenset({"unavailable", "rate_limited"})
# Enough to see through one page's bad luck at concurrency 16, few enough to stay cheap.
THRESHOLD = 8


class PlatformUnavailable(ConnectorError):
    """The platform failed for every recent account: the rest of the cycle does not ask it."""

    kind = "platform_unavailable"


class Breaker:
    """Counts one platform's consecutive transient failures within a cycle."""

    def __init__(self, platform: str, threshold: int = THRESHOLD) -> None:
        self.platform, self.threshold = platform, threshold
        self.failures = 0
        self.reason = ""

    @property
    def open(self) -> bool:
        return bool(self.reason)

    def refusal(self) -> PlatformUnavailable:
        """The error that stands for an account the open breaker did not fetch."""
        return PlatformUnavailable(self.reason)

    def record(self, error: ConnectorError | None) -> None:
        """Count a fetched account's outcome; open after `threshold` transient failures in a row."""
        if error is None or error.kind not in TRIPPING_KINDS:
            self.failures = 0
            return
        self.failures += 1
        if self.failures >= self.threshold and not self.open:
            self.reason = (
                f"platform unavailable: {self.failures} {self.platform} accounts in a row"
                f" failed, the last with: {error}"
            )
            logger.warning(
                "circuit open: the rest of the cycle will not ask this platform",
                extra={"platform": self.platform, "failures": self.failures},
            )
