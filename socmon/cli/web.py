"""`socmon serve` (the web page) and `socmon users` (who may sign in to it)."""

from __future__ import annotations

import gc
import logging
import os
import socket
from pathlib import Path
from typing import Annotated

import typer
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from monitor.context import open_app, open_settings
from monitor.errors import UserError
from monitor.fieldtypes import valid_host
from monitor.registry import valid_email
from monitor.secrets import SecretMissing, resolve_secret
from monitor.settings import Settings
from monitor.store.db import make_engine, session_factory, transaction
from monitor.store.models import LinkRevocation, User
from socmon.web import sessions as web_sessions
from socmon.web.auth import MIN_PASSWORD_LENGTH, ROLES, hash_password

logger = logging.getLogger(__name__)

MIN_SECRET_LENGTH = 32
PASSWORD_ENV = "SOCMON_NEW_PASSWORD"
SD_LISTEN_FDS_START = 3  # sd_listen_fds(3): the first passed descriptor

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="Config file (else $SOCMON_CONFIG, else /etc/socmon/socmon.toml)."
    ),
]
users_app = typer.Typer(help="People who may sign in to the web page.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.add_typer(users_app, name="users")


def web_secret(settings: Settings) -> SecretStr:
    """The key that signs sessions and digest links; a clear UserError when missing or short."""
    name = settings.web.secret_key_secret
    try:
        secret = resolve_secret(name)
    except SecretMissing as exc:
        raise UserError.one(str(settings.source), "web.secret_key_secret", str(exc)) from None
    if len(secret.get_secret_value()) < MIN_SECRET_LENGTH:
        raise UserError.one(
            str(settings.source),
            "web.secret_key_secret",
            f"secret {name} is shorter than {MIN_SECRET_LENGTH} characters "
            "(make one with: openssl rand -hex 32)",
        )
    return secret


def oidc_client_secret(settings: Settings) -> SecretStr | None:
    """The OpenID Connect client secret when `[web.oidc]` is set; a UserError when missing."""
    oidc = settings.web.oidc
    if oidc is None:
        return None
    try:
        return resolve_secret(oidc.client_secret_secret)
    except SecretMissing as exc:
        raise UserError.one(
            str(settings.source), "web.oidc.client_secret_secret", str(exc)
        ) from None


def serve(
    config: ConfigOpt = None,
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default: web.host in the config).")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(help="Port (default: web.port in the config).", min=0, max=65535),
    ] = None,
    unix_socket: Annotated[
        Path | None, typer.Option("--unix-socket", help="Listen on this unix socket instead.")
    ] = None,
) -> None:
    """Serve the lapse history web page (127.0.0.1:8080 by default, or a unix socket)."""
    import uvicorn

    from socmon.web.app import create_app

    settings = open_settings(config)
    if host is not None:
        try:
            host = valid_host(host)
        except ValueError as exc:
            raise UserError.one("--host", "", str(exc)) from None
    secret = web_secret(settings)  # before anything starts: a missing key is a config error
    oidc_secret = oidc_client_secret(settings)
    app = open_app(config, writer=False)
    writer = make_engine(settings.db_url, source=str(settings.source), writer=True)
    web = create_app(
        app.settings,
        app.sessions,
        app.clock,
        secret,
        writer_sessions=session_factory(writer),
        oidc_secret=oidc_secret,
    )
    # Leave the long-lived objects (modules, mappers, the app) out of the collector's full
    # scans: measured with bench/web.py, those scans doubled the overview's p95.
    gc.collect()
    gc.freeze()
    sock = inherited_socket()
    uds = unix_socket or settings.web.unix_socket
    where = f"unix:{uds}" if uds else f"{host or settings.web.host}:{port or settings.web.port}"
    if sock is not None:
        where = f"the socket systemd passed ({sock.getsockname()!r})"
    logger.info("web page listening on %s", where)
    server = uvicorn.Server(
        uvicorn.Config(
            web,
            host=host or settings.web.host,
            port=settings.web.port if port is None else port,
            uds=str(uds) if uds else None,
            # uvicorn's access log would write digest-link tokens; the app logs redacted paths.
            access_log=False,
            server_header=False,
            log_config=None,
            # Nothing here depends on the client's address or scheme: ignore forwarded headers.
            proxy_headers=False,
        )
    )
    server.run(sockets=[sock] if sock is not None else None)


def inherited_socket() -> socket.socket | None:
    """The listening socket systemd opened for this process (socket activation), if any."""
    if os.environ.get("LISTEN_PID") != str(os.getpid()):
        return None
    try:
        count = int(os.environ.get("LISTEN_FDS", "0"))
    except ValueError:
        count = 0
    if count == 0:
        return None
    if count != 1:
        raise UserError.one(
            "LISTEN_FDS", "", f"socmon serve takes one listening socket, not {count}"
        )
    for name in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
        os.environ.pop(name, None)
    return socket.socket(fileno=SD_LISTEN_FDS_START)


def _read_password(password_file: Path | None) -> str:
    if password_file is not None:
        try:
            lines = password_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError.one(
                str(password_file), "", f"cannot read password file: {exc}"
            ) from None
        password = lines[0] if lines else ""
    elif os.environ.get(PASSWORD_ENV):
        password = os.environ[PASSWORD_ENV]
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError.one("password", "", f"must have at least {MIN_PASSWORD_LENGTH} characters")
    return password


@users_app.command("add")
def users_add(
    email: Annotated[str, typer.Argument(help="The person's work email.")],
    role: Annotated[str, typer.Option(help="comms, manager or it.")],
    config: ConfigOpt = None,
    password_file: Annotated[
        Path | None,
        typer.Option(
            help=f"Read the password from this file (else ${PASSWORD_ENV}, else a prompt)."
        ),
    ] = None,
    update: Annotated[
        bool, typer.Option("--update", help="Replace the role and password of an existing user.")
    ] = False,
) -> None:
    """Add a person who may sign in (the password is never an argument)."""
    if role not in ROLES:
        raise UserError.one("--role", "", f"must be one of {', '.join(ROLES)}")
    try:
        email = valid_email(email)
    except ValueError as exc:
        raise UserError.one("EMAIL", "", str(exc)) from None
    password_hash = hash_password(_read_password(password_file))
    app = open_app(config)
    try:
        with transaction(app.sessions) as s:
            user = s.scalars(select(User).where(User.email == email)).first()
            if user is not None and not update:
                raise UserError.one("EMAIL", "", f"{email} already exists (use --update)")
            if user is None:
                s.add(
                    User(
                        email=email, role=role, password_hash=password_hash, created_at=app.clock()
                    )
                )
            else:
                user.role, user.password_hash, user.disabled = role, password_hash, False
                user.failed_logins, user.locked_until = 0, None
    except IntegrityError:
        raise UserError.one("EMAIL", "", f"{email} already exists (use --update)") from None
    typer.echo(f"{'updated' if user else 'added'} {email} ({role})")


@users_app.command("list")
def users_list(config: ConfigOpt = None) -> None:
    """Who may sign in, with their role and whether they are disabled."""
    app = open_app(config, writer=False)
    with app.sessions() as s:
        users = s.scalars(select(User).order_by(User.email)).all()
    for user in users:
        typer.echo(f"{user.email}\t{user.role}\t{'disabled' if user.disabled else 'active'}")


def _email(email: str) -> str:
    try:
        return valid_email(email)
    except ValueError as exc:
        raise UserError.one("EMAIL", email, str(exc)) from None


@users_app.command("disable")
def users_disable(email: str, config: ConfigOpt = None) -> None:
    """Stop a person from signing in and end their open sessions now."""
    email = _email(email)
    app = open_app(config)
    now = app.clock()
    with transaction(app.sessions) as s:
        user = s.scalars(select(User).where(User.email == email)).first()
        if user is None:
            raise UserError.one("EMAIL", email, "no such user")
        user.disabled = True
        ended = web_sessions.end_all(s, email, now, "user disabled")
    typer.echo(f"disabled {email}; ended {ended} session(s)")


@users_app.command("sessions")
def users_sessions(
    email: str,
    config: ConfigOpt = None,
    revoke: Annotated[bool, typer.Option("--revoke", help="End every one of them now.")] = False,
) -> None:
    """List a person's open web sessions (digest-link sessions too); --revoke ends them."""
    email = _email(email)
    app = open_app(config, writer=revoke)
    now = app.clock()
    tz = app.settings.tz
    if revoke:
        with transaction(app.sessions) as s:
            ended = web_sessions.end_all(s, email, now, "revoked")
        typer.echo(f"ended {ended} session(s) of {email}")
        return
    with app.sessions() as s:
        rows = web_sessions.open_sessions(s, email, now)
    if not rows:
        typer.echo(f"{email} has no open session")
    for row in rows:
        typer.echo(
            f"{row.kind}\tstarted {row.created_at.astimezone(tz):%Y-%m-%d %H:%M %Z}"
            f"\tlast seen {row.last_seen_at.astimezone(tz):%Y-%m-%d %H:%M %Z}"
            f"\tends by {row.expires_at.astimezone(tz):%Y-%m-%d %H:%M %Z}"
        )


@users_app.command("revoke-links")
def users_revoke_links(
    email: str,
    config: ConfigOpt = None,
    by: Annotated[str, typer.Option(help="Who revokes (recorded).")] = "",
) -> None:
    """Withdraw every digest link sent to EMAIL so far, and end the sessions they opened."""
    email = _email(email)
    app = open_app(config)
    now = app.clock()
    with transaction(app.sessions) as s:
        row = s.get(LinkRevocation, email)
        if row is None:
            s.add(LinkRevocation(email=email, revoked_at=now, revoked_by=by[:200]))
        else:
            row.revoked_at, row.revoked_by = now, by[:200]
        ended = web_sessions.end_all(s, email, now, "links revoked", kind="link")
    typer.echo(f"links sent to {email} until now no longer open; ended {ended} link session(s)")
