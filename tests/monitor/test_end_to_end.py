"""socmon against the sandbox: exactly the planted lapses, and nothing else."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import select
from store_factories import T0, demo_app

from checks.district import Subject
from monitor.context import App
from monitor.runner import run_check_cycle
from monitor.store.models import CheckState, DistrictState, Lapse
from sandbox.demo import (
    DEMO_EXPECTED,
    DEMO_REGISTERED,
    DEMO_UNKNOWN,
    DEMO_UNREGISTERED,
    demo_world,
)
from sandbox.server import SandboxServer
from socmon.check_json import SCHEMA_PATH
from socmon.demo import DEMO_SECRETS, EXAMPLES, seed_attestations, seed_roster


def _who(lapse: Lapse) -> str:
    """The lapse's account, or what a district-wide lapse is about ("x credential")."""
    return lapse.account_id or Subject(lapse.platform, lapse.subject).label


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(demo_world(T0)) as server:
        yield server


@pytest.fixture
def live_sandbox() -> Iterator[SandboxServer]:
    """The demo world as of the wall clock, for `socmon` run as a separate process.

    That process reads the real clock (shifted with this one under faketime), so its world
    must be built at the same moment, never at a fixed date.
    """
    now = datetime.now(UTC)
    with SandboxServer(demo_world(now, lambda: datetime.now(UTC))) as server:
        yield server


def test_a_cycle_finds_exactly_the_planted_lapses_and_unknowns(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    app = demo_app(tmp_path, sandbox.base_url)
    accounts = app.accounts

    seed_attestations(app)
    seed_roster(app)
    result = asyncio.run(run_check_cycle(app, env=DEMO_SECRETS))

    with app.sessions() as s:
        lapses = {(_who(lp), lp.check_id) for lp in s.scalars(select(Lapse))}
        unknown = {
            (st.account_id, st.check_id)
            for st in s.scalars(select(CheckState).where(CheckState.status == "unknown"))
        }
    expected = {(a, c) for a, checks in DEMO_EXPECTED.items() for c in checks}
    expected |= {(a, "registered") for a in DEMO_REGISTERED}
    expected |= {(f"facebook page {p}", "registered") for p in DEMO_UNREGISTERED}
    planted_unknown = {(a, c) for a, checks in DEMO_UNKNOWN.items() for c in checks}
    assert lapses == expected
    assert unknown == planted_unknown
    assert result.accounts == len(accounts)
    assert result.failed == sum(1 for checks in DEMO_UNKNOWN.values() if len(checks) >= 8)


def _config(tmp_path: Path, base_url: str) -> Path:
    text = (EXAMPLES / "socmon.example.toml").read_text(encoding="utf-8")
    text = re.sub(r'(?m)^base_url = ".*"$', f'base_url = "{base_url}"', text)
    text = re.sub(r'(?m)^state_dir = ".*"$', f'state_dir = "{tmp_path / "state"}"', text)
    text = re.sub(
        r'(?m)^registry = ".*"$', f'registry = "{EXAMPLES / "accounts.example.yaml"}"', text
    )
    text = text.replace('"district-logo.png"', f'"{EXAMPLES / "district-logo.png"}"')
    path = tmp_path / "socmon.toml"
    path.write_text(text, encoding="utf-8")
    return path


def socmon(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **DEMO_SECRETS, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "socmon", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        check=False,
    )


def test_socmon_check_refuses_a_database_that_was_never_upgraded(
    live_sandbox: SandboxServer, tmp_path: Path
) -> None:
    config = _config(tmp_path, live_sandbox.base_url)
    done = socmon("check", "--config", str(config))
    assert done.returncode == 2
    assert "run 'socmon db upgrade'" in done.stderr
    assert "Traceback" not in done.stderr


def test_socmon_check_exits_1_with_lapses_and_reports_what_to_fix(
    live_sandbox: SandboxServer, tmp_path: Path
) -> None:
    config = _config(tmp_path, live_sandbox.base_url)
    assert socmon("db", "upgrade", "--config", str(config)).returncode == 0

    done = socmon("check", "--config", str(config))

    assert done.returncode == 1, done.stderr
    assert "riverside-elementary-fb" in done.stdout
    assert "what to do:" in done.stdout and "policy:" in done.stdout
    assert "CMSD82 Policy 2045 C.4.c" in done.stdout
    assert DEMO_SECRETS["SOCMON_FACEBOOK_TOKEN"] not in done.stdout + done.stderr


def test_socmon_check_exits_0_for_a_clean_account_and_reports_json(
    live_sandbox: SandboxServer, tmp_path: Path
) -> None:
    config = _config(tmp_path, live_sandbox.base_url)
    socmon("db", "upgrade", "--config", str(config))
    clean = next(a for a, checks in DEMO_EXPECTED.items() if not checks and a not in DEMO_UNKNOWN)

    done = socmon("check", "--config", str(config), "--account", clean, "--format", "json")

    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["accounts"], report["failed"], report["open_lapses"]) == (1, 0, [])
    jsonschema.validate(report, json.loads(SCHEMA_PATH.read_text()))
    mine = {v["check"]: v["status"] for v in report["verdicts"] if v.get("account") == clean}
    assert mine and "lapse" not in mine.values()


def test_socmon_check_names_an_unknown_account_and_exits_2(
    live_sandbox: SandboxServer, tmp_path: Path
) -> None:
    config = _config(tmp_path, live_sandbox.base_url)
    socmon("db", "upgrade", "--config", str(config))
    done = socmon("check", "--config", str(config), "--account", "no-such-page")
    assert done.returncode == 2
    assert "no account with id no-such-page" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_socmon_check_without_the_token_names_the_secret_and_exits_2(
    live_sandbox: SandboxServer, tmp_path: Path
) -> None:
    config = _config(tmp_path, live_sandbox.base_url)
    socmon("db", "upgrade", "--config", str(config))
    env = {k: "" for k in DEMO_SECRETS}
    done = socmon("check", "--config", str(config), env=env)
    assert done.returncode == 2
    assert "platforms.facebook.token_secret" in done.stderr
    assert "SOCMON_FACEBOOK_TOKEN" in done.stderr


def test_an_x_app_over_its_monthly_cap_leaves_x_unknown_and_tells_it(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.world.social.x_capped = True
    app = demo_app(tmp_path, sandbox.base_url)
    accounts = app.accounts
    seed_attestations(app)
    result = asyncio.run(run_check_cycle(app, env=DEMO_SECRETS))

    x_ids = {a.id for a in accounts if a.platform == "x"}
    with app.sessions() as s:
        states = {(st.account_id, st.check_id): st for st in s.scalars(select(CheckState))}
        district = {(d.platform, d.check_id): d for d in s.scalars(select(DistrictState))}
        lapses = {(_who(lp), lp.check_id) for lp in s.scalars(select(Lapse))}
    assert x_ids and result.errors_by_kind["usage_cap"] == len(x_ids)
    assert all(states[(a, "comments")].status == "unknown" for a in x_ids)
    assert not any(a in x_ids for a, _ in lapses)  # unknown never opens a lapse
    assert ("x credential", "connector_health") in lapses
    assert "the X monthly read cap is reached" in district[("x", "connector_health")].detail


def test_the_app_remembers_across_cycles_the_page_whose_roles_graph_refuses_in_the_page_call(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    app = demo_app(tmp_path, sandbox.base_url)
    (refused,) = sandbox.world.roles_forbidden
    calls = sandbox.world.calls

    asyncio.run(run_check_cycle(app, env=DEMO_SECRETS))
    first = calls["page"]
    assert refused in app.roles_apart
    asyncio.run(run_check_cycle(app, env=DEMO_SECRETS))
    # The second cycle reads that page without the refused edge at once: one page call
    # fewer than the first, which asked with the edge, was refused and asked again.
    assert calls["page"] - first == first - 1
    fresh = App(app.settings, app.engine, app.sessions, app.accounts, clock=app.clock)
    assert refused not in fresh.roles_apart  # the memory is the process's, not a global
