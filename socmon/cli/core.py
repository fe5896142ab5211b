"""Core commands: check, accounts, lapses, checks, db, demo."""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import asdict
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from checks import ALL_CHECKS
from monitor import csv_import
from monitor.context import App, open_app, open_settings
from monitor.cycle import CycleResult
from monitor.errors import UserError
from monitor.export import LAPSE_COLUMNS, LapseRow, lapse_query, lapse_rows, to_csv
from monitor.inputs import MB
from monitor.lapses import LapseNotFound, mute_lapse
from monitor.outputs import check_writable, write_atomically
from monitor.registry import Account, load_configured_registry, valid_email
from monitor.store.db import make_engine, transaction
from monitor.store.migrate import current_revision, head_revision, upgrade
from socmon.check_json import CycleSummary, check_report
from socmon.report import check_exit_code, format_report, open_credential_lapses, summary_line

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="Config file (else $SOCMON_CONFIG, else /etc/socmon/socmon.toml)."
    ),
]


# Database ids are signed 64-bit integers: a larger number is a usage error, not an overflow.
MAX_ID = 2**63 - 1
MAX_REASON = 2000


class Format(StrEnum):
    text = "text"
    json = "json"
    csv = "csv"


accounts_app = typer.Typer(
    help="The accounts registry: list, validate, import.", no_args_is_help=True
)
lapses_app = typer.Typer(help="Lapses: list, export, mute.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command()(check)
    app.command("checks")(list_checks)
    app.command()(demo)
    app.add_typer(accounts_app, name="accounts")
    app.add_typer(lapses_app, name="lapses")
    app.add_typer(db_app, name="db")


def check(
    config: ConfigOpt = None,
    account: Annotated[
        list[str] | None, typer.Option("--account", "-a", help="Only this account id (repeatable).")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="text or json.")] = Format.text,
) -> None:
    """Run one check cycle now.

    Exit 0 when every account was read and nothing is open; 1 when lapses or credential
    lapses are open, an account could not be read or the cycle is incomplete; 75 when the
    database is unavailable.
    """
    if fmt is Format.csv:
        raise UserError.one("--format", "", "check reports as text or json")
    app = open_app(config)
    selected = app.accounts
    if account:
        unknown = sorted(set(account) - {a.id for a in app.accounts})
        if unknown:
            raise UserError.one(
                str(app.settings.registry), "", f"no account with id {', '.join(unknown)}"
            )
        selected = [a for a in app.accounts if a.id in set(account)]
    result = asyncio.run(_cycle(app, selected))
    ids = [a.id for a in selected]
    with app.sessions() as session:
        rows = lapse_rows(session, lapse_query(open_only=True, account_ids=ids))
    raise typer.Exit(_report(app, result, rows, fmt, ids))


async def _cycle(app: App, accounts: list[Account]) -> CycleResult:
    from monitor.progress import progress_bar
    from monitor.runner import run_check_cycle

    with progress_bar(len(accounts)) as advance:
        return await run_check_cycle(app, accounts=accounts, progress=advance)


def _report(
    app: App, result: CycleResult, rows: list[LapseRow], fmt: Format, ids: list[str]
) -> int:
    still_open = [r for r in rows if r.status == "open"]
    with app.sessions() as session:
        credentials = open_credential_lapses(session)
    if fmt is Format.json:
        # Every verdict, shaped like socmon/schemas/check-report.schema.json.
        summary = CycleSummary(
            result.cycle_id,
            result.status,
            result.reason,
            result.accounts,
            result.ok,
            result.failed,
            dict(result.errors_by_kind),
            credentials,
        )
        with app.sessions() as session:
            payload = check_report(session, summary, ids, rows)
        typer.echo(json.dumps(payload, indent=2))
    else:
        with app.sessions() as session:
            typer.echo(format_report(session, rows), nl=False)
        typer.echo(summary_line(result, len(still_open), credentials))
    return check_exit_code(result, len(still_open), credentials)


def list_checks(
    config: ConfigOpt = None,
    platforms: Annotated[
        bool, typer.Option("--platforms", help="Show per platform: api, attested or not possible.")
    ] = False,
) -> None:
    """List every check with the policy clauses it enforces."""
    if platforms:
        from checks.capabilities import format_table

        typer.echo(format_table(notes=True), nl=False)
        return
    for spec in ALL_CHECKS:
        typer.echo(f"{spec.id:<18} {spec.title}")
        typer.echo(f"{'':<18} enforces: {spec.clause_text}")
        typer.echo(f"{'':<18} to fix:   {spec.remediation}")


@accounts_app.command("list")
def accounts_list(
    config: ConfigOpt = None, fmt: Annotated[Format, typer.Option("--format")] = Format.text
) -> None:
    """List the registered accounts."""
    settings = open_settings(config)
    accounts = load_configured_registry(settings)
    if fmt is Format.json:
        typer.echo(json.dumps([a.model_dump(mode="json") for a in accounts], indent=2))
        return
    if fmt is Format.csv:
        typer.echo(csv_import.to_csv(accounts), nl=False)
        return
    for a in accounts:
        typer.echo(
            f"{a.id:<32} {a.platform:<10} {a.school:<30} {a.audience:<8} {', '.join(a.managers)}"
        )


@accounts_app.command("validate")
def accounts_validate(config: ConfigOpt = None) -> None:
    """Validate the whole config and the registry; exit 2 with one line per problem."""
    settings = open_settings(config)
    accounts = load_configured_registry(settings)
    sections = ", ".join(sorted(type(settings).model_fields.keys() - {"source"}))
    typer.echo(f"{settings.source}: every key checked ({sections}), no problems.")
    typer.echo(f"{settings.registry}: {len(accounts)} accounts, no problems.")


@accounts_app.command("import")
def accounts_import(
    csv_file: Annotated[Path, typer.Argument(help="Spreadsheet export (CSV, UTF-8).")],
    config: ConfigOpt = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Registry YAML to write (default: stdout)."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing output file.")] = False,
) -> None:
    """Turn a spreadsheet export into the accounts registry."""
    settings = open_settings(config)
    if output is not None:
        check_writable(output, force=force)  # before reading: a refusal costs nothing
    accounts = csv_import.read_csv(
        csv_file, settings.district.email_domains, max_bytes=settings.registry_max_mb * MB
    )
    text = csv_import.to_yaml(accounts)
    if output is None:
        typer.echo(text, nl=False)
    else:
        write_atomically(output, text, force=force)
        typer.echo(f"wrote {len(accounts)} accounts to {output}", err=True)


@lapses_app.command("list")
def lapses_list(
    config: ConfigOpt = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only open and muted lapses.")] = False,
    school: Annotated[str | None, typer.Option(help="Only this school.")] = None,
    account: Annotated[str | None, typer.Option(help="Only this account id.")] = None,
    check_id: Annotated[str | None, typer.Option("--check", help="Only this check id.")] = None,
    fmt: Annotated[Format, typer.Option("--format")] = Format.text,
) -> None:
    """List lapses, newest history included unless --open."""
    app = open_app(config, writer=False)
    if check_id and check_id not in {c.id for c in ALL_CHECKS}:
        raise UserError.one("--check", "", f"unknown check {check_id!r} (see 'socmon checks')")
    with app.sessions() as session:
        rows = lapse_rows(
            session,
            lapse_query(open_only=open_only, school=school, account_id=account, check_id=check_id),
        )
    if fmt is Format.csv:
        typer.echo(to_csv(rows, LAPSE_COLUMNS), nl=False)
    elif fmt is Format.json:
        typer.echo(json.dumps([asdict(r) for r in rows], default=str, indent=2))
    else:
        for r in rows:
            typer.echo(
                f"#{r.id:<5} {r.status:<8} {r.account_id:<28} {r.check_id:<18} since {r.opened_at:%Y-%m-%d}  {r.detail}"
            )
        typer.echo(f"{len(rows)} lapses.")


@lapses_app.command("export")
def lapses_export(
    output: Annotated[Path, typer.Argument(help="CSV file to write.")],
    config: ConfigOpt = None,
    force: Annotated[bool, typer.Option(help="Replace an existing file.")] = False,
) -> None:
    """Export the whole lapse history as CSV (the record CMSD82 2045 C.4.e asks for)."""
    check_writable(output, force=force)
    app = open_app(config, writer=False)
    with app.sessions() as session:
        rows = lapse_rows(session, lapse_query())
    write_atomically(output, to_csv(rows, LAPSE_COLUMNS), force=force)
    typer.echo(f"wrote {len(rows)} lapses to {output}", err=True)


@lapses_app.command("mute")
def lapses_mute(
    lapse_id: Annotated[
        int,
        typer.Argument(help="Lapse number (see 'socmon lapses list').", min=1, max=MAX_ID),
    ],
    reason: Annotated[str, typer.Option(help="Why it is acceptable for now.")],
    by: Annotated[str, typer.Option(help="Your work email.")],
    until: Annotated[str, typer.Option(help="Last day of the mute, YYYY-MM-DD.")],
    config: ConfigOpt = None,
) -> None:
    """Mute a lapse until a date; it stays recorded and comes back when the mute ends."""
    try:
        by = valid_email(by)
    except ValueError as exc:
        raise UserError.one("--by", "", str(exc)) from None
    try:
        end = date.fromisoformat(until)
    except ValueError:
        raise UserError.one(
            "--until", "", f"{until[:40]!r} is not a date like 2026-12-31"
        ) from None
    if not reason.strip():
        raise UserError.one("--reason", "", "a reason is required")
    if len(reason) > MAX_REASON:
        raise UserError.one("--reason", "", f"is longer than {MAX_REASON} characters")
    app = open_app(config)
    now = app.clock()
    if end < now.astimezone(app.settings.tz).date():
        raise UserError.one("--until", "", f"{until} is in the past")
    try:
        with transaction(app.sessions) as session:
            mute_lapse(session, lapse_id, reason=reason.strip(), by=by, until=end, at=now)
    except LapseNotFound as exc:
        raise UserError.one("lapse", str(lapse_id), str(exc)) from None
    typer.echo(f"lapse {lapse_id} muted until {end} by {by}.")


@db_app.command("upgrade")
def db_upgrade(config: ConfigOpt = None) -> None:
    """Create or upgrade the database schema to this version of socmon."""
    settings = open_settings(config)
    engine = make_engine(settings.db_url, source=str(settings.source), timeouts=settings.database)
    before = current_revision(engine)
    upgrade(engine)
    typer.echo(f"database at revision {head_revision()} (was {before or 'empty'}).")


def demo(
    state_dir: Annotated[
        Path, typer.Option(help="Where the demo keeps its database and outbox.")
    ] = Path("demo-state"),
) -> None:
    """Run the whole product against the local sandbox: no credentials needed."""
    from socmon.demo import run_demo

    raise typer.Exit(run_demo(state_dir, out=sys.stdout))
