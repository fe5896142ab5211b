"""The accounts registry (the district directory, LPSD AP193 1.2): YAML, validated with line numbers."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from checks.base import AccountView, Principal
from monitor.errors import Problem, UserError
from monitor.registry_yaml import RegistryShapeError, read_accounts

EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
PLATFORMS = ("facebook", "facebook_group", "instagram", "x", "youtube")
RESERVED_PREFIXES = ("credential-", "unregistered-")


def valid_email(value: str) -> str:
    value = value.strip()
    if not EMAIL.match(value):
        raise ValueError(f"{value!r} is not an email address")
    return value.lower()


def in_domains(email: str, domains: Iterable[str]) -> bool:
    """True when the address is in a district domain or one of its subdomains."""
    host = email.rsplit("@", 1)[-1].lower()
    return any(host == d or host.endswith("." + d) for d in domains)


class PrincipalEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    user_id: str = ""
    email: str = ""

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return valid_email(value) if value else value


class Account(BaseModel):
    """One registered account."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,79}$")
    platform: Literal["facebook", "facebook_group", "instagram", "x", "youtube"]
    platform_id: str = Field(min_length=1, max_length=200)
    school: str = Field(min_length=1)
    kind: Literal["school", "district", "class", "department", "club", "group"] = "school"
    audience: Literal["public", "private"] = "public"
    managers: tuple[str, ...] = Field(min_length=1)
    principals: tuple[PrincipalEntry, ...] = ()
    website: str = ""
    approval: str = ""
    credential: str = ""

    @field_validator("id")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        # Credential and business lapses live on these pseudo-account ids.
        if value.startswith(RESERVED_PREFIXES):
            raise ValueError(f"ids starting with {' or '.join(RESERVED_PREFIXES)} are reserved")
        return value

    @field_validator("platform_id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        # YAML reads 100000000000001 as an int; ids are opaque strings.
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("managers")
    @classmethod
    def _emails(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(valid_email(v) for v in value)

    @field_validator("website")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    def view(self) -> AccountView:
        """The part of the account that checks read."""
        return AccountView(
            account_id=self.id,
            platform=self.platform,
            platform_id=self.platform_id,
            school=self.school,
            kind=self.kind,
            audience=self.audience,
            managers=self.managers,
            principals=tuple(Principal(p.name, p.user_id, p.email) for p in self.principals),
            website=self.website,
        )


def load_registry(path: Path, email_domains: Sequence[str]) -> list[Account]:
    """Read and validate the registry; every problem names the file and line."""
    src = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError.one(src, "", "registry file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError.one(src, "", f"cannot read registry: {exc}") from None
    try:
        items, line_of = read_accounts(text)
        return validate_accounts(src, items, email_domains, line_of)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        raise UserError.one(src, where, f"not valid YAML: {getattr(exc, 'problem', exc)}") from None
    except RegistryShapeError as exc:
        raise UserError.one(src, exc.where, str(exc)) from None


def validate_accounts(
    src: str,
    items: Iterable[Any],
    email_domains: Sequence[str],
    line_of: Any,
) -> list[Account]:
    """Validate raw account mappings; `line_of(index, key)` gives the line for messages."""
    problems: list[Problem] = []
    accounts: list[Account] = []
    seen_ids: dict[str, int] = {}
    seen_targets: dict[tuple[str, str], int] = {}

    def where(index: int, key: str | None = None) -> str:
        line = line_of(index, key)
        label = f"line {line}" if line else f"accounts[{index}]"
        return f"{label} ({key})" if key else label

    for index, raw in enumerate(items):
        if not isinstance(raw, dict):
            problems.append(Problem(src, where(index), "an account must be a mapping of keys"))
            continue
        try:
            account = Account.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                key = str(err["loc"][0]) if err["loc"] else None
                msg = {"extra_forbidden": "unknown key", "missing": "required key is missing"}.get(
                    err["type"], err["msg"].removeprefix("Value error, ")
                )
                problems.append(Problem(src, where(index, key), msg))
            continue
        if account.id in seen_ids:
            problems.append(
                Problem(src, where(index, "id"), f"duplicate account id {account.id!r}")
            )
        target = (account.platform, account.platform_id)
        if target in seen_targets:
            problems.append(
                Problem(
                    src,
                    where(index, "platform_id"),
                    f"{account.platform} account {account.platform_id} is registered twice",
                )
            )
        for email in account.managers:
            if not in_domains(email, email_domains):
                problems.append(
                    Problem(src, where(index, "managers"), f"{email} is not a district work email")
                )
        seen_ids.setdefault(account.id, index)
        seen_targets.setdefault(target, index)
        accounts.append(account)
    if problems:
        raise UserError(problems)
    return accounts
