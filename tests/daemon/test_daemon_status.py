"""`socmon status`: what IT sees, and exit 1 once the last cycle is two intervals old."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from daemon_helpers import T0, upgraded_app, write_config
from typer.testing import CliRunner

from monitor.lease import try_acquire
from monitor.settings import load_settings
from monitor.store.db import transaction
from monitor.store.models import AccountRow, Cycle
from socmon.cli import service
from socmon.cli.service import build_status, secret_values


def _cli() -> typer.Typer:
    cli = typer.Typer()
    service.register(cli)
    return cli


def _cycle(
    config: Path,
    finished: datetime,
    failed: int = 0,
    total: int = 5,
    status: str = "complete",
    reason: str = "",
    scope: str = "registry",
) -> None:
    app = upgraded_app(config)
    with transaction(app.sessions) as session:
        session.add(
            Cycle(
                started_at=finished - timedelta(minutes=2),
                finished_at=finished,
                accounts_total=total,
                accounts_ok=total - failed,
                accounts_failed=failed,
                errors_by_kind={"auth": failed} if failed else {},
                status=status,
                reason=reason,
                scope=scope,
            )
        )


def test_status_exits_0_and_reports_the_last_cycle_when_it_is_fresh(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    _cycle(config, datetime.now(UTC) - timedelta(minutes=1), failed=2, total=20)  # 10 %: at the bar

    done = CliRunner().invoke(_cli(), ["status", "--config", str(config), "--format", "json"])

    assert done.exit_code == 0, done.output
    report = json.loads(done.output)
    assert report["stale"] is False
    assert (report["accounts_checked"], report["accounts_failed"]) == (20, 2)
    assert (report["last_cycle_status"], report["unreadable_percent"], report["alerts"]) == (
        "complete",
        10.0,
        [],
    )
    assert report["errors_by_kind"] == {"auth": 2}
    assert report["next_digest"].endswith(("-08:00", "-07:00"))  # district time


def test_status_exits_1_when_the_last_cycle_is_older_than_two_intervals(tmp_path: Path) -> None:
    config = write_config(tmp_path)  # hourly, all day
    _cycle(config, datetime.now(UTC) - timedelta(hours=2, minutes=1))

    done = CliRunner().invoke(_cli(), ["status", "--config", str(config)])

    assert done.exit_code == 1
    assert "STALE: the last cycle is older than two check intervals" in done.output


def test_status_exits_1_when_no_cycle_has_ever_finished(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    upgraded_app(config)

    done = CliRunner().invoke(_cli(), ["status", "--config", str(config)])

    assert done.exit_code == 1
    assert "no check cycle has finished yet" in done.output


def test_status_lists_failing_accounts_by_connector_and_the_lease_holder(tmp_path: Path) -> None:
    app = upgraded_app(write_config(tmp_path), clock=lambda: T0)
    with transaction(app.sessions) as session:
        for n, (platform, status) in enumerate(
            [("facebook", "failed"), ("facebook", "failed"), ("youtube", "failed"), ("x", "ok")]
        ):
            session.add(
                AccountRow(
                    id=f"a{n}",
                    platform=platform,
                    platform_id=str(n),
                    school="S",
                    kind="school",
                    audience="public",
                    managers=[],
                    data={},
                    registered_at=T0,
                    updated_at=T0,
                    fetch_status=status,
                )
            )
    try_acquire(app.sessions, "scheduler", "host:123:abc", T0, timedelta(seconds=90))

    report = build_status(app, T0)

    assert report.failing_by_connector == {"facebook": 2, "youtube": 1}
    assert report.lease_holder == "host:123:abc"
    assert report.next_check == datetime(2026, 11, 23, 19, 0, tzinfo=UTC)
    assert report.next_digest == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 07:00 Vancouver


def test_every_secret_the_config_names_is_handed_to_the_log_filter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = '\n[smtp]\nhost = "relay"\nsender = "socmon@cmsd82.ca"\npassword_secret = "SOCMON_SMTP_PASSWORD"\n'
    settings = load_settings(write_config(tmp_path, base_url="http://127.0.0.1:9", extra=extra))
    monkeypatch.setenv("SOCMON_FACEBOOK_TOKEN", "facebook-token-value")
    monkeypatch.setenv("SOCMON_SMTP_PASSWORD", "smtp-password-value")
    monkeypatch.setenv("SOCMON_WEB_SECRET", "web-secret-value")

    assert sorted(secret_values(settings)) == [
        "facebook-token-value",
        "smtp-password-value",
        "web-secret-value",
    ]


def test_status_exits_1_when_more_than_the_alert_share_of_accounts_could_not_be_read(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path)
    _cycle(config, datetime.now(UTC) - timedelta(minutes=1), failed=3, total=20)  # 15 %

    done = CliRunner().invoke(_cli(), ["status", "--config", str(config)])

    assert done.exit_code == 1
    assert "3 of 20 accounts could not be read in the last cycle (15 %, alert above 10 %)" in (
        done.output
    )
    assert "(complete: 20 of 20 accounts checked, 3 unreadable)" in done.output


def test_the_unreadable_alert_share_comes_from_the_config(tmp_path: Path) -> None:
    config = write_config(tmp_path, extra="\n[status]\nunreadable_alert_percent = 20\n")
    _cycle(config, datetime.now(UTC) - timedelta(minutes=1), failed=3, total=20)

    done = CliRunner().invoke(_cli(), ["status", "--config", str(config)])

    assert done.exit_code == 0, done.output
    assert "status:       ok" in done.output


def test_status_exits_1_after_an_incomplete_last_cycle_and_says_why(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    why = "stopped before every account was checked: 3 of 5 accounts have a stored result"
    _cycle(config, datetime.now(UTC) - timedelta(minutes=1), status="incomplete", reason=why)

    done = CliRunner().invoke(_cli(), ["status", "--config", str(config)])

    assert done.exit_code == 1
    assert f"the last cycle is incomplete: {why}" in done.output


def test_a_narrowed_check_does_not_stand_for_the_districts_last_cycle(tmp_path: Path) -> None:
    config = write_config(tmp_path)  # hourly, all day
    _cycle(config, datetime.now(UTC) - timedelta(hours=3))  # the last whole-registry cycle
    _cycle(config, datetime.now(UTC) - timedelta(minutes=1), total=1, scope="accounts")

    done = CliRunner().invoke(_cli(), ["status", "--config", str(config), "--format", "json"])

    assert done.exit_code == 1, done.output
    report = json.loads(done.output)
    assert report["stale"] is True and report["accounts_checked"] == 5
