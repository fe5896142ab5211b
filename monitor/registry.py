"""The accounts registry (the district directory, LPSD AP193 1.2): YAML, validated with line numbers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from checks.base import AccountView, Principal
from monitor.errors import Problem, UserError
from monitor.fieldtypes import (
    Email,
    Ident,
    Name,
    OptionalEmail,
    OptionalHttpUrl,
    Text,
    in_domains,
    valid_email,
)
from monitor.inputs import DATA_MAX_BYTES, MB, line_col, read_text
from monitor.platforms import IDS
from monitor.registry_yaml import RegistryShapeError, read_accounts

if TYPE_CHECKING:
    from monitor.settings import Settings

__all__ = ["Account", "in_domains", "load_registry", "valid_email", "validate_accounts"]

PLATFORMS = IDS  # the declared platforms (monitor.platforms)
# Keys the registry once accepted, with what to do now. `credential` (a per-account secret
# name) was validated but never read: every account was always fetched with its platform's
# token_secret. It is an error rather than a warning because an admin who wrote it expects
# that account to be read with its own token; a log line would let that belief stand.
RETIRED_KEYS = {
    "credential": (
        "no longer supported (it was never used): remove it; every account is read with "
        "its platform's token_secret"
    ),
}
# `place(index, loc)`: where an account's problem is, e.g. "line 12 (accounts[3].school)".
Place = Callable[[int, tuple[str | int, ...]], str]


class PrincipalEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    user_id: Ident = ""
    email: OptionalEmail = ""


class Account(BaseModel):
    """One registered account."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(max_length=80, pattern=r"^[a-z0-9][a-z0-9-]{0,79}$")
    platform: str = Field(max_length=40)
    # Goes into API paths: letters, digits, "_", "." and "-" only (no "/", "?", ":" or spaces).
    platform_id: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.-]+$")
    school: Name
    kind: Literal["school", "district", "class", "department", "club", "group"] = "school"
    audience: Literal["public", "private"] = "public"
    managers: tuple[Email, ...] = Field(min_length=1, max_length=50)
    principals: tuple[PrincipalEntry, ...] = Field((), max_length=10)
    website: OptionalHttpUrl = ""
    approval: Text = ""

    @field_validator("platform")
    @classmethod
    def _declared(cls, value: str) -> str:
        if value not in IDS:
            raise ValueError(f"unknown platform {value!r} (one of {', '.join(IDS)})")
        return value

    @field_validator("platform_id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        # YAML reads 100000000000001 as an int; ids are opaque strings.
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

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


def load_configured_registry(settings: Settings) -> list[Account]:
    """The registry the config names, with its size limit; open errors name the key."""
    return load_registry(
        settings.registry,
        settings.district.email_domains,
        max_bytes=settings.registry_max_mb * MB,
        named_by=(str(settings.source), "registry"),
    )


def load_registry(
    path: Path,
    email_domains: Sequence[str],
    *,
    max_bytes: int = DATA_MAX_BYTES,
    named_by: tuple[str, str] | None = None,
) -> list[Account]:
    """Read and validate the registry; every problem names the file and line."""
    src = str(path)
    text = read_text(path, what="registry", max_bytes=max_bytes, named_by=named_by)
    try:
        items, line_of = read_accounts(text)

        def place(index: int, loc: tuple[str | int, ...]) -> str:
            line = line_of(index, loc)
            label = f"accounts[{index}]" + "".join(
                f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc
            )
            return f"line {line} ({label})" if line else label

        accounts = validate_accounts(src, items, email_domains, place)
    except yaml.MarkedYAMLError as exc:
        raise UserError.one(src, *_yaml_place(exc)) from None
    except yaml.reader.ReaderError as exc:
        where = line_col(text, exc.position) if exc.position is not None else "line 1"
        raise UserError.one(src, where, f"not valid YAML: {exc.reason}") from None
    except yaml.YAMLError as exc:
        raise UserError.one(src, "line 1", f"not valid YAML: {exc}") from None
    except RegistryShapeError as exc:
        raise UserError.one(src, exc.where, str(exc)) from None
    if not accounts:
        raise UserError.one(src, "accounts", "lists no accounts (an empty registry checks nothing)")
    return accounts


def _yaml_place(exc: yaml.MarkedYAMLError) -> tuple[str, str]:
    """The line where the broken construct starts (libyaml notices it lines later)."""
    problem, context = exc.problem_mark, exc.context_mark
    what = f"not valid YAML: {exc.problem or exc.context or 'syntax error'}"
    if problem is None:
        return "", what
    found = f"line {problem.line + 1}:{problem.column + 1}"
    if context is not None and context.line < problem.line:
        return f"line {context.line + 1}:{context.column + 1}", (
            f"{what} ({exc.context}; noticed at {found})"
        )
    return found, what


def _share_field_sets(account: Account, shared: dict[frozenset[str], set[str]]) -> None:
    """Let accounts given the same keys share pydantic's set of the keys given.

    pydantic gives every instance a set of its own (728 bytes for an Account, 216 for each
    principal): 10,000 accounts held ~9 MB of identical sets. Account and PrincipalEntry
    are frozen, so nothing adds to a set once validated; a copy with changes gets its own.
    """
    for model in (account, *account.principals):
        given = model.__pydantic_fields_set__
        object.__setattr__(
            model, "__pydantic_fields_set__", shared.setdefault(frozenset(given), given)
        )


def validate_accounts(
    src: str,
    items: Iterable[Any],
    email_domains: Sequence[str],
    place: Place,
) -> list[Account]:
    """Validate raw account mappings; `place(index, loc)` says where, for messages."""
    problems: list[Problem] = []
    accounts: list[Account] = []
    seen_ids: dict[str, int] = {}
    seen_targets: dict[tuple[str, str], int] = {}
    field_sets: dict[frozenset[str], set[str]] = {}

    for index, raw in enumerate(items):
        if not isinstance(raw, dict):
            problems.append(Problem(src, place(index, ()), "an account must be a mapping of keys"))
            continue
        try:
            account = Account.model_validate(raw)
            _share_field_sets(account, field_sets)
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
            # "managers: not an email" already says why the list came out too short.
            item_errors = {e["loc"][0] for e in errors if len(e["loc"]) > 1}
            for err in errors:
                if err["type"] == "too_short" and err["loc"][:1] and err["loc"][0] in item_errors:
                    continue
                msg = {"extra_forbidden": "unknown key", "missing": "required key is missing"}.get(
                    err["type"], err["msg"].removeprefix("Value error, ")
                )
                if err["type"] == "extra_forbidden" and err["loc"][0] in RETIRED_KEYS:
                    msg = RETIRED_KEYS[str(err["loc"][0])]
                problems.append(Problem(src, place(index, tuple(err["loc"])), msg))
            continue
        if account.id in seen_ids:
            problems.append(
                Problem(src, place(index, ("id",)), f"duplicate account id {account.id!r}")
            )
        target = (account.platform, account.platform_id)
        if target in seen_targets:
            problems.append(
                Problem(
                    src,
                    place(index, ("platform_id",)),
                    f"{account.platform} account {account.platform_id} is registered twice",
                )
            )
        problems += _outside_domains(src, index, account, email_domains, place)
        seen_ids.setdefault(account.id, index)
        seen_targets.setdefault(target, index)
        accounts.append(account)
    if problems:
        raise UserError(problems)
    return accounts


def _outside_domains(
    src: str, index: int, account: Account, domains: Sequence[str], place: Place
) -> list[Problem]:
    """Managers and principals must use work emails (CMSD82 2045 C.1, LPSD AP193 1.6)."""
    problems = [
        Problem(src, place(index, ("managers", i)), f"{email} is not a district work email")
        for i, email in enumerate(account.managers)
        if not in_domains(email, domains)
    ]
    problems += [
        Problem(
            src, place(index, ("principals", i, "email")), f"{p.email} is not a district work email"
        )
        for i, p in enumerate(account.principals)
        if p.email and not in_domains(p.email, domains)
    ]
    return problems
