"""Prometheus metrics on a private registry built at the entry point (never the global one)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from monitor.store.models import AccountRow, Lapse

logger = logging.getLogger(__name__)

CYCLE_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600)


@dataclass
class Metrics:
    """socmon's metrics; `refresh` reads the gauges that come from the store."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.cycle_seconds = Histogram(
            "socmon_cycle_duration_seconds",
            "Duration of a check cycle.",
            buckets=CYCLE_BUCKETS,
            registry=r,
        )
        self.accounts = Gauge(
            "socmon_accounts", "Active accounts by last fetch status.", ["status"], registry=r
        )
        self.connector_errors = Counter(
            "socmon_connector_errors", "Failed account fetches by error kind.", ["kind"], registry=r
        )
        self.digests_sent = Counter("socmon_digests_sent", "Digests delivered.", registry=r)
        self.digests_failed = Counter(
            "socmon_digests_failed", "Digests that failed permanently.", registry=r
        )
        self.open_lapses = Gauge(
            "socmon_open_lapses", "Open lapses by check.", ["check"], registry=r
        )
        self.job_failures = Counter(
            "socmon_job_failures", "Scheduler jobs that raised or were missed.", ["job"], registry=r
        )
        self.lease_held = Gauge(
            "socmon_lease_held", "1 when this process holds the scheduler lease.", registry=r
        )

    def cycle_finished(self, seconds: float, errors_by_kind: Mapping[str, int]) -> None:
        self.cycle_seconds.observe(seconds)
        for kind, count in errors_by_kind.items():
            self.connector_errors.labels(kind=kind).inc(count)

    def digests(self, sent: int, failed: int) -> None:
        self.digests_sent.inc(sent)
        self.digests_failed.inc(failed)

    def refresh(self, sessions: sessionmaker[Session]) -> None:
        """Set the store-derived gauges (accounts by status, open lapses by check)."""
        with sessions() as session:
            by_status = session.execute(
                select(AccountRow.fetch_status, func.count())
                .where(AccountRow.active.is_(True))
                .group_by(AccountRow.fetch_status)
            ).all()
            by_check = session.execute(
                select(Lapse.check_id, func.count())
                .where(Lapse.status == "open")
                .group_by(Lapse.check_id)
            ).all()
        self.accounts.clear()
        for status, count in by_status:
            self.accounts.labels(status=status).set(count)
        self.open_lapses.clear()
        for check, count in by_check:
            self.open_lapses.labels(check=check).set(count)


def serve(metrics: Metrics, host: str, port: int) -> Any:
    """Serve /metrics on host:port in a daemon thread; returns the server (to shut down)."""
    server, _thread = start_http_server(port, addr=host, registry=metrics.registry)
    logger.info("metrics serving", extra={"host": host, "port": server.server_port})
    return server
