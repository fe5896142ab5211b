"""`socmon attest` records an attestation; the next cycle passes the attested check, later it lapses."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from store_factories import T0

from monitor.actions import record_attestation
from monitor.context import App, open_app
from monitor.runner import run_check_cycle
from monitor.store.db import transaction
from monitor.store.models import Attestation, CheckState, Lapse, LapseEvent
from socmon.cli import main

CONFIG = """
state_dir = "state"
registry = "accounts.yaml"

[district]
name = "Coast Mountains School District 82"
signature_texts = ["Coast Mountains School District 82"]
email_domains = ["cmsd82.ca"]
"""
REGISTRY = """
accounts:
  - id: patel-grade5-group
    platform: facebook_group
    platform_id: "777000000000001"
    school: Hillcrest Elementary
    kind: class
    audience: private
    managers: [n.patel@cmsd82.ca]
  - id: hillcrest-x
    platform: x
    platform_id: hillcrestcmsd82
    school: Hillcrest Elementary
    managers: [a.lee@cmsd82.ca]
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "accounts.yaml").write_text(REGISTRY, encoding="utf-8")
    path = tmp_path / "socmon.toml"
    path.write_text(CONFIG, encoding="utf-8")
    run(["db", "upgrade", "--config", str(path)])
    return path


def run(argv: list[str]) -> int:
    try:
        main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_it_records_an_attestation_and_an_attested_event(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["attest", "patel-grade5-group", "privacy", "--by", "N.Patel@cmsd82.ca"]
    code = run([*argv, "--note", "group set to private", "--config", str(config)])
    assert code == 0
    assert "privacy on patel-grade5-group attested by n.patel@cmsd82.ca" in capsys.readouterr().out
    app = open_app(config)
    with app.sessions() as session:
        rows = session.scalars(select(Attestation)).all()
        events = session.scalars(select(LapseEvent)).all()
    assert [(r.account_id, r.check_id, r.by, r.note) for r in rows] == [
        ("patel-grade5-group", "privacy", "n.patel@cmsd82.ca", "group set to private")
    ]
    assert [(e.kind, e.check_id, e.actor) for e in events] == [
        ("attested", "privacy", "n.patel@cmsd82.ca")
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-such-account", "privacy", "--by", "n.patel@cmsd82.ca"], "no such account"),
        (["patel-grade5-group", "nope", "--by", "n.patel@cmsd82.ca"], "unknown check"),
        (["patel-grade5-group", "work_email", "--by", "n.patel@cmsd82.ca"], "not possible"),
        (["hillcrest-x", "privacy", "--by", "a.lee@cmsd82.ca"], "is api on x"),
        (["patel-grade5-group", "privacy", "--by", "not-an-email"], "is not an email address"),
        (["patel-grade5-group", "privacy", "--by", "n.patel@gmail.com"], "district email"),
    ],
)
def test_a_mistake_exits_2_with_one_line_and_records_nothing(
    config: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert run(["attest", *args, "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and message in err
    assert "Traceback" not in err
    with open_app(config).sessions() as session:
        assert session.scalars(select(Attestation)).all() == []


def _cycle(config: Path, at: datetime) -> dict[tuple[str, str], CheckState]:
    """One cycle of the group account with the clock at `at`."""
    opened = open_app(config)
    app = App(opened.settings, opened.engine, opened.sessions, opened.accounts, clock=lambda: at)
    asyncio.run(run_check_cycle(app, accounts=[app.accounts[0]], env={}))
    with app.sessions() as session:
        return {(s.account_id, s.check_id): s for s in session.scalars(select(CheckState))}


def test_a_group_is_checked_without_a_connector_and_attestation_decides(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    states = _cycle(config, T0)
    privacy = states[("patel-grade5-group", "privacy")]
    assert privacy.status == "lapse" and "attestation overdue" in privacy.detail
    assert states[("patel-grade5-group", "work_email")].status == "unknown"

    app = open_app(config)
    with transaction(app.sessions) as session:
        record_attestation(session, "patel-grade5-group", "privacy", "n.patel@cmsd82.ca", "", T0)
    states = _cycle(config, T0 + timedelta(hours=1))
    privacy = states[("patel-grade5-group", "privacy")]
    assert privacy.status == "pass"
    assert privacy.detail == "patel-grade5-group: attested by n.patel@cmsd82.ca on 2026-11-23."

    states = _cycle(config, T0 + timedelta(days=31))
    assert states[("patel-grade5-group", "privacy")].status == "lapse"
    with app.sessions() as session:
        lapses = session.scalars(select(Lapse).where(Lapse.check_id == "privacy")).all()
    assert [(lp.status, lp.account_id) for lp in lapses] == [
        ("resolved", "patel-grade5-group"),
        ("open", "patel-grade5-group"),
    ]
