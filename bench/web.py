"""Benchmark: the web page's lists, search, chart and CSV with 100,000 lapse events in SQLite.

Seeds 2,000 accounts, 20,000 lapses (about 3,000 still open) and 100,000 lapse events
into a fresh, migrated SQLite file under a temp dir, then times the pages through the
real app (TestClient, signed in as communications staff) and prints p50 and p95 in ms;
then the CSV export of every lapse: time to the first byte, total time, and the peak
Python memory allocated while it streams.

    .venv/bin/python -m bench.web [--events 100000] [--runs 200]
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import insert

from monitor.settings import District, Settings, Web
from monitor.store.db import make_engine, session_factory, transaction
from monitor.store.migrate import upgrade
from monitor.store.models import AccountRow, CheckState, Lapse, LapseEvent, User
from socmon.web.app import create_app
from socmon.web.auth import hash_password

NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
CHECKS = ("comments", "privacy", "principal_admin", "two_admins", "work_email", "signature")
PASSWORD = "benchmark password 123"


def seed(url: str, events: int, rng: random.Random) -> None:
    """Accounts, lapses and events in proportion: 50 events and 10 lapses per account."""
    engine = make_engine(url)
    upgrade(engine)
    n_accounts, n_lapses = max(events // 50, 1), max(events // 5, 1)
    accounts = [
        {
            "id": f"acct-{i:05d}", "platform": rng.choice(["facebook", "instagram", "x", "youtube"]),
            "platform_id": str(100000 + i), "school": f"School {i % 60:02d}", "kind": "school",
            "audience": "public", "managers": [f"mgr{i % 700}@lpsd.ca"],
            "data": {"approval": f"APR-{i}"}, "active": True, "registered_at": NOW,
            "updated_at": NOW, "fetch_status": "ok", "last_error": "",
        }
        for i in range(n_accounts)
    ]  # fmt: skip
    lapses, evs = [], []
    used: set[tuple[str, str]] = set()
    for j in range(n_lapses):
        account = accounts[j % n_accounts]["id"]
        check = CHECKS[(j // n_accounts) % len(CHECKS)]
        opened = NOW - timedelta(days=rng.uniform(0, 365))
        still_open = (account, check) not in used and rng.random() < 0.15
        if still_open:
            used.add((account, check))
        resolved = None if still_open else min(opened + timedelta(days=rng.uniform(1, 30)), NOW)
        lapses.append(
            {
                "id": j + 1, "account_id": account, "check_id": check,
                "status": "open" if still_open else "resolved", "opened_at": opened,
                "last_seen_at": resolved or NOW, "resolved_at": resolved,
                "detail": f"{account} fails {check}.", "evidence": {"n": j},
                "muted_by": "", "mute_reason": "",
            }
        )  # fmt: skip
    for k in range(events):
        lapse = lapses[k % n_lapses]
        at = lapse["opened_at"] + timedelta(hours=k // n_lapses)
        evs.append(
            {
                "lapse_id": lapse["id"], "account_id": lapse["account_id"],
                "check_id": lapse["check_id"], "at": min(at, NOW),
                "kind": "opened" if k < n_lapses else "changed", "actor": "socmon",
                "note": "", "detail": lapse["detail"],
            }
        )  # fmt: skip
    states = [
        {
            "account_id": a["id"], "check_id": c, "status": rng.choice(["pass", "pass", "lapse", "unknown"]),
            "detail": "x.", "evidence": {}, "since": NOW, "checked_at": NOW, "run_id": None,
        }
        for a in accounts
        for c in CHECKS
    ]  # fmt: skip
    sessions = session_factory(engine)
    with transaction(sessions) as s:
        s.execute(insert(AccountRow), accounts)
        s.execute(insert(Lapse), lapses)
        s.execute(insert(LapseEvent), evs)
        s.execute(insert(CheckState), states)
        s.add(
            User(
                email="comms@lpsd.ca",
                role="comms",
                password_hash=hash_password(PASSWORD),
                created_at=NOW,
            )
        )
    engine.dispose()


def timed(client: TestClient, path: str, runs: int) -> list[float]:
    client.get(path)  # warm caches (templates, statements)
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(path)
        out.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        began = time.perf_counter()
        seed(url, args.events, random.Random(7))
        print(f"seeded {args.events} events in {time.perf_counter() - began:.1f}s")
        engine = make_engine(url, writer=False)
        settings = Settings(
            district=District(name="LPSD", signature_texts=("LPSD",), email_domains=("lpsd.ca",)),
            web=Web(public_url="http://127.0.0.1"),
        )
        app = create_app(settings, session_factory(engine), lambda: NOW, SecretStr("b" * 40))
        gc.collect()
        gc.freeze()  # as `socmon serve` does once its app is built
        with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as client:
            page = client.get("/login").text
            csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            client.post(
                "/login", data={"email": "comms@lpsd.ca", "password": PASSWORD, "csrf": csrf}
            )
            for label, path in [
                ("overview", "/"),
                ("search (overview)", "/?q=acct-0004"),
                ("search (directory)", "/directory?q=school+07"),
                ("school page", "/schools/School%2007"),
                ("account page", "/accounts/acct-00042"),
                ("chart (90 days)", "/chart.svg"),
                ("status=all last page", "/?status=all&page=400"),
            ]:
                ms = sorted(timed(client, path, args.runs))
                p50 = statistics.median(ms)
                p95 = ms[int(len(ms) * 0.95) - 1]
                print(f"{label:22s} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   ({args.runs} runs)")
            csv_export(client)
        engine.dispose()


def csv_export(client: TestClient) -> None:
    """Every lapse as CSV: first byte, total, rows, and the peak memory while streaming."""
    tracemalloc.start()
    start = time.perf_counter()
    first = 0.0
    size = rows = 0
    with client.stream("GET", "/lapses.csv?status=all") as response:
        for chunk in response.iter_bytes():
            if not first:
                first = time.perf_counter() - start
            size += len(chunk)
            rows += chunk.count(b"\n")
    total = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"CSV of every lapse     first byte {first * 1000:6.1f} ms   total {total:5.2f} s   "
        f"{rows - 1} rows, {size / 1e6:.1f} MB, peak Python memory {peak / 1e6:.1f} MB"
    )


if __name__ == "__main__":
    main()
