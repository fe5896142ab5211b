"""`socmon check --format json`: every verdict of a sandbox cycle, valid against the shipped schema."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
from store_factories import T0, demo_app

from monitor.export import lapse_query, lapse_rows
from monitor.runner import run_check_cycle
from sandbox.demo import DEMO_EXPECTED, demo_world
from sandbox.server import SandboxServer
from socmon.check_json import SCHEMA_PATH, CycleSummary, check_report
from socmon.demo import DEMO_SECRETS, seed_attestations


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(demo_world(T0)) as server:
        yield server


def test_the_json_report_carries_every_verdict_and_validates_against_its_schema(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    app = demo_app(tmp_path, sandbox.base_url)
    accounts = app.accounts
    seed_attestations(app)
    result = asyncio.run(run_check_cycle(app, env=DEMO_SECRETS))
    ids = [a.id for a in accounts]
    with app.sessions() as session:
        lapses = lapse_rows(session, lapse_query(open_only=True, account_ids=ids))
        summary = CycleSummary(
            result.cycle_id,
            result.status,
            result.reason,
            result.accounts,
            result.ok,
            result.failed,
            dict(result.errors_by_kind),
            credential_lapses=0,
        )
        report = check_report(session, summary, ids, lapses)

    text = json.dumps(report)
    jsonschema.validate(json.loads(text), json.loads(SCHEMA_PATH.read_text()))
    assert report["status"] == "complete"
    verdicts = report["verdicts"]
    assert {v["status"] for v in verdicts} == {"pass", "lapse", "unknown"}
    assert {v.get("account") for v in verdicts} >= set(DEMO_EXPECTED)
    assert all("T" in v["checked_at"] for v in verdicts)
    covered = [v for v in verdicts if v["check"] == "comments" and v["coverage"]]
    assert covered and all("comments" in v["coverage"] for v in covered)
    lapsed = {(v.get("account"), v["check"]) for v in verdicts if v["status"] == "lapse"}
    # No consent roster is imported here: student_privacy is unknown, never a planted lapse.
    planted = {
        (a, c) for a, checks in DEMO_EXPECTED.items() for c in checks if c != "student_privacy"
    }
    assert planted <= lapsed
    # District findings (credentials, unregistered pages) are verdicts too, not account lapses.
    on_accounts = [v for v in verdicts if v["status"] == "lapse" and v.get("account") in ids]
    assert len(report["open_lapses"]) == len(on_accounts)
    district = [v for v in verdicts if v["scope"] == "district"]
    assert district and all("account" not in v and v["platform"] for v in district)
    assert {v["label"] for v in district} >= {
        "facebook credential",
        "facebook page 100000000000099",
    }
    assert all(v["scope"] == "account" for v in verdicts if "account" in v)


def test_the_schema_refuses_a_timestamp_without_a_t() -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    stamp = {"$ref": "#/$defs/timestamp", "$defs": schema["$defs"]}
    jsonschema.validate("2026-11-30T13:00:00+00:00", stamp)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate("2026-11-30 13:00:00+00:00", stamp)
