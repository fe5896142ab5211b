"""Engines and sessions. SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE for writers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from monitor.errors import UserError
from monitor.store.faults import name_errors

if TYPE_CHECKING:
    from monitor.settings import Database

BUSY_TIMEOUT_MS = 10_000


def make_engine(
    url: str,
    *,
    source: str = "database_url",
    writer: bool = True,
    timeouts: Database | None = None,
) -> Engine:
    """Build the one engine of a process; a bad URL is a user error naming the key."""
    engine = _make_engine(url, source, writer, timeouts)
    name_errors(engine)
    return engine


def _make_engine(url: str, source: str, writer: bool, timeouts: Database | None) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UserError.one(source, "database_url", f"not a database URL: {url!r}") from None
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, source, writer, _sqlite_lock_ms(timeouts))
    if parsed.get_backend_name() != "postgresql":
        raise UserError.one(
            source, "database_url", "only sqlite:/// and postgresql:// are supported"
        )
    return create_engine(
        parsed,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=10,
        connect_args=_pg_timeouts(timeouts),
    )


def _pg_timeouts(timeouts: Database | None) -> dict[str, Any]:
    """libpq options so a server that is away, or accepts and never answers, fails in time."""
    if timeouts is None:
        return {}
    statement_ms = int(timeouts.statement_timeout_seconds * 1000)
    return {
        # Covers TCP connect, TLS and authentication (a socket that accepts and stays silent).
        "connect_timeout": max(2, round(timeouts.connect_timeout_seconds)),
        "options": f"-c statement_timeout={statement_ms}",
        # A connection whose peer vanished mid-statement: the kernel gives up sending after this.
        "tcp_user_timeout": statement_ms,
        "keepalives": 1,
        "keepalives_idle": max(1, round(timeouts.connect_timeout_seconds)),
        "keepalives_interval": 1,
        "keepalives_count": 3,
    }


def _sqlite_lock_ms(timeouts: Database | None) -> int:
    """How long a SQLite writer waits for another connection's lock before erroring."""
    if timeouts is None:
        return BUSY_TIMEOUT_MS
    return int(timeouts.lock_timeout_seconds * 1000)


def _sqlite_engine(url: Any, source: str, writer: bool, busy_ms: int) -> Engine:
    if url.database and url.database != ":memory:":
        path = Path(url.database)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError.one(
                source, "database_url", f"cannot create {path.parent}: {exc}"
            ) from None
    engine = create_engine(url, connect_args={"timeout": busy_ms / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin event, not the driver, decide when a transaction starts.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={busy_ms}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the write lock up front, so two workers queue instead of deadlocking.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session
