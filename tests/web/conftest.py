"""Web page fixtures: a real SQLite file upgraded by Alembic, seeded through the models."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from monitor.settings import District, Settings, Web
from monitor.store.db import make_engine, session_factory, transaction
from monitor.store.migrate import upgrade
from monitor.store.models import AccountRow, CheckState, Lapse, LapseEvent, User
from socmon.web.app import create_app
from socmon.web.auth import hash_password

NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
SECRET = SecretStr("test-web-secret-key-not-for-production")
PASSWORD = "correct horse battery staple"
BASE_URL = "http://127.0.0.1"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives Debian's Chromium through Playwright")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class WebWorld:
    app: FastAPI
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock
    settings: Settings


def make_settings(**web: object) -> Settings:
    return Settings(
        district=District(
            name="Lakes and Plains School District",
            signature_texts=("Lakes and Plains School District",),
            email_domains=("lpsd.ca",),
            timezone="America/Winnipeg",
        ),
        web=Web(**{"public_url": BASE_URL, **web}),  # type: ignore[arg-type]
    )


def _account(
    aid: str, platform: str, school: str, managers: list[str], **data: object
) -> AccountRow:
    entry = {"id": aid, "platform": platform, "school": school, "managers": managers, **data}
    return AccountRow(
        id=aid,
        platform=platform,
        platform_id=f"{aid}-pid",
        school=school,
        kind="school",
        audience="public",
        managers=managers,
        data=entry,
        active=True,
        registered_at=NOW - timedelta(days=400),
        updated_at=NOW - timedelta(days=1),
        fetch_status="ok",
        last_error="",
    )


def _lapse(
    session: Session, aid: str, check: str, days_ago: int, status: str = "open", **kw: object
) -> Lapse:
    opened = NOW - timedelta(days=days_ago)
    lapse = Lapse(
        account_id=aid,
        check_id=check,
        status=status,
        opened_at=opened,
        last_seen_at=NOW - timedelta(hours=1),
        detail=f"{aid} fails {check}.",
        evidence={"seen": check},
        **{"mute_reason": "", "muted_by": "", **kw},
    )
    session.add(lapse)
    session.flush()
    session.add(
        LapseEvent(
            lapse_id=lapse.id,
            account_id=aid,
            check_id=check,
            at=opened,
            kind="opened",
            detail=lapse.detail,
        )
    )
    if status == "resolved":
        session.add(
            LapseEvent(
                lapse_id=lapse.id,
                account_id=aid,
                check_id=check,
                at=lapse.resolved_at,
                kind="resolved",
            )
        )
    return lapse


def _state(aid: str, check: str, status: str, detail: str, **evidence: object) -> CheckState:
    return CheckState(
        account_id=aid, check_id=check, status=status, detail=detail, evidence=dict(evidence),
        since=NOW - timedelta(days=3), checked_at=NOW - timedelta(hours=1), run_id=None,
    )  # fmt: skip


def seed(sessions: sessionmaker[Session]) -> None:
    """Two schools, three accounts, four users: the scenario every web test reads."""
    with transaction(sessions) as s:
        s.add_all(
            [
                _account("north-fb", "facebook", "North High", ["mia@lpsd.ca"],
                         principals=[{"name": "Pat Principal", "email": "pat@lpsd.ca"}],
                         approval="APR-2024-17", website="https://north.lpsd.ca"),
                _account("north-x", "x", "North High", ["mia@lpsd.ca", "ola@lpsd.ca"]),
                _account("south-ig", "instagram", "South Elementary", ["sam@lpsd.ca"],
                         approval="APR-2025-02"),
            ]
        )  # fmt: skip
        s.flush()
        _lapse(s, "north-fb", "principal_admin", 20)
        _lapse(
            s, "north-fb", "privacy", 40, status="resolved", resolved_at=NOW - timedelta(days=30)
        )
        _lapse(s, "north-x", "comments", 5)
        _lapse(s, "south-ig", "two_admins", 10)
        _lapse(s, "south-ig", "freshness", 2, status="muted", muted_until=date(2026, 12, 31),
               muted_by="comms@lpsd.ca", mute_reason="=cmd|' /C calc'!A0 summer break")  # fmt: skip
        s.add_all(
            [
                _state("north-fb", "principal_admin", "lapse", "Pat Principal is not an admin of north-fb.",
                       admins=["Mia Manager", "Ola Other"]),
                _state("north-fb", "signature", "unknown", "The platform does not expose the banner.",
                       error="GET /v26.0/123?access_token=EAAB-SECRET-TOKEN failed"),
                _state("north-fb", "two_admins", "pass", "north-fb has 2 admins."),
                _state("south-ig", "two_admins", "lapse", "south-ig has 1 admin."),
            ]
        )  # fmt: skip
        for email, role in [("comms@lpsd.ca", "comms"), ("it@lpsd.ca", "it"),
                            ("mia@lpsd.ca", "manager"), ("sam@lpsd.ca", "manager")]:  # fmt: skip
            s.add(User(email=email, role=role, password_hash=hash_password(PASSWORD), created_at=NOW,
                       disabled=False, failed_logins=0))  # fmt: skip


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate and seed once (argon2 hashing is deliberately slow); each test copies the file."""
    path = tmp_path_factory.mktemp("template") / "socmon.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    seed(session_factory(engine))
    engine.dispose()  # the last connection closing checkpoints the WAL into the file
    assert not path.with_name("socmon.db-wal").exists()
    return path


@pytest.fixture
def world(seeded_template: Path, tmp_path: Path) -> Iterator[WebWorld]:
    path = tmp_path / "socmon.db"
    path.write_bytes(seeded_template.read_bytes())
    engine = make_engine(f"sqlite:///{path}", writer=False)
    writer_engine = make_engine(f"sqlite:///{path}")
    clock = Clock(NOW)
    settings = make_settings()
    sessions = session_factory(engine)
    app = create_app(
        settings, sessions, clock, SECRET, writer_sessions=session_factory(writer_engine)
    )
    yield WebWorld(app, writer_engine, session_factory(writer_engine), clock, settings)
    engine.dispose()
    writer_engine.dispose()


@pytest.fixture
def client(world: WebWorld) -> Iterator[TestClient]:
    with TestClient(world.app, base_url=BASE_URL, follow_redirects=False) as c:
        yield c


CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def login(client: TestClient, email: str, password: str = PASSWORD) -> None:
    """Sign in through the real form; asserts it worked."""
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf": token, "next": "/"}
    )
    assert response.status_code == 303, response.text


def signed_in(world: WebWorld, email: str) -> TestClient:
    c = TestClient(world.app, base_url=BASE_URL, follow_redirects=False)
    login(c, email)
    return c
