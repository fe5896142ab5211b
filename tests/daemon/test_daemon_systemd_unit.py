"""The unit file: systemd's own security analysis rates its exposure at 1.5 or better."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[2] / "systemd" / "socmon.service"


def test_systemd_analyze_rates_the_unit_exposure_at_most_1_5() -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed on this machine")
    done = subprocess.run(
        [analyze, "security", "--offline=true", "--no-pager", str(UNIT)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", done.stdout + done.stderr)
    assert found, done.stdout + done.stderr
    assert float(found.group(1)) <= 1.5


def test_the_unit_is_a_notify_service_with_a_watchdog_state_and_credentials() -> None:
    text = UNIT.read_text(encoding="utf-8")
    for line in (
        "Type=notify",
        "NotifyAccess=main",
        "ExecStart=/usr/bin/socmon run --config /etc/socmon/socmon.toml",
        "StateDirectory=socmon",
        "ConfigurationDirectory=socmon",
        "DynamicUser=yes",
        "LoadCredential=SOCMON_FACEBOOK_TOKEN:",
    ):
        assert re.search(rf"(?m)^{re.escape(line)}", text), line
    assert re.search(r"(?m)^WatchdogSec=\d+s$", text)


def test_the_unit_backs_off_restarts_when_the_database_is_unavailable() -> None:
    text = UNIT.read_text(encoding="utf-8")
    assert re.search(r"(?m)^RestartSec=15s$", text)
    assert re.search(r"(?m)^RestartSteps=\d+$", text)
    assert re.search(r"(?m)^RestartMaxDelaySec=10min$", text)
    # Exit 75 is retried (with the backoff); only exit 2, a config mistake, is not.
    assert re.search(r"(?m)^RestartPreventExitStatus=2$", text)
