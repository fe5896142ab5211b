"""Prometheus metrics served on 127.0.0.1 from a registry of our own."""

from __future__ import annotations

import urllib.request
from collections import Counter
from pathlib import Path

from daemon_helpers import T0, upgraded_app, write_config
from prometheus_client import REGISTRY

from monitor.store.db import transaction
from monitor.store.models import Lapse
from socmon.metrics import Metrics, serve


def test_the_metrics_endpoint_serves_every_socmon_metric(tmp_path: Path) -> None:
    app = upgraded_app(write_config(tmp_path), clock=lambda: T0)
    with transaction(app.sessions) as session:
        session.add(
            Lapse(
                account_id="a",
                check_id="comments",
                status="open",
                opened_at=T0,
                last_seen_at=T0,
                detail="d",
                evidence={},
            )
        )
    metrics = Metrics()
    metrics.cycle_finished(42.0, Counter({"auth": 2, "unavailable": 1}))
    metrics.digests(sent=5, failed=1)
    metrics.refresh(app.sessions)
    server = serve(metrics, "127.0.0.1", 0)
    try:
        url = f"http://127.0.0.1:{server.server_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as reply:
            body = reply.read().decode()
    finally:
        server.shutdown()
        server.server_close()

    assert "socmon_cycle_duration_seconds_count 1.0" in body
    assert 'socmon_connector_errors_total{kind="auth"} 2.0' in body
    assert "socmon_digests_sent_total 5.0" in body
    assert "socmon_digests_failed_total 1.0" in body
    assert 'socmon_open_lapses{check="comments"} 1.0' in body
    assert "# TYPE socmon_accounts gauge" in body
    assert "socmon_lease_held" in body


def test_metrics_are_kept_off_the_global_registry() -> None:
    Metrics()
    assert REGISTRY.get_sample_value("socmon_digests_sent_total") is None
