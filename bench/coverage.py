"""Benchmark: what complete comment coverage costs, and what a throttled Page costs the others.

Run:  .venv/bin/python bench/coverage.py                (1,000 pages, 50 ms per call)
      .venv/bin/python bench/coverage.py --pages 200 --latency-ms 20

Printed:
- Graph calls per account for a quiet and a busy Page (120 posts, 600 comments on one,
  a 200-reply thread), first read and a second read when nothing changed (incremental);
- a cycle over N synthetic Pages with the sandbox answering after `latency` ms, once with
  every Page healthy and once with one Page's business-use-case usage spent: seconds
  each, and the ratio (the throttled Page must not hold the others).
The sandbox runs in its own process so it does not share the cycle's CPU time.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BASE = 500_000_000_000_000


def start_sandbox(
    pages: int, latency_ms: int, extra: list[str]
) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox",
            "--pages",
            str(pages),
            "--latency-ms",
            str(latency_ms),
            *extra,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("SANDBOX_URL="):
        proc.kill()
        raise SystemExit(f"sandbox did not start: {line!r}")
    return proc, line.removeprefix("SANDBOX_URL=")


async def per_account(base_url: str, quiet: str, busy: str) -> dict[str, int]:
    """Graph calls for one quiet and one busy Page: first read, then a read with nothing changed."""
    from connectors.base import Fact
    from connectors.facebook import FacebookConnector
    from connectors.graph_client import GraphClient
    from connectors.options import ReadOptions

    out: dict[str, int] = {}
    async with httpx.AsyncClient(timeout=30) as http:
        fb = FacebookConnector(
            GraphClient(http, base_url=base_url),
            system_token="sandbox-system-token",
            clock=lambda: datetime.now(UTC),
            read=ReadOptions(max_calls_per_account=500),
        )
        await fb.load_page_tokens()
        for name, page_id in (("quiet", quiet), ("busy", busy)):
            start = fb.graph_calls
            first = await fb.fetch_since(page_id, {})
            out[f"{name}_first"] = fb.graph_calls - start
            start = fb.graph_calls
            await fb.fetch_since(page_id, first.sync)
            out[f"{name}_unchanged"] = fb.graph_calls - start
            cover = first.coverage.get(Fact.COMMENTS)
            out[f"{name}_comments_read"] = cover.read if cover else 0
    return out


def cycle_seconds(pages: int, latency_ms: int, throttled: str | None) -> tuple[float, int, int]:
    """One cycle over the synthetic Pages: (seconds, accounts read, accounts unreadable)."""
    from monitor.context import App
    from monitor.platforms.facebook import FacebookConfig
    from monitor.registry import load_registry
    from monitor.runner import run_check_cycle
    from monitor.settings import District, Settings
    from monitor.store.db import make_engine, session_factory
    from monitor.store.migrate import upgrade
    from sandbox.world import synthetic_registry

    extra = ["--throttled-page", throttled] if throttled else []
    proc, base_url = start_sandbox(pages, latency_ms, extra)
    try:
        tmp = Path(tempfile.mkdtemp(prefix="socmon-bench-"))
        registry = tmp / "accounts.yaml"
        with registry.open("w", encoding="utf-8") as fh:
            fh.write("accounts:\n")
            for entry in synthetic_registry(pages):
                fh.write(yaml.safe_dump([entry]))
        settings = Settings(
            district=District(
                name="Coast Mountains School District 82",
                signature_texts=("Coast Mountains School District 82",),
                email_domains=("cmsd82.ca",),
            ),
            state_dir=tmp,
            registry=registry,
            platforms={
                "facebook": FacebookConfig(base_url=base_url, token_secret="SOCMON_FACEBOOK_TOKEN")
            },
        )
        env = {"SOCMON_FACEBOOK_TOKEN": "sandbox-system-token"}
        accounts = load_registry(registry, settings.district.email_domains)
        engine = make_engine(settings.db_url)
        upgrade(engine)
        app = App(settings, engine, session_factory(engine), accounts)
        started = time.perf_counter()
        result = asyncio.run(run_check_cycle(app, env=env))
        return time.perf_counter() - started, result.ok, result.failed
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, default=50)
    args = parser.parse_args()

    quiet, busy = str(BASE), str(BASE + 1)
    proc, base_url = start_sandbox(4, 0, ["--busy-page", busy])
    try:
        calls = asyncio.run(per_account(base_url, quiet, busy))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print("Graph calls per account (comments read in the 90-day horizon):")
    for name in ("quiet", "busy"):
        print(
            f"  {name:5}  first read {calls[f'{name}_first']:3d} calls "
            f"({calls[f'{name}_comments_read']} comments); "
            f"second read, nothing changed: {calls[f'{name}_unchanged']} calls"
        )
    healthy = cycle_seconds(args.pages, args.latency_ms, None)
    held = cycle_seconds(args.pages, args.latency_ms, str(BASE + 7))
    print(f"Cycle over {args.pages} Pages at {args.latency_ms} ms per call:")
    print(
        f"  every Page healthy:       {healthy[0]:6.1f} s  ({healthy[1]} read, {healthy[2]} unreadable)"
    )
    print(f"  one Page throttled (5 m): {held[0]:6.1f} s  ({held[1]} read, {held[2]} unreadable)")
    print(f"  throttled / healthy:      {held[0] / healthy[0]:6.2f}")


if __name__ == "__main__":
    main()
