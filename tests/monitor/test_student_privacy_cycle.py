"""student_privacy through whole cycles: roster key, consent on file, a post edited and re-read."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select
from store_factories import T0, demo_app

from monitor.context import App
from monitor.roster_store import record_privacy_resolution
from monitor.runner import run_check_cycle
from monitor.store.db import transaction
from monitor.store.models import CheckState, Lapse
from sandbox.demo import demo_world
from sandbox.server import SandboxServer
from sandbox.world import World
from socmon.demo import DEMO_SECRETS, seed_roster

PINECREST = "pinecrest-elementary-fb"
RIVERSIDE = "riverside-elementary-fb"
BY = "m.chen@cmsd82.ca"


def _state(app: App, account_id: str) -> CheckState:
    with app.sessions() as s:
        state = s.get(CheckState, (account_id, "student_privacy"))
    assert state is not None
    return state


def _cycle(app: App, env: dict[str, str] | None = None) -> None:
    """One cycle of the two pages these tests look at."""
    selected = [a for a in app.accounts if a.id in (PINECREST, RIVERSIDE)]
    asyncio.run(run_check_cycle(app, accounts=selected, env=env or DEMO_SECRETS))


def test_consent_on_file_resolves_the_lapse_and_post_edited_waits_for_the_post(
    tmp_path: Path,
) -> None:
    world: World = demo_world(T0)
    with SandboxServer(world) as sandbox:
        app = demo_app(tmp_path, sandbox.base_url)
        seed_roster(app)
        _cycle(app)
        assert _state(app, RIVERSIDE).status == "lapse"
        findings = _state(app, RIVERSIDE).evidence["findings"]
        pinecrest = _state(app, PINECREST).evidence["findings"]
        with transaction(app.sessions) as s:
            for f in findings:
                record_privacy_resolution(
                    s, RIVERSIDE, f["post_id"], f["student_id"], "consent", BY, "form", T0
                )
            for f in pinecrest:
                record_privacy_resolution(
                    s, PINECREST, f["post_id"], f["student_id"], "edited", BY, "", T0
                )
        _cycle(app)
        assert _state(app, RIVERSIDE).status == "pass"
        still = _state(app, PINECREST)
        assert still.status == "lapse"  # marked edited, but the post still names them
        assert all("marked_edited" in f for f in still.evidence["findings"])

        page = world.page(f"1{11:014d}")
        assert page is not None
        for post in page.posts:
            if post.id.endswith(("_s1", "_s2")):
                post.message = "Our team won the final! Well done, everyone."
        _cycle(app)
        assert _state(app, PINECREST).status == "pass"
        with app.sessions() as s:
            resolved = {
                lp.account_id
                for lp in s.scalars(select(Lapse).where(Lapse.check_id == "student_privacy"))
                if lp.status == "resolved"
            }
        assert resolved == {RIVERSIDE, PINECREST}
    app.engine.dispose()


def test_without_the_key_secret_the_check_is_unknown_and_names_the_secret(
    tmp_path: Path,
) -> None:
    with SandboxServer(demo_world(T0)) as sandbox:
        app = demo_app(tmp_path, sandbox.base_url)
        seed_roster(app)
        _cycle(app, {k: v for k, v in DEMO_SECRETS.items() if k != "SOCMON_ROSTER_KEY"})
        state = _state(app, RIVERSIDE)
        assert state.status == "unknown"
        assert "SOCMON_ROSTER_KEY" in state.detail
        assert DEMO_SECRETS["SOCMON_ROSTER_KEY"] not in state.detail
    app.engine.dispose()


def test_with_no_roster_imported_the_check_is_unknown_never_pass(tmp_path: Path) -> None:
    with SandboxServer(demo_world(T0)) as sandbox:
        app = demo_app(tmp_path, sandbox.base_url)
        _cycle(app)
        for account_id in (RIVERSIDE, PINECREST):
            state = _state(app, account_id)
            assert state.status == "unknown"
            assert "no consent roster imported" in state.detail
    app.engine.dispose()
