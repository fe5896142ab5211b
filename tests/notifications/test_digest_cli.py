"""`socmon digest` and `socmon review` from the command line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from checks.base import Finding, Status
from monitor.directory import sync_accounts
from monitor.lapses import record_findings
from monitor.registry import load_registry
from monitor.store.db import make_engine, session_factory, transaction
from monitor.store.migrate import upgrade
from monitor.store.models import LapseEvent, OutboxMessage, Review
from socmon.cli import main

REGISTRY = """\
accounts:
  - id: bayview-fb
    platform: facebook
    platform_id: "100000000000002"
    school: Bayview Secondary
    managers: [l.roy@cmsd82.ca]
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A district config and registry on a fresh SQLite database with one open lapse."""
    (tmp_path / "accounts.yaml").write_text(REGISTRY)
    path = tmp_path / "socmon.toml"
    path.write_text(
        'state_dir = "state"\nregistry = "accounts.yaml"\n'
        '[district]\nname = "Coast Mountains SD 82"\nsignature_texts = ["CMSD 82"]\n'
        'email_domains = ["cmsd82.ca"]\ntimezone = "America/Vancouver"\n'
    )
    engine = make_engine(f"sqlite:///{tmp_path / 'state' / 'socmon.db'}")
    upgrade(engine)
    accounts = load_registry(tmp_path / "accounts.yaml", ["cmsd82.ca"])
    now = datetime.now(UTC)
    with transaction(session_factory(engine)) as session:
        sync_accounts(session, accounts, now)
        finding = Finding("two_admins", Status.LAPSE, "bayview-fb: only 1 admin <b>Sam</b>.")
        record_findings(session, "bayview-fb", [finding], now - timedelta(days=1))
    engine.dispose()
    return path


def run(argv: list[str]) -> int:
    try:
        main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def outbox(tmp_path: Path) -> list[OutboxMessage]:
    engine = make_engine(f"sqlite:///{tmp_path / 'state' / 'socmon.db'}")
    try:
        with transaction(session_factory(engine)) as session:
            return list(session.scalars(select(OutboxMessage)))
    finally:
        engine.dispose()


def test_preview_writes_text_and_html_and_records_nothing(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "preview"
    assert run(["digest", "--config", str(config), "--preview", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 2 and names[0].endswith("l.roy@cmsd82.ca.html")
    assert names[1].endswith("l.roy@cmsd82.ca.txt")
    html = (out / names[0]).read_text()
    assert "&lt;b&gt;Sam&lt;/b&gt;" in html
    assert "<b>Sam</b>" in (out / names[1]).read_text()
    assert outbox(tmp_path) == []
    assert "1 digest(s) previewed" in capsys.readouterr().out


def test_send_now_builds_and_writes_eml_files_when_no_smtp_host(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["digest", "--config", str(config), "--send-now"]) == 0
    assert "built=1 sent=1" in capsys.readouterr().out
    assert len(list((tmp_path / "state" / "outbox").glob("daily-*-l.roy@cmsd82.ca.eml"))) == 1
    assert run(["digest", "--config", str(config), "--send-now"]) == 0
    assert "built=0 sent=0" in capsys.readouterr().out
    assert [r.status for r in outbox(tmp_path)] == ["sent"]


def test_review_records_a_review_and_a_timeline_event(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["review", "bayview-fb", "--by", "L.Roy@cmsd82.ca", "--note", "all answered"]
    assert run([*argv, "--config", str(config)]) == 0
    assert "review recorded for bayview-fb by l.roy@cmsd82.ca" in capsys.readouterr().out
    engine = make_engine(f"sqlite:///{tmp_path / 'state' / 'socmon.db'}")
    with transaction(session_factory(engine)) as session:
        review = session.scalars(select(Review)).one()
        assert (review.account_id, review.by, review.note, review.source) == (
            "bayview-fb",
            "l.roy@cmsd82.ca",
            "all answered",
            "cli",
        )
        assert session.scalars(select(LapseEvent.kind).where(LapseEvent.kind == "reviewed")).one()
    engine.dispose()


def test_review_of_an_unknown_account_exits_2_with_one_line(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["review", "nope", "--by", "l.roy@cmsd82.ca", "--config", str(config)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no account with id 'nope'" in err[0]


def test_review_with_a_bad_email_exits_2_with_one_line(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["review", "bayview-fb", "--by", "not-an-email", "--config", str(config)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is not an email address" in err[0]
