"""Small builders for findings and registry accounts used by the store and cycle tests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from checks.base import Finding, Status
from monitor.context import App
from monitor.registry import Account, load_registry
from monitor.store.db import make_engine, session_factory
from monitor.store.migrate import upgrade
from socmon.demo import demo_settings

T0 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def finding(check_id: str, status: str, detail: str = "") -> Finding:
    return Finding(check_id, Status(status), detail or f"acct: {check_id} is {status}.", {"n": 1})


def account(account_id: str = "hillcrest-fb", **over: object) -> Account:
    data: dict[str, object] = {
        "id": account_id,
        "platform": "facebook",
        "platform_id": f"p-{account_id}",
        "school": "Hillcrest Elementary",
        "managers": ["j.smith@cmsd82.ca"],
        "principals": [{"name": "Ann Lee", "user_id": "200", "email": "a.lee@cmsd82.ca"}],
        "website": "https://hillcrest.cmsd82.ca",
    }
    data.update(over)
    return Account.model_validate(data)


def demo_app(state_dir: Path, base_url: str) -> App:
    """The demo district's App over a fresh, upgraded SQLite state at T0, reading `base_url`."""
    settings = demo_settings(state_dir, base_url)
    engine = make_engine(settings.db_url)
    upgrade(engine)
    accounts = load_registry(settings.registry, settings.district.email_domains)
    return App(settings, engine, session_factory(engine), accounts, clock=lambda: T0)
