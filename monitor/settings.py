"""The district configuration (one TOML file), validated once before anything starts.

Every section is a pydantic model with `extra="forbid"`, so a misspelt key is an
error naming the key rather than a silently ignored setting. Secrets are never in
the file: only the *names* under which `monitor.secrets` finds them.
"""

from __future__ import annotations

import os
import re
import tomllib
from datetime import date, time
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from checks.base import CheckOptions
from monitor.errors import Problem, UserError, pydantic_problems
from monitor.fieldtypes import (
    LIST_MAX,
    Domain,
    Email,
    Host,
    Ident,
    Name,
    OptionalEmail,
    OptionalHost,
    OptionalSecretName,
    SafePath,
    SecretName,
    Text,
    in_domains,
)
from monitor.inputs import CONFIG_MAX_BYTES, read_text
from monitor.platforms import PlatformConfig, validate_tables
from monitor.settings_web import Web

DEFAULT_CONFIG_PATH = Path("/etc/socmon/socmon.toml")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class District(_Section):
    name: Name
    signature_texts: tuple[Annotated[Text, Field(min_length=1)], ...] = Field(
        min_length=1, max_length=LIST_MAX
    )
    email_domains: tuple[Domain, ...] = Field(min_length=1, max_length=LIST_MAX)
    timezone: str = Field("UTC", max_length=64)
    logo_files: tuple[SafePath, ...] = Field((), max_length=LIST_MAX)
    it_contact: OptionalEmail = ""
    communications: tuple[Email, ...] = Field((), max_length=LIST_MAX)
    # An unchanged banner/picture URL reuses its logo verdict this long before a conditional
    # request asks whether the image changed (CDN URLs change with the image anyway).
    logo_recheck_days: int = Field(default=7, ge=0, le=365)
    # Weekends never count; these dates don't either (with digest.school_days_only).
    holidays: tuple[date, ...] = Field((), max_length=1000)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("it_contact", "communications")
    @classmethod
    def _work_emails(cls, value: str | tuple[str, ...], info: ValidationInfo) -> object:
        # CMSD82 2045 C.1 / LPSD AP193 1.6: district business uses district addresses.
        domains = info.data.get("email_domains")
        emails = (value,) if isinstance(value, str) else value
        for email in emails:
            if email and domains and not in_domains(email, domains):
                raise ValueError(f"{email} is not in the district's email_domains")
        return value


class Schedule(_Section):
    check_every_minutes: int = Field(60, ge=5, le=24 * 60)
    # Checks run only between these hours (district time), inclusive.
    first_hour: int = Field(6, ge=0, le=23)
    last_hour: int = Field(22, ge=0, le=23)
    misfire_grace_seconds: int = Field(900, ge=1, le=86_400)


class Smtp(_Section):
    host: OptionalHost = ""  # empty: digests are written to the outbox folder instead
    port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "tls", "plain"] = "starttls"
    username: Ident = ""
    password_secret: OptionalSecretName = ""
    sender: Email = "socmon@localhost"
    timeout_seconds: float = Field(30.0, gt=0, le=300)


class Digest(_Section):
    hour: time = time(7, 0)
    weekly_weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    escalate_after_days: int = Field(5, ge=1, le=365)
    unknown_alert_days: int = Field(2, ge=1, le=365)
    school_days_only: StrictBool = True
    max_attempts: int = Field(8, ge=1, le=1000)


class Metrics(_Section):
    enabled: StrictBool = False
    host: Host = "127.0.0.1"
    port: int = Field(9464, ge=0, le=65535)


class Students(_Section):
    # Name of the secret holding the HMAC key the consent roster's name hashes are made with.
    key_secret: SecretName = "SOCMON_ROSTER_KEY"


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
    state_dir: SafePath = Path("/var/lib/socmon")
    registry: SafePath = Path("accounts.yaml")
    # Largest registry (and accounts CSV) read, in MB: a bound on memory and time.
    registry_max_mb: int = Field(50, ge=1, le=1024)
    database_url: str = Field("", max_length=2048)
    outbox_dir: SafePath | None = None
    schedule: Schedule = Schedule()
    # Each table validated by its platform's own model (monitor.platforms).
    platforms: dict[str, PlatformConfig] = {}
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

    @field_validator("platforms", mode="before")
    @classmethod
    def _per_platform(cls, value: object) -> object:
        return validate_tables(value)

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
    if not path.exists() and not path.is_symlink():
        raise UserError.one(src, "", "config file not found (use --config or $SOCMON_CONFIG)")
    text = read_text(path, what="config", max_bytes=CONFIG_MAX_BYTES)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError.one(src, *_toml_place(str(exc), text)) from None
    except RecursionError:
        raise UserError.one(src, "line 1", "not valid TOML: nested too deeply") from None
    if "source" in raw:
        raise UserError.one(src, "source", "unknown key")
    try:
        settings = Settings.model_validate({**raw, "source": path})
    except ValidationError as exc:
        raise UserError(pydantic_problems(src, exc)) from None
    return _resolve_paths(settings, path.parent)


def _toml_place(message: str, text: str) -> tuple[str, str]:
    """tomllib says "Expected ... (at line 3, column 5)": the place first, as elsewhere."""
    match = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if match:
        where = f"line {match.group(1)}:{match.group(2)}"
    else:
        match = re.search(r"\s*\(at end of document\)$", message)
        where = f"line {text.count(chr(10)) + 1}"
    what = message[: match.start()] if match else message
    return where, f"not valid TOML: {what}"


def _resolve_paths(settings: Settings, base: Path) -> Settings:
    def rel(p: Path) -> Path:
        return p if p.is_absolute() else (base / p)

    district = settings.district.model_copy(
        update={"logo_files": tuple(rel(p) for p in settings.district.logo_files)}
    )
    src = str(settings.source)
    problems = [
        Problem(src, f"district.logo_files.{i}", f"{p} {_not_a_file(p)}")
        for i, p in enumerate(district.logo_files)
        if _not_a_file(p)
    ]
    if settings.schedule.first_hour > settings.schedule.last_hour:
        problems.append(Problem(src, "schedule.first_hour", "is later than schedule.last_hour"))
    resolved = settings.model_copy(
        update={
            "district": district,
            "registry": rel(settings.registry),
            "state_dir": rel(settings.state_dir),
            "outbox_dir": rel(settings.outbox_dir) if settings.outbox_dir else None,
        }
    )
    problems += _cross_checks(resolved)
    if problems:
        raise UserError(problems)
    return resolved


def _not_a_file(path: Path) -> str:
    if not path.exists():
        return "does not exist"
    return "" if path.is_file() else "is not a regular file"


def _cross_checks(settings: Settings) -> list[Problem]:
    """What one key alone cannot say: folders that are files, a database URL, the sender."""
    src = str(settings.source)
    problems = []
    folders = {"state_dir": settings.state_dir, "outbox_dir": settings.outbox_dir}
    for key, folder in folders.items():
        if folder is not None and folder.exists() and not folder.is_dir():
            problems.append(Problem(src, key, f"{folder} exists and is not a folder"))
    if settings.database_url:
        problem = database_url_problem(settings.database_url)
        if problem:
            problems.append(Problem(src, "database_url", problem))
    sender = settings.smtp.sender
    if settings.smtp.host and not in_domains(sender, settings.district.email_domains):
        problems.append(
            Problem(src, "smtp.sender", f"{sender} is not in the district's email_domains")
        )
    return problems


def database_url_problem(url: str) -> str:
    """Why `url` is not a database socmon can use, or "" (syntax only; nothing is opened)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        backend = make_url(url).get_backend_name()
    except (ArgumentError, ValueError):
        return "not a database URL (sqlite:///PATH or postgresql://USER@HOST/NAME)"
    if backend not in ("sqlite", "postgresql"):
        return "only sqlite:/// and postgresql:// are supported"
    return ""
