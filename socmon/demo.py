"""`socmon demo`: the whole product against the local sandbox, with no credentials.

It starts the sandbox on a free 127.0.0.1 port, reads the example config and registry
from config/, points the Facebook connector at the sandbox, runs one check cycle into
a SQLite file under the demo state folder and prints what each account must fix.
"""

from __future__ import annotations

import asyncio
import shutil
from datetime import timedelta
from pathlib import Path
from typing import TextIO

from monitor.actions import record_attestation
from monitor.context import App, utcnow
from monitor.cycle import CycleResult
from monitor.errors import UserError
from monitor.export import lapse_query, lapse_rows
from monitor.roster import read_roster, roster_key
from monitor.roster_store import store_roster
from monitor.runner import run_check_cycle
from monitor.settings import Settings, load_settings
from monitor.store.db import make_engine, session_factory, transaction
from monitor.store.migrate import upgrade
from notifications.service import send_due_digests
from sandbox.demo import BUSINESS_ID, DEMO_ATTESTATIONS, SYSTEM_TOKEN, UNATTESTED, demo_world
from sandbox.server import SandboxServer
from sandbox.social import X_TOKEN, YOUTUBE_KEY, YOUTUBE_OAUTH
from sandbox.students import DEMO_ROSTER_KEY
from socmon.report import format_report

EXAMPLES = Path(__file__).resolve().parent.parent / "config"
MARKER = ".socmon-demo"
# The sandbox's own made-up credentials, by secret name: never a real one.
DEMO_SECRETS = {
    "SOCMON_FACEBOOK_TOKEN": SYSTEM_TOKEN,
    "SOCMON_X_TOKEN": X_TOKEN,
    "SOCMON_YOUTUBE_KEY": YOUTUBE_KEY,
    "SOCMON_YOUTUBE_OAUTH": YOUTUBE_OAUTH,
    "SOCMON_ROSTER_KEY": DEMO_ROSTER_KEY,
}
DEMO_ROSTER = EXAMPLES / "students.example.csv"


def prepare_state(state_dir: Path) -> Path:
    """A fresh demo folder each run; refuse to clear a folder that is not a demo's."""
    state_dir = state_dir.resolve()
    if state_dir.exists() and not state_dir.is_dir():
        raise UserError.one(str(state_dir), "--state-dir", "is a file, not a folder")
    if not state_dir.parent.is_dir():
        raise UserError.one(str(state_dir), "--state-dir", "its parent folder does not exist")
    if state_dir.exists() and any(state_dir.iterdir()):
        if not (state_dir / MARKER).exists():
            raise UserError.one(
                str(state_dir),
                "",
                "exists and is not a socmon demo folder; pick another --state-dir",
            )
        shutil.rmtree(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / MARKER).write_text("created by socmon demo; safe to delete\n", encoding="utf-8")
    return state_dir


def demo_settings(state_dir: Path, base_url: str) -> Settings:
    example = EXAMPLES / "socmon.example.toml"
    if not example.is_file():
        raise UserError.one(
            str(example), "", "example config not found (run socmon demo from a source checkout)"
        )
    settings = load_settings(example)
    platforms = {
        name: cfg.model_copy(update={"base_url": base_url})
        for name, cfg in settings.platforms.items()
    }
    if "facebook" in platforms:  # so the demo shows pages the business owns but nobody registered
        platforms["facebook"] = platforms["facebook"].model_copy(
            update={"business_id": BUSINESS_ID}
        )
    return settings.model_copy(
        update={
            "state_dir": state_dir,
            "database_url": "",
            "outbox_dir": None,
            "platforms": platforms,
        }
    )


def seed_attestations(app: App) -> None:
    """The admin attestations people in the demo district have recorded."""
    now = app.clock()
    with transaction(app.sessions) as session:
        for account_id, (by, days_ago) in DEMO_ATTESTATIONS.items():
            for check_id in sorted(UNATTESTED):
                record_attestation(
                    session,
                    account_id,
                    check_id,
                    by,
                    "checked the admin list in the platform's settings",
                    now - timedelta(days=days_ago),
                )


def seed_roster(app: App) -> int:
    """Import the fictional example roster with the demo's own key, as `students import` does."""
    entries = read_roster(DEMO_ROSTER, sorted({a.school for a in app.accounts}))
    key = roster_key(app.settings, DEMO_SECRETS)
    with transaction(app.sessions) as session:
        store_roster(session, entries, key, app.clock())
    return len(entries)


def run_demo(state_dir: Path, *, out: TextIO) -> int:
    state_dir = prepare_state(state_dir)
    clock = utcnow  # the demo's one clock: the sandbox's world and the App read the same
    with SandboxServer(demo_world(clock(), clock)) as sandbox:
        settings = demo_settings(state_dir, sandbox.base_url)
        from monitor.registry import load_configured_registry

        accounts = load_configured_registry(settings)
        engine = make_engine(settings.db_url, source=str(settings.source))
        upgrade(engine)
        app = App(settings, engine, session_factory(engine), accounts, clock)
        out.write(
            f"socmon demo: {len(accounts)} accounts of {settings.district.name}, sandbox at {sandbox.base_url}\n"
        )
        seed_attestations(app)
        students = seed_roster(app)
        out.write(f"consent roster: {students} fictional students imported as keyed hashes\n")
        result = asyncio.run(_cycle(app))
        with app.sessions() as session:
            rows = lapse_rows(session, lapse_query(open_only=True))
            out.write(format_report(session, rows))
        out.write(
            f"\nchecked {result.accounts} accounts in {result.seconds:.1f} s: {result.ok} read, "
            f"{result.failed} could not be read; {len(rows)} open lapses.\n"
        )
        out.write(f"database: {settings.db_url}\n")
        _digests(app, out)
    engine.dispose()
    return 0


async def _cycle(app: App) -> CycleResult:
    return await run_check_cycle(app, env=DEMO_SECRETS)


def _digests(app: App, out: TextIO) -> None:
    """Build today's digests into the outbox folder (no SMTP host: .eml files)."""
    run = send_due_digests(app, app.clock(), force=True)
    files = sorted(app.settings.outbox.glob("*.eml"))
    out.write(f"\ndigests: {run.sent} written to {app.settings.outbox}/\n")
    for path in files:
        out.write(f"  {path.name}\n")
