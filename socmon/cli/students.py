"""`socmon students`: import the consent roster, show what is stored, answer a finding."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from monitor.actions import MAX_NOTE
from monitor.context import open_app
from monitor.errors import UserError
from monitor.registry import in_domains, valid_email
from monitor.roster import read_roster, roster_key
from monitor.roster_store import (
    RESOLUTIONS,
    latest_import,
    record_privacy_resolution,
    store_roster,
)
from monitor.secrets import SecretMissing
from monitor.store.db import transaction
from monitor.store.models import CheckState

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="Config file (else $SOCMON_CONFIG, else /etc/socmon/socmon.toml)."
    ),
]

students_app = typer.Typer(
    help="The students' consent roster (kept as keyed hashes, never names).",
    no_args_is_help=True,
)


class Answer(StrEnum):
    consent = "consent"
    edited = "edited"


def register(app: typer.Typer) -> None:
    app.add_typer(students_app, name="students")


@students_app.command("import")
def students_import(
    file: Annotated[Path, typer.Argument(help="The student information system's CSV export.")],
    config: ConfigOpt = None,
) -> None:
    """Replace the roster with FILE.csv (student_id, first_name, last_name, preferred_name,
    school, consent); names are stored only as keyed hashes."""
    app = open_app(config)
    schools = sorted({a.school for a in app.accounts})
    entries = read_roster(file, schools)
    try:
        key = roster_key(app.settings)
    except SecretMissing as exc:
        raise UserError.one(str(app.settings.source), "students.key_secret", str(exc)) from None
    with transaction(app.sessions) as session:
        consents = store_roster(session, entries, key, app.clock())
    counts = ", ".join(f"{consents[c]} {c}" for c in ("none", "first_name", "full"))
    typer.echo(
        f"imported {len(entries)} students of {len({e.school for e in entries})} schools "
        f"(consent: {counts}); names are kept only as keyed hashes."
    )


@students_app.command("status")
def students_status(config: ConfigOpt = None) -> None:
    """When the roster was last imported and how many students it holds."""
    app = open_app(config)
    with app.sessions() as session:
        row = latest_import(session)
    if row is None:
        typer.echo("no consent roster imported: student_privacy is unknown on every account.")
        raise typer.Exit(1)
    when = row.imported_at.astimezone(app.settings.tz)
    typer.echo(f"consent roster: {row.students} students, imported {when:%Y-%m-%d %H:%M}.")


@students_app.command("resolve")
def students_resolve(
    account: Annotated[str, typer.Argument(help="Account id of the finding.")],
    post: Annotated[str, typer.Argument(help="Post id shown in the finding.")],
    student: Annotated[str, typer.Argument(help="Student id shown in the finding.")],
    answer: Annotated[
        Answer, typer.Option(help="consent: consent on file; edited: the post was edited.")
    ],
    by: Annotated[str, typer.Option(help="Your work email.")],
    note: Annotated[str, typer.Option(help="What you did or which form is on file.")] = "",
    config: ConfigOpt = None,
) -> None:
    """Record consent on file or a post edited for one student_privacy finding."""
    app = open_app(config)
    if app.account(account) is None:
        raise UserError.one("ACCOUNT", account, "no such account in the registry")
    try:
        email = valid_email(by)
    except ValueError as exc:
        raise UserError.one("--by", by, str(exc)) from None
    if not in_domains(email, app.settings.district.email_domains):
        raise UserError.one("--by", email, "must be a district email address")
    if len(note) > MAX_NOTE:
        raise UserError.one("--note", "", f"is longer than {MAX_NOTE} characters")
    with app.sessions() as session:
        state = session.get(CheckState, (account, "student_privacy"))
        shown = state.evidence.get("findings", []) if state is not None else []
    pairs = {(str(f.get("post_id")), str(f.get("student_id"))) for f in shown}
    if (post, student) not in pairs:
        raise UserError.one(
            "POST STUDENT",
            f"{post} {student}",
            f"is not a current student_privacy finding on {account} (see its lapse)",
        )
    with transaction(app.sessions) as session:
        record_privacy_resolution(
            session, account, post, student, answer.value, email, note, app.clock()
        )
    typer.echo(
        f"{RESOLUTIONS[answer.value]} recorded for post {post}, student {student} on {account} "
        f"by {email}; the next cycle re-reads the post."
    )
