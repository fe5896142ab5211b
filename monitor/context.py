"""The things a command builds once at its entry point and passes down: no singletons."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from connectors.facebook import RolesApart
from monitor.errors import UserError
from monitor.registry import Account, load_configured_registry
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
    # What the process learns about platforms and keeps across cycles (connectors are
    # built anew each cycle): Pages whose roles Graph refuses inside the page call.
    roles_apart: RolesApart = field(default_factory=RolesApart)
    # What an engine step keeps for the next cycle, under its own key (the logo step's
    # verdicts): a saving only, which the step checks before use; the database stays the
    # record. Typed loosely because the engine's types live above this module.
    between_cycles: dict[str, object] = field(default_factory=dict)

    def account(self, account_id: str) -> Account | None:
        return next((a for a in self.accounts if a.id == account_id), None)

    def reload_registry(self) -> None:
        """Re-read the registry (SIGHUP); on a bad file the old registry stays in force."""
        self.accounts = load_configured_registry(self.settings)


def open_settings(config: Path | None) -> Settings:
    return load_settings(find_config(config))


def require_database(settings: Settings) -> None:
    """A SQLite database must exist before a command other than `db upgrade` opens it:
    opening would create an empty file (and its folder) only to refuse it as empty."""
    url = make_url(settings.db_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return
    path = Path(url.database or "")
    if not path.is_file():
        key = "database_url" if settings.database_url else "state_dir"
        raise UserError.one(
            str(settings.source),
            key,
            f"no database at {path}: run 'socmon db upgrade' first (nothing was created)",
        )


def open_app(
    config: Path | None,
    *,
    check_db: bool = True,
    writer: bool = True,
    clock: Clock = utcnow,
) -> App:
    """Load config and registry (exit 2 on mistakes), open the database, check its revision."""
    settings = open_settings(config)
    accounts = load_configured_registry(settings)
    if check_db:
        require_database(settings)
    engine = make_engine(
        settings.db_url, source=str(settings.source), writer=writer, timeouts=settings.database
    )
    if check_db:
        try:
            ensure_current(engine)
        except (OperationalError, InterfaceError) as exc:
            raise unavailable(exc, redacted(engine)) from None
    return App(settings, engine, session_factory(engine), accounts, clock)
