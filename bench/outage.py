"""Benchmark: what a platform outage costs a cycle (time and Graph calls), with the defaults.

Run:  .venv/bin/python bench/outage.py            (1,000 pages, 50 ms per call)
      .venv/bin/python bench/outage.py --pages 200

Two outages against the sandbox (in this process, on its own thread): the whole Graph API
answering 503 (so /me/accounts fails too), and every page read answering 503 while the
page list still works. Default platform settings: concurrency 16, 3 retries with backoff.
Printed per outage: seconds for the cycle, Graph calls made, and how the accounts ended.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ENV = {"SOCMON_FACEBOOK_TOKEN": "sandbox-system-token"}


def one_outage(pages: int, latency_ms: int, whole_api: bool) -> dict[str, object]:
    from sqlalchemy import select

    from monitor.context import App, utcnow
    from monitor.platforms.facebook import FacebookConfig
    from monitor.registry import Account
    from monitor.runner import run_check_cycle
    from monitor.settings import District, Settings
    from monitor.store.db import make_engine, session_factory
    from monitor.store.migrate import upgrade
    from monitor.store.models import CheckRun
    from sandbox.server import SandboxServer
    from sandbox.world import World, synthetic_registry

    world = World.synthetic(pages, utcnow())
    world.latency_ms = latency_ms
    entries = list(synthetic_registry(pages))
    if whole_api:
        world.fail_next.extend([(503, None)] * (pages * 10))
    else:
        for entry in entries:
            world.fail_next_for[str(entry["platform_id"])] = [(503, None)] * 10
    with SandboxServer(world) as server:
        tmp = Path(tempfile.mkdtemp(prefix="socmon-outage-"))
        settings = Settings(
            district=District(
                name="Coast Mountains School District 82",
                signature_texts=("Coast Mountains School District 82",),
                email_domains=("cmsd82.ca",),
            ),
            state_dir=tmp,
            platforms={
                "facebook": FacebookConfig(
                    base_url=server.base_url, token_secret="SOCMON_FACEBOOK_TOKEN"
                )
            },
        )
        engine = make_engine(settings.db_url)
        upgrade(engine)
        accounts = [Account.model_validate(e) for e in entries]
        app = App(settings, engine, session_factory(engine), accounts)
        started = time.perf_counter()
        result = asyncio.run(run_check_cycle(app, env=ENV))
        seconds = time.perf_counter() - started
        with app.sessions() as session:
            kinds = Counter(r.error_kind or "ok" for r in session.scalars(select(CheckRun)))
        calls = dict(world.calls)
    return {
        "outage": "whole Graph API" if whole_api else "every page read",
        "pages": pages,
        "seconds": round(seconds, 1),
        "me_accounts_calls": calls.get("me_accounts", 0),
        "page_calls": calls.get("page", 0),
        "accounts": dict(kinds),
        "status": result.status,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, default=50)
    args = parser.parse_args()
    for whole_api in (True, False):
        print(one_outage(args.pages, args.latency_ms, whole_api))


if __name__ == "__main__":
    main()
