"""The district configuration (one TOML file), validated once before anything starts.

Every section is a pydantic model with `extra="forbid"`, so a misspelt key is an
error naming the key rather than a silently ignored setting. Secrets are never in
the file: only the *names* under which `monitor.secrets` finds them.
"""

from __future__ import annotations

import os
import tomllib
from datetime import date, time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from checks.base import CheckOptions
from monitor.errors import Problem, UserError, pydantic_problems

DEFAULT_CONFIG_PATH = Path("/etc/socmon/socmon.toml")
SECRET_NAME = r"^[A-Z][A-Z0-9_]*$"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class District(_Section):
    name: str = Field(min_length=1)
    signature_texts: tuple[str, ...] = Field(min_length=1)
    email_domains: tuple[str, ...] = Field(min_length=1)
    timezone: str = "UTC"
    logo_files: tuple[Path, ...] = ()
    # An unchanged banner/picture URL reuses its logo verdict this long before a conditional
    # request asks whether the image changed (CDN URLs change with the image anyway).
    logo_recheck_days: int = Field(default=7, ge=0, le=365)
    it_contact: str = ""
    communications: tuple[str, ...] = ()
    # Weekends never count; these dates don't either (with digest.school_days_only).
    holidays: tuple[date, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("email_domains")
    @classmethod
    def _domains(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for domain in value:
            if "@" in domain or "." not in domain or " " in domain:
                raise ValueError(f"{domain!r} is not a domain name like cmsd82.ca")
        return tuple(d.lower() for d in value)


class Platform(_Section):
    enabled: bool = True
    base_url: str
    api_version: str = ""
    # Names of secrets (environment variable / credential name), never the values.
    token_secret: str = Field("", pattern=r"^$|" + SECRET_NAME)
    refresh_token_secret: str = Field("", pattern=r"^$|" + SECRET_NAME)
    # YouTube: the OAuth client (JSON client_id, client_secret) that per-channel grants use.
    oauth_client_secret: str = Field("", pattern=r"^$|" + SECRET_NAME)
    # YouTube: Google's OAuth host for the device flow (device code and token endpoints).
    oauth_url: str = "https://oauth2.googleapis.com"
    business_id: str = ""
    concurrency: int = Field(16, ge=1, le=256)
    timeout_seconds: float = Field(10.0, gt=0, le=120)
    max_retries: int = Field(3, ge=0, le=10)
    # Page sizes: posts and comments asked for per call (every page is followed to the end).
    max_posts: int = Field(10, ge=1, le=100)
    max_comments: int = Field(50, ge=1, le=500)
    # Requests one account may cost per cycle; past it the account's comments are unknown.
    max_calls_per_account: int = Field(50, ge=2, le=100_000)
    # Posts published or commented on in this many days have every comment read.
    comment_horizon_days: int = Field(90, ge=1, le=3650)
    daily_quota: int = Field(10_000, ge=1)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")


class Schedule(_Section):
    check_every_minutes: int = Field(60, ge=5, le=24 * 60)
    # Checks run only between these hours (district time), inclusive.
    first_hour: int = Field(6, ge=0, le=23)
    last_hour: int = Field(22, ge=0, le=23)
    misfire_grace_seconds: int = Field(900, ge=1)


class Smtp(_Section):
    host: str = ""  # empty: digests are written to the outbox folder instead
    port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "tls", "plain"] = "starttls"
    username: str = ""
    password_secret: str = Field("", pattern=r"^$|" + SECRET_NAME)
    sender: str = "socmon@localhost"
    timeout_seconds: float = Field(30.0, gt=0)


class Digest(_Section):
    hour: time = time(7, 0)
    weekly_weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    escalate_after_days: int = Field(5, ge=1)
    unknown_alert_days: int = Field(2, ge=1)
    school_days_only: bool = True
    max_attempts: int = Field(8, ge=1)


class Web(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    unix_socket: Path | None = None
    # Public address of the web page, used for links in digests; empty: no links.
    public_url: str = ""
    secret_key_secret: str = Field("SOCMON_WEB_SECRET", pattern=SECRET_NAME)
    trusted_user_header: str = ""
    session_hours: int = Field(12, ge=1, le=24 * 30)
    link_valid_days: int = Field(7, ge=1, le=60)


class Metrics(_Section):
    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(9464, ge=0, le=65535)


class Students(_Section):
    # Name of the secret holding the HMAC key the consent roster's name hashes are made with.
    key_secret: str = Field("SOCMON_ROSTER_KEY", pattern=SECRET_NAME)


class Database(_Section):
    """How long socmon waits for its database before calling it unavailable."""

    # Opening a connection (TCP, TLS and authentication), PostgreSQL only.
    connect_timeout_seconds: float = Field(5.0, ge=1, le=300)
    # One statement on PostgreSQL (server side, and the socket's send timeout).
    statement_timeout_seconds: float = Field(30.0, gt=0, le=3600)
    # SQLite: how long a writer waits for another connection's lock.
    lock_timeout_seconds: float = Field(10.0, gt=0, le=300)
    # Transient errors (locked, busy, connection dropped) are retried this often, waiting
    # retry_first_seconds, then twice as long each time, at most retry_max_seconds.
    write_retries: int = Field(4, ge=0, le=20)
    retry_first_seconds: float = Field(0.5, ge=0, le=60)
    retry_max_seconds: float = Field(60.0, gt=0, le=3600)
    # `socmon run` waits up to this long for a database that is away at start, then exits 75
    # (the unit's TimeoutStartSec=60s must cover it plus a connect timeout per attempt).
    start_wait_seconds: float = Field(30.0, ge=0, le=86_400)


class LeaseSettings(_Section):
    # A crashed or frozen `socmon run` is replaced after this long; renewed three times as often.
    seconds: int = Field(90, ge=3, le=3600)


class StatusAlerts(_Section):
    # `socmon status` exits 1 when more than this share of the last cycle's accounts was unreadable.
    unreadable_alert_percent: float = Field(10.0, ge=0, le=100)


class Settings(_Section):
    district: District
    state_dir: Path = Path("/var/lib/socmon")
    registry: Path = Path("accounts.yaml")
    database_url: str = ""
    outbox_dir: Path | None = None
    schedule: Schedule = Schedule()
    platforms: dict[Literal["facebook", "instagram", "x", "youtube"], Platform] = {}
    checks: CheckOptions = CheckOptions()
    smtp: Smtp = Smtp()
    digest: Digest = Digest()
    web: Web = Web()
    metrics: Metrics = Metrics()
    students: Students = Students()
    database: Database = Database()
    lease: LeaseSettings = LeaseSettings()
    status: StatusAlerts = StatusAlerts()
    # Where the file was read from; registry and logo paths are relative to it.
    source: Path = Path("socmon.toml")

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.state_dir / 'socmon.db'}"

    @property
    def outbox(self) -> Path:
        return self.outbox_dir or self.state_dir / "outbox"

    @property
    def check_options(self) -> CheckOptions:
        """Thresholds from [checks] with the district facts the checks need."""
        return self.checks.model_copy(
            update={
                "district_name": self.district.name,
                "signature_texts": self.district.signature_texts,
                "email_domains": self.district.email_domains,
            }
        )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.district.timezone)


def find_config(explicit: Path | None) -> Path:
    """`--config`, else `$SOCMON_CONFIG`, else /etc/socmon/socmon.toml."""
    if explicit is not None:
        return explicit
    env = os.environ.get("SOCMON_CONFIG")
    return Path(env) if env else DEFAULT_CONFIG_PATH


def load_settings(path: Path) -> Settings:
    """Read and validate the config; raise UserError naming the file and key on any problem."""
    src = str(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError.one(
            src, "", "config file not found (use --config or $SOCMON_CONFIG)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError.one(src, "", f"cannot read config: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError.one(src, "", f"not valid TOML: {exc}") from None
    if "source" in raw:
        raise UserError.one(src, "source", "unknown key")
    try:
        settings = Settings.model_validate({**raw, "source": path})
    except ValidationError as exc:
        raise UserError(pydantic_problems(src, exc)) from None
    return _resolve_paths(settings, path.parent)


def _resolve_paths(settings: Settings, base: Path) -> Settings:
    def rel(p: Path) -> Path:
        return p if p.is_absolute() else (base / p)

    district = settings.district.model_copy(
        update={"logo_files": tuple(rel(p) for p in settings.district.logo_files)}
    )
    problems = [
        Problem(str(settings.source), "district.logo_files", f"{p} does not exist")
        for p in district.logo_files
        if not p.is_file()
    ]
    if settings.schedule.first_hour > settings.schedule.last_hour:
        problems.append(
            Problem(str(settings.source), "schedule.first_hour", "is later than schedule.last_hour")
        )
    if problems:
        raise UserError(problems)
    return settings.model_copy(
        update={
            "district": district,
            "registry": rel(settings.registry),
            "state_dir": rel(settings.state_dir),
            "outbox_dir": rel(settings.outbox_dir) if settings.outbox_dir else None,
        }
    )
