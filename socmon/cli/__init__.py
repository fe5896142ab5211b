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
from monitor.errors import UserError, escape_controls
from monitor.store.faults import EX_TEMPFAIL, DatabaseUnavailable, unavailable

try:  # typer 0.2x vendors click; earlier releases use click itself
    from typer._click import exceptions as click
except ImportError:  # pragma: no cover
    from click import exceptions as click  # type: ignore[no-redef]

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
    from socmon.cli import attest, core, digest, grant, service, students, web

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
    # Files socmon creates (database, outbox, quota state, exports) are the service's own:
    # 0600 in 0700 folders even outside systemd's UMask=0077.
    umask = os.umask(0o077)
    try:
        code = app(args=argv, standalone_mode=False, prog_name="socmon")
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
    except click.NoArgsIsHelpError as exc:
        exc.show()  # the help text, as before: a bare `socmon accounts` asks for it
        raise SystemExit(exc.exit_code) from None
    except click.UsageError as exc:
        typer.echo(f"error: {usage_problem(exc)}", err=True)
        raise SystemExit(exc.exit_code) from None
    except click.ClickException as exc:
        typer.echo(f"error: {escape_controls(exc.format_message())}", err=True)
        raise SystemExit(exc.exit_code) from None
    except typer.Abort:
        typer.echo("aborted.", err=True)
        raise SystemExit(130) from None
    finally:
        os.umask(umask)
    raise SystemExit(code if isinstance(code, int) else 0)


def usage_problem(exc: click.UsageError) -> str:
    """click's usage error as one line: the command, then what is wrong with which argument."""
    command = exc.ctx.command_path if exc.ctx is not None else "socmon"
    message = " ".join(exc.format_message().split())  # click's messages may span lines
    return escape_controls(f"{command}: {message} (see '{command} --help')")
