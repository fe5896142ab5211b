"""Benchmark: one check cycle over 1,000 and 10,000 sandbox pages with injected latency.

Run:  .venv/bin/python bench/cycle.py            (1,000 and 10,000 pages, 50 ms per call)
      .venv/bin/python bench/cycle.py --sizes 1000 --sequential 200

Each size runs in its own child process so peak RSS is that size's alone. The sandbox
runs in a separate process too, so it does not share the cycle's CPU time in one GIL.
Printed per size: accounts per second, Graph calls per account (first cycle, which
also loads the page tokens, and steady state), peak RSS, and the speed-up against
checking pages one at a time (concurrency 1) over a sample of pages.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def start_sandbox(pages: int, latency_ms: int) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--pages", str(pages), "--latency-ms", str(latency_ms)],
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


def stats(base_url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{base_url}/_sandbox/stats", timeout=10) as reply:
        return dict(json.load(reply))


def calls(base_url: str) -> int:
    return int(stats(base_url)["total"])


def image_bytes(base_url: str) -> int:
    return int(stats(base_url).get("images", {}).get("bytes", 0))


def one_size(pages: int, latency_ms: int, sequential: int, logo: bool) -> dict[str, float]:
    from monitor.context import App
    from monitor.platforms.facebook import FacebookConfig
    from monitor.registry import load_registry
    from monitor.runner import run_check_cycle
    from monitor.settings import District, Settings
    from monitor.store.db import make_engine, session_factory
    from monitor.store.migrate import upgrade
    from sandbox.world import synthetic_registry

    proc, base_url = start_sandbox(pages, latency_ms)
    try:
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
        env = {"SOCMON_FACEBOOK_TOKEN": "sandbox-system-token"}
        accounts = load_registry(registry, settings.district.email_domains)
        engine = make_engine(settings.db_url)
        upgrade(engine)
        app = App(settings, engine, session_factory(engine), accounts)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        before, bytes_before = calls(base_url), image_bytes(base_url)
        cpu_before = time.process_time()
        started = time.perf_counter()
        first = asyncio.run(run_check_cycle(app, env=env))
        first_seconds = time.perf_counter() - started
        first_cpu = time.process_time() - cpu_before
        first_calls = calls(base_url) - before
        first_bytes = image_bytes(base_url) - bytes_before

        # Steady state: a daemon keeps its page tokens between cycles; a new process
        # (like this second cycle) reloads them, so both figures are shown.
        before, bytes_before = calls(base_url), image_bytes(base_url)
        cpu_before = time.process_time()
        started = time.perf_counter()
        second = asyncio.run(run_check_cycle(app, env=env))
        second_seconds = time.perf_counter() - started
        second_cpu = time.process_time() - cpu_before
        second_calls = calls(base_url) - before
        second_bytes = image_bytes(base_url) - bytes_before
        peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        sample = accounts[:sequential]
        fb = settings.platforms["facebook"].model_copy(update={"concurrency": 1})
        app.settings = settings.model_copy(update={"platforms": {"facebook": fb}})
        started = time.perf_counter()
        asyncio.run(run_check_cycle(app, accounts=sample, env=env))
        sequential_per_page = (time.perf_counter() - started) / len(sample)
        assert first.ok == second.ok == pages, (first, second)
        return {
            "pages": pages,
            "seconds": first_seconds,
            "accounts_per_second": pages / first_seconds,
            "calls_per_account_first": first_calls / pages,
            "calls_per_account_tokens_cached": _page_calls(second_calls, pages),
            "seconds_second_cycle": second_seconds,
            "image_bytes_per_account_first": first_bytes / pages,
            "image_bytes_per_account_second": second_bytes / pages,
            "cpu_ms_per_account_first": 1000 * first_cpu / pages,
            "cpu_ms_per_account_second": 1000 * second_cpu / pages,
            "peak_rss_mb": peak_rss,
            "rss_before_cycles_mb": rss_before,
            # Both steady state: the sample runs after two cycles, with the logo verdicts saved.
            "speedup": (sequential_per_page * pages) / second_seconds,
            "sequential_sample": len(sample),
        }
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _page_calls(total: int, pages: int) -> float:
    # The second cycle runs in a new connector, so it lists /me/accounts again (one call
    # per 100 pages); a long-running daemon keeps the tokens, so subtract those calls.
    return (total - (pages + 99) // 100) / pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--sequential", type=int, default=200, help="pages checked one at a time")
    parser.add_argument(
        "--no-logo", action="store_true", help="without logo detection (no logo file configured)"
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_size(args.one, args.latency_ms, args.sequential, not args.no_logo)))
        return
    print(
        f"socmon cycle benchmark: {args.latency_ms} ms per Graph call, default concurrency 16, "
        f"{os.cpu_count()} CPUs, logo detection {'off' if args.no_logo else 'on'}"
    )
    results = []
    for size in args.sizes:
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                str(size),
                "--latency-ms",
                str(args.latency_ms),
                "--sequential",
                str(args.sequential),
                *(["--no-logo"] if args.no_logo else []),
            ],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        results.append(r)
        print(
            f"{r['pages']:>6} pages: {r['seconds']:6.1f} s, {r['accounts_per_second']:6.1f} accounts/s, "
            f"Graph calls/account {r['calls_per_account_first']:.3f} (first cycle, tokens loaded) "
            f"{r['calls_per_account_tokens_cached']:.3f} (tokens cached), "
            f"peak RSS {r['peak_rss_mb']:.0f} MB, speed-up x{r['speedup']:.1f} vs one at a time (steady state) "
            f"(sampled over {r['sequential_sample']} pages)\n"
            f"        second cycle (nothing changed): {r['seconds_second_cycle']:6.1f} s, "
            f"image bytes/account {r['image_bytes_per_account_first']:,.0f} first, "
            f"{r['image_bytes_per_account_second']:,.0f} second; CPU/account "
            f"{r['cpu_ms_per_account_first']:.1f} ms first, {r['cpu_ms_per_account_second']:.1f} ms second"
        )
    if len(results) > 1:
        growth = results[-1]["peak_rss_mb"] - results[0]["peak_rss_mb"]
        print(
            f"peak RSS growth {results[0]['pages']} -> {results[-1]['pages']} pages: {growth:+.0f} MB"
        )


if __name__ == "__main__":
    main()
