"""A database that is away or busy: which errors are transient, bounded retries, one clear line.

Every engine names itself on its errors (`name_errors`), so whatever command meets a
database that is away can print one line naming it (password redacted) and exit 75
(EX_TEMPFAIL) instead of a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

logger = logging.getLogger(__name__)

T = TypeVar("T")
EX_TEMPFAIL = 75
# SQLite reports a lock, a full disk or a read-only file as OperationalError too: these
# messages are the ones that can clear up on their own while we wait.
SQLITE_TRANSIENT = ("locked", "busy", "disk is full", "disk i/o error")


class DatabaseUnavailable(Exception):
    """The database could not be reached or did not answer in time: retry later (exit 75)."""

    def __init__(self, database: str, what: str) -> None:
        super().__init__(f"database {database} is unavailable: {what}")
        self.database, self.what = database, what


def redacted(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def name_errors(engine: Engine) -> None:
    """Tag the engine's errors with its (redacted) URL, so one line can name the database."""
    name = redacted(engine)

    @event.listens_for(engine, "handle_error")
    def _tag(context: Any) -> None:
        if context.sqlalchemy_exception is not None:
            context.sqlalchemy_exception.socmon_database = name


def is_unavailable(exc: BaseException) -> bool:
    """The database is away, locked, full or read-only: not a bug in socmon or bad data."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError | InterfaceError)


def is_transient(exc: BaseException) -> bool:
    """An error worth waiting out: a lock, a busy server, a dropped connection, a full disk."""
    if not is_unavailable(exc):
        return False
    if _backend(exc) == "sqlite":
        return any(word in describe(exc).lower() for word in SQLITE_TRANSIENT)
    return True


def describe(exc: BaseException) -> str:
    """The driver's own first line (no SQL, no parameters)."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    text = str(orig).strip().splitlines()
    return text[0] if text else type(orig).__name__


def unavailable(exc: BaseException, database: str = "") -> DatabaseUnavailable:
    """The one-line error for `exc`, naming the database when the engine tagged it."""
    return DatabaseUnavailable(getattr(exc, "socmon_database", "") or database, describe(exc))


def _backend(exc: BaseException) -> str:
    module = type(exc.orig).__module__ if isinstance(exc, DBAPIError) else ""
    return "sqlite" if "sqlite" in module else "postgresql"


def delays(first: float, cap: float, retries: int) -> list[float]:
    """Exponential backoff: first, 2*first, ... at most `cap`, `retries` of them."""
    return [min(cap, first * 2**n) for n in range(retries)]


def retry(
    work: Callable[[], T], waits: Iterable[float], sleep: Callable[[float], None] = time.sleep
) -> T:
    """Run `work`; on a transient database error wait and try again, then let it raise."""
    for wait in waits:
        try:
            return work()
        except (OperationalError, InterfaceError, DBAPIError) as exc:
            if not is_transient(exc):
                raise
            logger.warning("database busy; retrying", extra={"error": describe(exc), "wait": wait})
        sleep(wait)
    return work()


async def aretry(
    work: Callable[[], Awaitable[T]],
    waits: Iterable[float],
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """`retry` for a coroutine (the cycle's writer runs its batches in a thread)."""
    for wait in waits:
        try:
            return await work()
        except (OperationalError, InterfaceError, DBAPIError) as exc:
            if not is_transient(exc):
                raise
            logger.warning("database busy; retrying", extra={"error": describe(exc), "wait": wait})
        await sleep(wait)
    return await work()
