"""Benchmark: build the daily digests for 1,000 managers with 10 open lapses each.

    .venv/bin/python bench/digest.py [--managers 1000] [--lapses 10] [--no-links]

Seeds a fresh SQLite file directly (2 accounts per manager, 5 lapses per account,
a principal per school of 10 accounts, a third of the lapses old enough to escalate),
then times `build_digests` (read, assemble, render, store) and prints the peak RSS.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select

from checks import ALL_CHECKS
from monitor.context import App
from monitor.registry import Account
from monitor.settings import Settings
from monitor.store.db import make_engine, session_factory, transaction
from monitor.store.migrate import upgrade
from monitor.store.models import AccountRow, Lapse, OutboxMessage
from notifications.render import make_environment
from notifications.service import build_digests

NOW = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)  # Monday 08:00 in Vancouver
PER_ACCOUNT = 5


def make_accounts(managers: int, lapses: int) -> list[Account]:
    per_manager = max(1, lapses // PER_ACCOUNT)
    accounts = []
    for m in range(managers):
        for k in range(per_manager):
            n = m * per_manager + k
            school = n // 10
            accounts.append(
                Account.model_validate(
                    {
                        "id": f"acct-{n:05d}",
                        "platform": "facebook",
                        "platform_id": str(100_000_000_000_000 + n),
                        "school": f"School {school:03d} <Elementary>",
                        "managers": [f"manager{m:04d}@cmsd82.ca"],
                        "principals": [
                            {"name": f"P {school}", "email": f"principal{school:03d}@cmsd82.ca"}
                        ],
                    }
                )
            )
    return accounts


def seed(app: App) -> int:
    checks = [spec.id for spec in ALL_CHECKS][:PER_ACCOUNT]
    accounts, lapses = [], []
    for i, account in enumerate(app.accounts):
        accounts.append(
            {
                "id": account.id,
                "platform": account.platform,
                "platform_id": account.platform_id,
                "school": account.school,
                "kind": account.kind,
                "audience": account.audience,
                "managers": list(account.managers),
                "data": {},
                "active": True,
                "registered_at": NOW - timedelta(days=90),
                "updated_at": NOW,
                "fetch_status": "ok",
                "last_error": "",
            }
        )
        for j, check_id in enumerate(checks):
            opened = NOW - timedelta(days=1 + (i + j) % 12)
            lapses.append(
                {
                    "account_id": account.id,
                    "check_id": check_id,
                    "status": "open",
                    "opened_at": opened,
                    "last_seen_at": NOW,
                    "detail": f"{account.id}: the page named <Page {i}> fails {check_id}.",
                    "evidence": {},
                    "muted_by": "",
                    "mute_reason": "",
                }
            )
    with transaction(app.sessions) as session:
        session.execute(insert(AccountRow), accounts)
        session.execute(insert(Lapse), lapses)
    return len(lapses)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--managers", type=int, default=1000)
    parser.add_argument("--lapses", type=int, default=10, help="open lapses per manager")
    parser.add_argument("--no-links", action="store_true", help="no public_url: no signed links")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        web = {} if args.no_links else {"public_url": "https://socmon.cmsd82.ca"}
        os.environ.setdefault("SOCMON_WEB_SECRET", "bench-only-secret")
        settings = Settings.model_validate(
            {
                "district": {
                    "name": "Bench District",
                    "signature_texts": ["Bench District"],
                    "email_domains": ["cmsd82.ca"],
                    "timezone": "America/Vancouver",
                    "it_contact": "it@cmsd82.ca",
                },
                "state_dir": tmp,
                "web": web,
            }
        )
        engine = make_engine(settings.db_url)
        upgrade(engine)
        app = App(
            settings, engine, session_factory(engine), make_accounts(args.managers, args.lapses)
        )
        seeded = seed(app)
        env = make_environment()
        started = time.perf_counter()
        ids = build_digests(app, NOW, env)
        elapsed = time.perf_counter() - started
        with transaction(app.sessions) as session:
            size = session.scalar(select(func.sum(func.length(OutboxMessage.body_html))))
        engine.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"accounts={len(app.accounts)} lapses={seeded} digests_built={len(ids)} "
        f"build_seconds={elapsed:.2f} peak_rss_mb={peak_mb:.0f} html_mb={(size or 0) / 1e6:.1f}"
    )


if __name__ == "__main__":
    main()
