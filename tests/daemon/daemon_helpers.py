"""Configs, apps and real `socmon run` processes for the daemon tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import yaml

from monitor.context import App, open_app
from monitor.store.db import make_engine
from monitor.store.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "config"
T0 = datetime(2026, 11, 23, 18, 30, tzinfo=UTC)  # Monday 10:30 in America/Vancouver
SECRET = "SOCMON-TEST-SECRET-7d3f9a41c2"


def account(n: int) -> dict[str, object]:
    return {
        "id": f"school-{n}-fb",
        "platform": "facebook",
        "platform_id": str(100_000_000_000_000 + n),
        "school": f"School {n}",
        "managers": [f"manager{n}@cmsd82.ca"],
    }


def write_config(
    folder: Path,
    *,
    base_url: str = "",
    registry: Path | None = None,
    accounts: int = 1,
    extra: str = "",
    every: int = 60,
    first_hour: int = 0,
    last_hour: int = 23,
) -> Path:
    """A minimal config (and registry) under `folder`; a platform only with `base_url`."""
    folder.mkdir(parents=True, exist_ok=True)
    if registry is None:
        registry = folder / "accounts.yaml"
        registry.write_text(
            yaml.safe_dump({"accounts": [account(n) for n in range(accounts)]}), encoding="utf-8"
        )
    text = f"""\
state_dir = "{folder / "state"}"
registry = "{registry}"

[district]
name = "Coast Mountains School District 82"
signature_texts = ["Coast Mountains School District 82"]
email_domains = ["cmsd82.ca"]
timezone = "America/Vancouver"

[schedule]
check_every_minutes = {every}
first_hour = {first_hour}
last_hour = {last_hour}
misfire_grace_seconds = 600
"""
    if base_url:
        text += f"""
[platforms.facebook]
base_url = "{base_url}"
token_secret = "SOCMON_FACEBOOK_TOKEN"
business_id = "300000000000082"
concurrency = 2
timeout_seconds = 5.0
max_retries = 0
"""
    path = folder / "socmon.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def upgraded_app(config: Path, clock: Callable[[], datetime] | None = None) -> App:
    """Upgrade the config's database and open the app (with `clock` when given)."""
    from monitor.settings import load_settings

    settings = load_settings(config)
    engine = make_engine(settings.db_url)
    upgrade(engine)
    engine.dispose()
    app = open_app(config)
    if clock is not None:
        app.clock = clock
    return app


class Process:
    """A `socmon` subprocess whose merged output is collected line by line as it arrives."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "socmon", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **(env or {})},
        )
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    @property
    def output(self) -> str:
        with self._changed:
            return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float = 60) -> bool:
        """Wait until a line contains `text`; False on timeout or when the process ended first."""

        def seen() -> bool:
            return any(text in line for line in self.lines)

        with self._changed:
            self._changed.wait_for(lambda: seen() or not self._reader.is_alive(), timeout=timeout)
            return seen()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> tuple[int, float]:
        """Send `sig`; returns (exit code, seconds it took to exit)."""
        started = time.monotonic()
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=timeout)
        seconds = time.monotonic() - started
        self._reader.join(timeout=5)
        return code, seconds

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def race_for_leases(url: str, holder: str, rounds: int, barrier: object, out: object) -> None:
    """In a child process: at each barrier, try to take lease `race-N`; report the outcome."""
    from datetime import timedelta

    from monitor.lease import try_acquire
    from monitor.store.db import session_factory

    engine = make_engine(url)
    sessions = session_factory(engine)
    for n in range(rounds):
        barrier.wait(timeout=60)  # type: ignore[attr-defined]
        got = try_acquire(sessions, f"race-{n}", holder, T0, timedelta(minutes=5))
        out.put((n, holder, got))  # type: ignore[attr-defined]
    engine.dispose()
