"""The things a command builds once at its entry point and passes down: no singletons."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from monitor.registry import Account, load_registry
from monitor.settings import Settings, find_config, load_settings
from monitor.store.db import make_engine, session_factory
from monitor.store.faults import redacted, unavailable
from monitor.store.migrate import ensure_current

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class App:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    accounts: list[Account]
    clock: Clock = utcnow

    def account(self, account_id: str) -> Account | None:
        return next((a for a in self.accounts if a.id == account_id), None)

    def reload_registry(self) -> None:
        """Re-read the registry (SIGHUP); on a bad file the old registry stays in force."""
        self.accounts = load_registry(self.settings.registry, self.settings.district.email_domains)


def open_settings(config: Path | None) -> Settings:
    return load_settings(find_config(config))


def open_app(
    config: Path | None,
    *,
    check_db: bool = True,
    writer: bool = True,
    clock: Clock = utcnow,
) -> App:
    """Load config and registry (exit 2 on mistakes), open the database, check its revision."""
    settings = open_settings(config)
    accounts = load_registry(settings.registry, settings.district.email_domains)
    engine = make_engine(
        settings.db_url, source=str(settings.source), writer=writer, timeouts=settings.database
    )
    if check_db:
        try:
            ensure_current(engine)
        except (OperationalError, InterfaceError) as exc:
            raise unavailable(exc, redacted(engine)) from None
    return App(settings, engine, session_factory(engine), accounts, clock)
