"""Digest commands: `socmon digest` (build and send, or preview) and `socmon review`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from monitor.actions import record_review
from monitor.context import open_app
from monitor.errors import UserError
from monitor.registry import valid_email
from monitor.store.db import transaction
from notifications.outbox import requeue_failed
from notifications.render import make_environment
from notifications.service import preview, send_due_digests

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="Config file (else $SOCMON_CONFIG, else /etc/socmon/socmon.toml)."
    ),
]


def register(app: typer.Typer) -> None:
    app.command()(digest)
    app.command()(review)


def digest(
    config: ConfigOpt = None,
    preview_dir: Annotated[
        Path | None,
        typer.Option(
            "--preview",
            help="Write each recipient's digest as .txt and .html into DIR; send and record nothing.",
            metavar="DIR",
        ),
    ] = None,
    send_now: Annotated[
        bool,
        typer.Option(
            "--send-now", help="Build today's digests now, before the digest hour, and send them."
        ),
    ] = False,
    retry_failed: Annotated[
        bool,
        typer.Option(
            "--retry-failed",
            help="Re-queue the digests that used up their attempts (see 'socmon status'), then send.",
        ),
    ] = False,
) -> None:
    """Build the digests that are due and send what is pending. Exit 1 if any failed for good."""
    if preview_dir is not None and preview_dir.exists() and not preview_dir.is_dir():
        raise UserError.one(str(preview_dir), "--preview", "is a file, not a folder")
    app = open_app(config)
    env = make_environment()
    if retry_failed:
        with transaction(app.sessions) as session:
            requeued = requeue_failed(session, app.clock())
        typer.echo(f"re-queued {requeued} failed digest(s)")
    if preview_dir is not None:
        try:
            written = preview(app, preview_dir, env=env)
        except OSError as exc:
            raise UserError.one(
                str(preview_dir), "", f"cannot write previews: {exc.strerror}"
            ) from None
        for path in written:
            typer.echo(str(path))
        typer.echo(f"{len(written) // 2} digest(s) previewed in {preview_dir}")
        return
    run = send_due_digests(app, env=env, force=send_now)
    where = app.settings.smtp.host or str(app.settings.outbox)
    typer.echo(
        f"digests built={run.built} sent={run.sent} retry_later={run.retried} "
        f"failed={run.failed} via={where}"
    )
    if run.failed:
        raise typer.Exit(1)


def review(
    account: Annotated[str, typer.Argument(help="Account id from the registry.")],
    by: Annotated[str, typer.Option("--by", help="Work email of the person who reviewed.")],
    note: Annotated[str, typer.Option("--note", help="What was done (optional).")] = "",
    config: ConfigOpt = None,
) -> None:
    """Record that a person reviewed the account's comments (counts for the comments check)."""
    try:
        email = valid_email(by)
    except ValueError as exc:
        raise UserError.one("--by", "", str(exc)) from None
    app = open_app(config)
    if app.account(account) is None:
        raise UserError.one(str(app.settings.registry), "", f"no account with id {account!r}")
    at = app.clock()
    with transaction(app.sessions) as session:
        record_review(session, account, email, note, "cli", at)
    typer.echo(f"review recorded for {account} by {email} at {at:%Y-%m-%d %H:%M} UTC")
