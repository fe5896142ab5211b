"""`socmon connect youtube ACCOUNT`: grant one channel's comment access with Google's device flow."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from monitor.context import open_app
from monitor.errors import UserError
from monitor.grant import GrantFailed, connect_youtube

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="Config file (else $SOCMON_CONFIG, else /etc/socmon/socmon.toml)."
    ),
]


def register(app: typer.Typer) -> None:
    app.command("connect")(connect_command)


def connect_command(
    platform: Annotated[str, typer.Argument(help="The platform: youtube.")],
    account: Annotated[str, typer.Argument(help="Account id (see 'socmon accounts list').")],
    config: ConfigOpt = None,
) -> None:
    """Grant socmon read access to one channel's comments (held for review, its own likes)."""
    if platform != "youtube":
        raise UserError.one("socmon connect", platform, "only youtube takes a per-channel grant")
    app = open_app(config, check_db=False, writer=False)
    try:
        path = asyncio.run(connect_youtube(app, account, show=typer.echo))
    except GrantFailed as exc:
        typer.echo(f"error: {exc}; nothing was stored", err=True)
        raise SystemExit(1) from None
    typer.echo(f"Stored the grant for {account} in {path} (readable by this user only).")
