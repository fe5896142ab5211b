"""One clock: product code reads the wall clock only at its entry points, never on its own."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("socmon", "monitor", "connectors", "checks", "notifications", "sandbox")

# The App's clock (monitor.context.utcnow) and the stand-alone sandbox's own entry point.
ALLOWED = {"monitor/context.py", "sandbox/__main__.py"}

# Calls that read the calendar clock. time.monotonic() (durations) is fine.
WALL_CLOCK = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "localtime"),
    ("time", "gmtime"),
}


def wall_clock_reads(source: str) -> list[tuple[int, str]]:
    """(line, call) for every `datetime.now()`-like call in `source`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        owner = node.func.value
        name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
        if (name, node.func.attr) in WALL_CLOCK:
            found.append((node.lineno, f"{name}.{node.func.attr}()"))
    return found


def test_the_scanner_finds_a_wall_clock_read() -> None:
    source = "import datetime, time\nx = datetime.datetime.now()\ny = time.time()\n"
    assert wall_clock_reads(source) == [(2, "datetime.now()"), (3, "time.time()")]
    assert wall_clock_reads("import time\nt = time.monotonic()\n") == []


def test_product_code_reads_the_wall_clock_only_through_the_apps_clock() -> None:
    offenders = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative in ALLOWED:
                continue
            for line, call in wall_clock_reads(path.read_text(encoding="utf-8")):
                offenders.append(f"{relative}:{line}: {call}")
    assert offenders == [], "use the App's clock (monitor.context) instead:\n" + "\n".join(
        offenders
    )
