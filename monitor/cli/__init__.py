"""`socmon`: one command line tool; each group of subcommands lives in its own module.

A user's mistake (UserError) prints one line per problem on stderr and exits 2,
never a traceback; a database that is away prints one line naming it and exits 75.
"""

from __future__ import annotations

import logging
import os
import sys

import typer
from sqlalchemy.exc import InterfaceError, OperationalError

from monitor import logfmt
from monitor.errors import UserError
from monitor.store.faults import EX_TEMPFAIL, DatabaseUnavailable, unavailable

app = typer.Typer(
    name="socmon",
    help="Checks a school district's social-media accounts against its policy.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


_registered: list[bool] = []


def _register() -> None:
    # Explicit list: adding a command group = one module + one line here.
    if _registered:  # main() may run more than once in a process (tests)
        return
    _registered.append(True)
    from monitor.cli import attest, core, digest, grant, service, students, web

    for module in (core, digest, service, web, attest, students, grant):
        module.register(app)


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    _register()
    # Interactive commands print their own report; only problems go to the log by default.
    # The daemon raises this to INFO; SOCMON_LOG_LEVEL overrides both.
    # One key=value line per event (journald-friendly), secrets redacted: monitor.logfmt.
    logfmt.configure(os.environ.get("SOCMON_LOG_LEVEL", "WARNING").upper(), sys.stderr)
    # httpx logs every request URL at INFO: too chatty for a cycle of thousands of calls.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        app(args=argv, standalone_mode=True)
    except UserError as exc:
        for problem in exc.problems:
            typer.echo(f"error: {problem}", err=True)
        raise SystemExit(2) from None
    except DatabaseUnavailable as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(EX_TEMPFAIL) from None
    except (OperationalError, InterfaceError) as exc:
        # Met mid-command (the engine tagged it with the database's redacted URL).
        typer.echo(f"error: {unavailable(exc, 'database')}", err=True)
        raise SystemExit(EX_TEMPFAIL) from None
