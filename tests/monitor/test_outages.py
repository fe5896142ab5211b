"""Outages cost little: a platform that is down trips a breaker; /me/accounts is read once a cycle.

A real cycle (connectors, HTTP, store) against the sandbox answering every request
with a server error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from store_factories import T0

from monitor.breaker import THRESHOLD
from monitor.context import App
from monitor.platforms.facebook import FacebookConfig
from monitor.registry import Account
from monitor.runner import run_check_cycle
from monitor.settings import District, Settings
from monitor.store.db import make_engine, session_factory
from monitor.store.migrate import upgrade
from monitor.store.models import CheckRun, CheckState
from sandbox.server import SandboxServer
from sandbox.world import World, synthetic_registry

PAGES = 40
ENV = {"SOCMON_FACEBOOK_TOKEN": "sandbox-system-token"}
DOWN = (503, None)  # a server error on every request it applies to


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(World.synthetic(PAGES, T0)) as server:
        yield server


def _app(tmp_path: Path, base_url: str) -> App:
    settings = Settings(
        district=District(
            name="Coast Mountains School District 82",
            signature_texts=("Coast Mountains School District 82",),
            email_domains=("cmsd82.ca",),
        ),
        state_dir=tmp_path,
        platforms={
            "facebook": FacebookConfig(
                base_url=base_url,
                token_secret="SOCMON_FACEBOOK_TOKEN",
                concurrency=4,
                max_retries=0,
            )
        },
    )
    engine = make_engine(settings.db_url)
    upgrade(engine)
    accounts = [Account.model_validate(entry) for entry in synthetic_registry(PAGES)]
    return App(settings, engine, session_factory(engine), accounts, clock=lambda: T0)


def _stored(app: App) -> tuple[dict[str, int], set[str]]:
    with app.sessions() as s:
        kinds: dict[str, int] = {}
        for run in s.scalars(select(CheckRun)):
            kinds[run.error_kind or "ok"] = kinds.get(run.error_kind or "ok", 0) + 1
        statuses = {
            st.status
            for st in s.scalars(select(CheckState))
            if st.account_id.startswith("synthetic-")
        }
    return kinds, statuses


def test_page_tokens_that_cannot_be_listed_are_asked_for_once_per_cycle(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    app = _app(tmp_path, sandbox.base_url)
    sandbox.world.fail_next.extend([DOWN] * 10_000)  # Graph is down for everything

    result = asyncio.run(run_check_cycle(app, env=ENV))

    kinds, statuses = _stored(app)
    assert sandbox.world.calls["me_accounts"] == 1
    assert sandbox.world.calls["page"] == 0
    assert (result.ok, result.failed, result.status) == (0, PAGES, "complete")
    assert statuses == {"unknown"}  # never a pass on what was not read
    assert sum(kinds.values()) == PAGES


def test_a_platform_failing_every_page_trips_the_breaker_after_a_handful_of_attempts(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    app = _app(tmp_path, sandbox.base_url)
    for entry in synthetic_registry(PAGES):  # the page list works; every page read fails
        sandbox.world.fail_next_for[str(entry["platform_id"])] = [DOWN] * 100

    result = asyncio.run(run_check_cycle(app, env=ENV))

    kinds, statuses = _stored(app)
    assert THRESHOLD <= sandbox.world.calls["page"] < THRESHOLD + 4  # +4: those in flight
    assert kinds["platform_unavailable"] >= PAGES - THRESHOLD - 4
    assert kinds["unavailable"] + kinds["platform_unavailable"] == PAGES
    assert statuses == {"unknown"}
    assert (result.failed, result.status) == (PAGES, "complete")


def test_one_failing_page_among_working_ones_does_not_trip_the_breaker(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    app = _app(tmp_path, sandbox.base_url)
    bad = str(next(iter(synthetic_registry(1)))["platform_id"])
    sandbox.world.fail_next_for[bad] = [DOWN] * 100

    result = asyncio.run(run_check_cycle(app, env=ENV))

    kinds, _ = _stored(app)
    assert kinds.get("platform_unavailable", 0) == 0
    assert (result.ok, result.failed) == (PAGES - 1, 1)
