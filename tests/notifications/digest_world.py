"""A small district on a real database, a controllable clock and a real SMTP server (fixtures)."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, select

from checks.base import Finding, Status
from checks.district import DistrictFinding, Subject
from monitor.context import App
from monitor.directory import sync_accounts
from monitor.lapses import record_district, record_findings
from monitor.registry import Account
from monitor.settings import Settings
from monitor.store.db import session_factory, transaction
from monitor.store.models import AccountRow, Lapse

# Monday 23 November 2026, 08:00 in Vancouver: one hour after the digest hour.
MONDAY = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
HOSTILE = "<script>alert(1)</script>"


def district_settings(tmp_path: Path, **overrides: Any) -> Settings:
    raw: dict[str, Any] = {
        "district": {
            "name": "Coast Mountains SD 82",
            "signature_texts": ["Coast Mountains School District 82"],
            "email_domains": ["cmsd82.ca"],
            "timezone": "America/Vancouver",
            "it_contact": "it@cmsd82.ca",
            "communications": ["comms@cmsd82.ca"],
        },
        "state_dir": str(tmp_path / "state"),
        "smtp": {"sender": "socmon@cmsd82.ca"},
        # The weekly summary is due on Sundays unless a test says otherwise.
        "digest": {"weekly_weekday": "sun"},
    }
    for key, value in overrides.items():
        raw.setdefault(key, {})
        raw[key] = {**raw[key], **value} if isinstance(value, dict) else value
    return Settings.model_validate(raw)


def account(account_id: str, school: str, managers: list[str], **extra: Any) -> Account:
    return Account.model_validate(
        {
            "id": account_id,
            "platform": "facebook",
            "platform_id": f"1000{len(account_id)}",
            "school": school,
            "managers": managers,
            **extra,
        }
    )


ACCOUNTS = [
    account(
        "hillcrest-fb",
        "Hillcrest Elementary",
        ["r.gill@cmsd82.ca"],
        principals=[{"name": "Ann Lee", "email": "a.lee@cmsd82.ca"}],
    ),
    account("hillcrest-band-ig", "Hillcrest Elementary", ["r.gill@cmsd82.ca", "b.cho@cmsd82.ca"]),
    account("bayview-fb", "Bayview Secondary", ["r.gill@cmsd82.ca"]),
]


class Clock:
    """The injected clock: tests move it, nothing sleeps."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class District:
    """The app under test and helpers to put lapses into its store."""

    app: App
    clock: Clock
    tmp_path: Path
    engine: Engine

    def new_process(self) -> App:
        """A fresh App on the same database, as a restarted or second process would have."""
        return App(
            self.app.settings,
            self.engine,
            session_factory(self.engine),
            list(self.app.accounts),
            self.clock,
        )

    def lapse(self, account_id: str, check_id: str, detail: str, at: datetime) -> int:
        with transaction(self.app.sessions) as session:
            finding = Finding(check_id, Status.LAPSE, detail)
            changes = record_findings(session, account_id, [finding], at)
        if changes.opened:
            return changes.opened[0]
        return self.lapse_id(account_id, check_id)

    def district_finding(
        self, subject: Subject, check_id: str, status: Status, detail: str, at: datetime
    ) -> None:
        """A district-scope check's finding on a subject no account stands for."""
        with transaction(self.app.sessions) as session:
            found = DistrictFinding(subject, Finding(check_id, status, detail))
            record_district(session, [found], at)

    def lapse_id(self, account_id: str, check_id: str) -> int:
        with transaction(self.app.sessions) as session:
            return session.scalars(
                select(Lapse.id).where(Lapse.account_id == account_id, Lapse.check_id == check_id)
            ).one()

    def resolve(self, account_id: str, check_id: str, at: datetime) -> None:
        with transaction(self.app.sessions) as session:
            record_findings(session, account_id, [Finding(check_id, Status.PASS, "ok.")], at)

    def fetch_failing(self, account_id: str, since: datetime, error: str) -> None:
        with transaction(self.app.sessions) as session:
            row = session.get(AccountRow, account_id)
            assert row is not None
            row.fetch_status, row.failing_since, row.last_error = "failed", since, error


@pytest.fixture
def make_district(tmp_path: Path, engine: Engine) -> Callable[..., District]:
    """Build the district with settings overrides; every account starts as read fine."""

    def make(accounts: list[Account] | None = None, **overrides: Any) -> District:
        settings = district_settings(tmp_path, **overrides)
        clock = Clock(MONDAY)
        app = App(settings, engine, session_factory(engine), list(accounts or ACCOUNTS), clock)
        with transaction(app.sessions) as session:
            sync_accounts(session, app.accounts, datetime(2026, 9, 1, tzinfo=UTC))
            session.flush()
            for row in session.scalars(select(AccountRow)):
                row.fetch_status = "ok"
        return District(app, clock, tmp_path, engine)

    return make


@dataclass
class Mailbox:
    """What the SMTP server received, and how it should answer next."""

    messages: list[tuple[list[str], bytes]] = field(default_factory=list)
    data_replies: list[str] = field(default_factory=list)  # answers to DATA, consumed in order
    refuse: dict[str, str] = field(default_factory=dict)  # recipient -> RCPT reply
    port: int = 0


class RecordingHandler:
    """An aiosmtpd handler that can refuse a recipient or answer DATA with a scripted reply."""

    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.box.refuse:
            return self.box.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.box.data_replies:
            return self.box.data_replies.pop(0)
        self.box.messages.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[Mailbox]:
    """A real SMTP server on a free 127.0.0.1 port."""
    box = Mailbox(port=free_port())
    controller = Controller(RecordingHandler(box), hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()
