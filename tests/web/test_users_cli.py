"""`socmon users sessions|disable|revoke-links`: IT ends sessions and withdraws links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.store.db import make_engine, session_factory, transaction
from monitor.store.models import LinkRevocation, User, WebSession
from tests.web.test_cli_and_unit import _run, config

__all__ = ["config"]  # the fixture, shared with the other CLI tests

FAR = datetime(2100, 1, 1, tzinfo=UTC)  # these sessions are live whatever today's date is


def _db(config: Path) -> sessionmaker[Session]:
    return session_factory(make_engine(f"sqlite:///{config.parent / 'socmon.db'}"))


def _seed(config: Path) -> None:
    then = datetime(2026, 1, 1, tzinfo=UTC)
    with transaction(_db(config)) as s:
        s.add(User(email="mia@lpsd.ca", role="manager", password_hash="x", created_at=then))
        for sid, kind in (("a", "password"), ("b", "link"), ("c", "password")):
            email = "ola@lpsd.ca" if sid == "c" else "mia@lpsd.ca"
            s.add(WebSession(id=sid, email=email, kind=kind, link_accounts=None, created_at=then,
                             last_seen_at=then, expires_at=FAR, ended_at=None, ended_reason=""))  # fmt: skip


def _open(config: Path) -> list[str]:
    with _db(config)() as s:
        return sorted(
            r.id for r in s.scalars(select(WebSession).where(WebSession.ended_at.is_(None)))
        )


def test_users_sessions_lists_then_revokes_one_persons_sessions(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(config)
    assert _run("users", "sessions", "mia@lpsd.ca", "--config", str(config)) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in listed] == ["password", "link"]
    assert _run("users", "sessions", "mia@lpsd.ca", "--revoke", "--config", str(config)) == 0
    assert "ended 2 session(s) of mia@lpsd.ca" in capsys.readouterr().out
    assert _open(config) == ["c"]


def test_users_disable_ends_the_persons_sessions(config: Path) -> None:
    _seed(config)
    assert _run("users", "disable", "mia@lpsd.ca", "--config", str(config)) == 0
    assert _open(config) == ["c"]


def test_users_revoke_links_records_the_time_and_ends_only_link_sessions(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(config)
    assert (
        _run("users", "revoke-links", "Mia@lpsd.ca", "--by", "it@lpsd.ca", "--config", str(config))
        == 0
    )
    assert _open(config) == ["a", "c"]
    with _db(config)() as s:
        row = s.get(LinkRevocation, "mia@lpsd.ca")
    assert row is not None and row.revoked_by == "it@lpsd.ca"
    assert abs(row.revoked_at - datetime.now(UTC)) < timedelta(minutes=5)


def test_a_malformed_email_is_one_line_and_exit_2(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run("users", "sessions", "not-an-email", "--config", str(config)) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
