"""What the cycle benchmarks share: a sandbox in its own process, a synthetic registry, an App.

The sandbox runs in a separate process so it does not share the cycle's CPU time in one
GIL. `bench/cycle.py` and `bench/coverage.py` build their cycles here, so both measure the
same set-up.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from monitor.context import App

ENV = {"SOCMON_FACEBOOK_TOKEN": "sandbox-system-token"}
# The synthetic Pages' ids (sandbox.world): the 8th is the one a throttled run holds.
FIRST_PAGE = 500_000_000_000_000


@contextmanager
def sandbox(pages: int, latency_ms: int, extra: Sequence[str] = ()) -> Iterator[str]:
    """`python -m sandbox` serving `pages` synthetic Pages; yields its base URL."""
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
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.startswith("SANDBOX_URL="):
            raise SystemExit(f"sandbox did not start: {line!r}")
        yield line.removeprefix("SANDBOX_URL=")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def stats(base_url: str) -> dict[str, Any]:
    """The sandbox's counters: Graph calls in total, image requests and bytes."""
    with urllib.request.urlopen(f"{base_url}/_sandbox/stats", timeout=10) as reply:
        return dict(json.load(reply))


def calls(base_url: str) -> int:
    return int(stats(base_url)["total"])


def image_bytes(base_url: str) -> int:
    return int(stats(base_url).get("images", {}).get("bytes", 0))


def sandbox_cpu(base_url: str) -> float:
    """CPU seconds the sandbox process has used: it runs on the same two cores."""
    return float(stats(base_url).get("cpu_seconds", 0.0))


def bench_app(pages: int, base_url: str, *, logo: bool) -> App:
    """An App over a fresh state folder with `pages` synthetic Facebook Pages in its registry."""
    from monitor.context import App
    from monitor.platforms.facebook import FacebookConfig
    from monitor.registry import load_registry
    from monitor.settings import District, Settings
    from monitor.store.db import make_engine, session_factory
    from monitor.store.migrate import upgrade
    from sandbox.world import synthetic_registry

    tmp = Path(tempfile.mkdtemp(prefix="socmon-bench-"))
    registry = tmp / "accounts.yaml"
    # Written one entry at a time: the benchmark must not hold the whole registry twice.
    with registry.open("w", encoding="utf-8") as fh:
        fh.write("accounts:\n")
        for entry in synthetic_registry(pages):
            fh.write(yaml.safe_dump([entry]))
    settings = Settings(
        district=District(
            name="Coast Mountains School District 82",
            signature_texts=("Coast Mountains School District 82",),
            email_domains=("cmsd82.ca",),
            # Logo detection as shipped: every banner and picture looked at.
            logo_files=(ROOT / "config" / "district-logo.png",) if logo else (),
        ),
        state_dir=tmp,
        registry=registry,
        platforms={
            "facebook": FacebookConfig(base_url=base_url, token_secret="SOCMON_FACEBOOK_TOKEN")
        },
    )
    accounts = load_registry(registry, settings.district.email_domains)
    engine = make_engine(settings.db_url)
    upgrade(engine)
    return App(settings, engine, session_factory(engine), accounts)


def cycle_seconds(
    pages: int, latency_ms: int, throttled: str | None, *, logo: bool = False
) -> tuple[float, int, int]:
    """One first cycle over fresh Pages: (seconds, accounts read, accounts unreadable).

    `throttled`: the id of a Page whose business usage the sandbox reports spent.
    """
    import asyncio

    from monitor.runner import run_check_cycle

    extra = ["--throttled-page", throttled] if throttled else []
    with sandbox(pages, latency_ms, extra) as base_url:
        app = bench_app(pages, base_url, logo=logo)
        started = time.perf_counter()
        result = asyncio.run(run_check_cycle(app, env=ENV))
        return time.perf_counter() - started, result.ok, result.failed
