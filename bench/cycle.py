"""Benchmark: a check cycle over 1,000 and 10,000 sandbox Pages with injected latency.

Run:  .venv/bin/python bench/cycle.py                 (1,000 and 10,000 Pages, 50 ms per call)
      .venv/bin/python bench/cycle.py --pages 10000   (one size)
      .venv/bin/python bench/cycle.py --sizes 1000 --sequential 50 --no-throttled

Each size runs in its own child process so peak RSS is that size's alone; the sandbox
runs in a process of its own (bench/harness.py). Printed per size, for the first cycle
(every image new) and the second (nothing changed): wall time, Pages/s, Graph calls per
Page, image bytes per Page, client CPU per Page (and the sandbox's, which shares the two
cores) and the concurrency the cycle settled at; then peak RSS, and the ratio against checking the same Pages one at a time
(concurrency 1 over a sample, extrapolated to every Page). Last, one throttled Page
among 1,000 (bench/harness.cycle_seconds, as bench/coverage.py runs it): extra wall time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (
    ENV,
    FIRST_PAGE,
    ROOT,
    bench_app,
    calls,
    cycle_seconds,
    image_bytes,
    sandbox,
    sandbox_cpu,
)


def one_cycle(app: Any, base_url: str, pages: int) -> dict[str, Any]:
    """One full cycle: its wall time, client CPU, Graph calls, image bytes and concurrency."""
    from monitor.runner import run_check_cycle

    before, bytes_before = calls(base_url), image_bytes(base_url)
    cpu_before, sandbox_before = time.process_time(), sandbox_cpu(base_url)
    started = time.perf_counter()
    result = asyncio.run(run_check_cycle(app, env=ENV))
    seconds = time.perf_counter() - started
    assert result.ok == pages, result
    limit, peak = result.concurrency.get("facebook", (0, 0))
    return {
        "seconds": seconds,
        "cpu_ms": 1000 * (time.process_time() - cpu_before) / pages,
        "sandbox_cpu_ms": 1000 * (sandbox_cpu(base_url) - sandbox_before) / pages,
        "calls": (calls(base_url) - before) / pages,
        "image_bytes": (image_bytes(base_url) - bytes_before) / pages,
        "limit": limit,
        "peak": peak,
    }


def one_size(pages: int, latency_ms: int, sequential: int, logo: bool) -> dict[str, Any]:
    from monitor.runner import run_check_cycle

    with sandbox(pages, latency_ms) as base_url:
        app = bench_app(pages, base_url, logo=logo)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        first = one_cycle(app, base_url, pages)
        # Steady state: a daemon keeps its page tokens between cycles; a new connector
        # (like this second cycle's) reloads them, so both figures are shown.
        second = one_cycle(app, base_url, pages)
        second["calls_tokens_cached"] = _page_calls(second["calls"] * pages, pages)
        peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        # One at a time: concurrency pinned at 1 (no adapting) over a sample, after both
        # cycles so it is steady state too, extrapolated to every Page.
        sample = app.accounts[:sequential]
        fb = app.settings.platforms["facebook"].model_copy(
            update={"concurrency": 1, "max_concurrency": 1}
        )
        app.settings = app.settings.model_copy(update={"platforms": {"facebook": fb}})
        started = time.perf_counter()
        asyncio.run(run_check_cycle(app, accounts=sample, env=ENV))
        one_at_a_time = (time.perf_counter() - started) / len(sample) * pages
        return {
            "pages": pages,
            "first": first,
            "second": second,
            "peak_rss_mb": peak_rss,
            "rss_before_cycles_mb": rss_before,
            "one_at_a_time_seconds": one_at_a_time,
            "sequential_sample": len(sample),
        }


def _page_calls(total: float, pages: int) -> float:
    # The second cycle runs in a new connector, so it lists /me/accounts again (one call
    # per 100 pages); a long-running daemon keeps the tokens, so subtract those calls.
    return (total - (pages + 99) // 100) / pages


def _line(name: str, c: dict[str, Any], pages: int) -> str:
    return (
        f"  {name:<31} {c['seconds']:7.1f} s, {pages / c['seconds']:6.1f} Pages/s, "
        f"Graph calls/Page {c['calls']:.3f}, image bytes/Page {c['image_bytes']:,.0f}, "
        f"CPU/Page {c['cpu_ms']:.1f} ms (sandbox {c['sandbox_cpu_ms']:.1f} ms), concurrency ended at {c['limit']} (peak {c['peak']})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--pages", type=int, help="one size (the same as --sizes N)")
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--sequential", type=int, default=200, help="Pages checked one at a time")
    parser.add_argument(
        "--no-logo", action="store_true", help="without logo detection (no logo file configured)"
    )
    parser.add_argument(
        "--no-throttled", action="store_true", help="skip the one-throttled-Page comparison"
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_size(args.one, args.latency_ms, args.sequential, not args.no_logo)))
        return
    sizes = [args.pages] if args.pages else args.sizes
    print(
        f"socmon cycle benchmark: {args.latency_ms} ms per Graph call, concurrency starts at 16 "
        f"and adapts (max 64), {os.cpu_count()} CPUs, logo detection {'off' if args.no_logo else 'on'}"
    )
    results = []
    for size in sizes:
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
        pages, second = r["pages"], r["second"]
        print(f"{pages:,} Pages:")
        print(_line("first cycle (every image new):", r["first"], pages))
        print(_line("second cycle (nothing changed):", second, pages))
        print(
            f"  Graph calls/Page with the page tokens kept (a daemon): "
            f"{second['calls_tokens_cached']:.3f}; peak RSS {r['peak_rss_mb']:.0f} MB"
        )
        print(
            f"  one Page at a time (concurrency 1, {r['sequential_sample']} Pages timed, "
            f"extrapolated to {pages:,}): {r['one_at_a_time_seconds']:.0f} s, "
            f"x{r['one_at_a_time_seconds'] / second['seconds']:.1f} the second cycle"
        )
    if len(results) > 1:
        growth = results[-1]["peak_rss_mb"] - results[0]["peak_rss_mb"]
        print(
            f"peak RSS growth {results[0]['pages']:,} -> {results[-1]['pages']:,} Pages: {growth:+.0f} MB"
        )
    if not args.no_throttled:
        healthy = cycle_seconds(1000, args.latency_ms, None)
        held = cycle_seconds(1000, args.latency_ms, str(FIRST_PAGE + 7))
        print(
            f"one throttled Page among 1,000 (first cycle, logo off): {held[0]:.1f} s against "
            f"{healthy[0]:.1f} s healthy, {100 * (held[0] / healthy[0] - 1):+.1f} % wall time "
            f"({held[2]} Page unreadable, its checks unknown)"
        )


if __name__ == "__main__":
    main()
