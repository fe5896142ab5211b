"""`socmon attest`: a person confirms a fact no API exposes (Facebook Groups, admins elsewhere)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from monitor.attest import attest
from monitor.context import open_app
from monitor.store.db import transaction

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="Config file (else $SOCMON_CONFIG, else /etc/socmon/socmon.toml)."
    ),
]


def register(app: typer.Typer) -> None:
    app.command("attest")(attest_command)


def attest_command(
    account: Annotated[str, typer.Argument(help="Account id (see 'socmon accounts list').")],
    check: Annotated[str, typer.Argument(help="Check id (see 'socmon checks --platforms').")],
    by: Annotated[str, typer.Option(help="Your work email.")],
    note: Annotated[str, typer.Option(help="What you looked at.")] = "",
    config: ConfigOpt = None,
) -> None:
    """Record that you confirmed CHECK on ACCOUNT; it holds for checks.attest_every_days."""
    app = open_app(config)
    now = app.clock()
    with transaction(app.sessions) as session:
        row = attest(
            session,
            app.accounts,
            account,
            check,
            by=by,
            note=note,
            at=now,
            email_domains=app.settings.district.email_domains,
        )
        who, when = row.by, row.at
    days = app.settings.checks.attest_every_days
    local = when.astimezone(app.settings.tz)
    typer.echo(
        f"{check} on {account} attested by {who} on {local:%Y-%m-%d}; "
        f"it holds for {days} days (next cycle passes it)."
    )
