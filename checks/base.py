"""What a check is: its metadata, its inputs and its verdict.

A check is a pure function declared with `@check(...)`. Its scope says what it
judges: an "account" check is `(account, snapshot, options) -> Finding`, run on each
account's snapshot; a "district" check is `(district, options) -> [DistrictFinding]`,
run once per cycle on facts about the whole district (checks.district). The decorator
validates the metadata when the module is imported: the id equals the module name, ids
are unique, at least one policy citation is given. Checks never do I/O; the clock is
`snapshot.fetched_at` (or `district.now`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, overload

from pydantic import BaseModel, ConfigDict, Field, field_validator

from checks.district import DistrictFinding, DistrictView
from checks.finding import Finding as Finding
from checks.finding import Status as Status
from checks.names import Resolution, Roster
from connectors.base import AccountSnapshot, Fact

# The registry's account kinds (monitor.registry.Account.kind).
ACCOUNT_KINDS = ("school", "district", "class", "department", "club", "group")


@dataclass(frozen=True, slots=True)
class Citation:
    """One policy clause: the document and the section within it."""

    document: str
    section: str

    def __str__(self) -> str:
        return f"{self.document} {self.section}"


@dataclass(frozen=True, slots=True)
class Principal:
    """The principal or an assistant principal who must be an admin of the account."""

    name: str
    user_id: str = ""
    email: str = ""


@dataclass(frozen=True, slots=True)
class AccountView:
    """What a check knows about the registered account (registry plus recorded actions)."""

    account_id: str
    platform: str
    platform_id: str
    school: str
    kind: str = "school"
    audience: str = "public"
    managers: tuple[str, ...] = ()
    principals: tuple[Principal, ...] = ()
    website: str = ""
    # Latest comment review recorded by a person (socmon review, web page, digest link).
    last_reviewed_at: datetime | None = None
    # check id -> when a person last attested it (for facts no API exposes).
    attestations: Mapping[str, datetime] = field(default_factory=dict)
    # The consent roster as keyed hashes (prepared by the cycle), or why there is none.
    roster: Roster | None = None
    roster_missing: str = "no consent roster imported"
    # (post id, student id) -> a manager's answer to a student_privacy finding.
    privacy_resolutions: Mapping[tuple[str, str], Resolution] = field(default_factory=dict)


class CheckOptions(BaseModel):
    """Every threshold with its one default; district facts are filled from the config."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    review_window_hours: int = Field(24, ge=1, le=24 * 14)
    freshness_days: int = Field(30, ge=1, le=3650)
    min_admins: int = Field(2, ge=1, le=20)
    attest_every_days: int = Field(30, ge=1, le=365)
    # Account kinds that may share student information at all (NW AP140-C 1.10.1).
    student_info_kinds: tuple[str, ...] = ("school", "district")
    # District facts, copied from [district] by the config loader.
    district_name: str = ""
    signature_texts: tuple[str, ...] = ()
    email_domains: tuple[str, ...] = ()

    @field_validator("student_info_kinds")
    @classmethod
    def _known_kinds(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [kind for kind in value if kind not in ACCOUNT_KINDS]
        if unknown:
            raise ValueError(
                f"unknown account kind {unknown[0]!r} (kinds: {', '.join(ACCOUNT_KINDS)})"
            )
        return value


CheckFn = Callable[[AccountView, AccountSnapshot, CheckOptions], Finding]
DistrictFn = Callable[[DistrictView, CheckOptions], list[DistrictFinding]]
Scope = Literal["account", "district"]


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """A registered check: metadata plus the function."""

    id: str
    title: str
    severity: str
    clauses: tuple[Citation, ...]
    remediation: str
    audience: str  # who is told: "managers", "communications" or "it"
    fn: CheckFn | None
    # The snapshot facts whose completeness the verdict depends on.
    reads: tuple[Fact, ...] = ()
    # What to do where a platform lets a person do less (Instagram has no "liked by the account").
    platform_remediation: Mapping[str, str] = field(default_factory=dict)
    # "account": run on each account's snapshot; "district": once per cycle (`district_fn`).
    scope: Scope = "account"
    district_fn: DistrictFn | None = None

    def remediation_for(self, platform: str) -> str:
        """The remediation that platform lets a person carry out."""
        return self.platform_remediation.get(platform, self.remediation)

    def run(
        self, account: AccountView, snapshot: AccountSnapshot, options: CheckOptions
    ) -> Finding:
        """The check's verdict, never a pass on a fact that was read only in part."""
        if self.fn is None:
            raise TypeError(f"check {self.id!r} is district-wide: it has no per-account verdict")
        return guard_coverage(account, snapshot, self.reads, self.fn(account, snapshot, options))

    def run_district(self, district: DistrictView, options: CheckOptions) -> list[DistrictFinding]:
        """The district check's findings for this cycle."""
        if self.district_fn is None:
            raise TypeError(f"check {self.id!r} is per account: it has no district verdict")
        return self.district_fn(district, options)

    @property
    def clause_text(self) -> str:
        return "; ".join(str(c) for c in self.clauses)


_REGISTERED: dict[str, CheckSpec] = {}
SEVERITIES = ("low", "medium", "high")
AUDIENCES = ("managers", "communications", "it")
SCOPES: tuple[Scope, ...] = ("account", "district")


@overload
def check(
    *,
    id: str,
    title: str,
    clauses: tuple[Citation, ...],
    remediation: str,
    severity: str = ...,
    audience: str = ...,
    reads: tuple[Fact, ...] = ...,
    platform_remediation: Mapping[str, str] | None = ...,
    scope: Literal["account"] = ...,
) -> Callable[[CheckFn], CheckSpec]: ...


@overload
def check(
    *,
    id: str,
    title: str,
    clauses: tuple[Citation, ...],
    remediation: str,
    severity: str = ...,
    audience: str = ...,
    reads: tuple[Fact, ...] = ...,
    platform_remediation: Mapping[str, str] | None = ...,
    scope: Literal["district"],
) -> Callable[[DistrictFn], CheckSpec]: ...


def check(
    *,
    id: str,
    title: str,
    clauses: tuple[Citation, ...],
    remediation: str,
    severity: str = "medium",
    audience: str = "managers",
    reads: tuple[Fact, ...] = (),
    platform_remediation: Mapping[str, str] | None = None,
    scope: Scope = "account",
) -> Callable[[CheckFn], CheckSpec] | Callable[[DistrictFn], CheckSpec]:
    """Declare a check; raises at import time when the metadata is incomplete."""

    def validate(fn_module: str) -> None:
        module_id = fn_module.rsplit(".", 1)[-1]
        if id != module_id:
            raise ValueError(f"check id {id!r} must equal its module name {module_id!r}")
        if id in _REGISTERED:
            raise ValueError(f"check id {id!r} is declared twice")
        if not clauses:
            raise ValueError(f"check {id!r} cites no policy clause")
        if severity not in SEVERITIES:
            raise ValueError(f"check {id!r} has unknown severity {severity!r}")
        if audience not in AUDIENCES:
            raise ValueError(f"check {id!r} has unknown audience {audience!r}")
        if scope not in SCOPES:
            raise ValueError(f"check {id!r} has unknown scope {scope!r}")
        if not remediation.strip():
            raise ValueError(f"check {id!r} has no remediation")

    def spec(fn: CheckFn | None, district_fn: DistrictFn | None) -> CheckSpec:
        made = CheckSpec(
            id, title, severity, clauses, remediation, audience, fn, reads,
            dict(platform_remediation or {}), scope, district_fn,
        )  # fmt: skip
        _REGISTERED[id] = made
        return made

    def register(fn: CheckFn) -> CheckSpec:
        validate(fn.__module__)
        return spec(fn, None)

    def register_district(fn: DistrictFn) -> CheckSpec:
        validate(fn.__module__)
        return spec(None, fn)

    return register_district if scope == "district" else register


def unexposed(
    check_id: str, account: AccountView, snapshot: AccountSnapshot, fact: Fact
) -> Finding:
    """The `unknown` finding for a fact the platform did not give."""
    reason = snapshot.unexposed.get(fact, "not exposed by the platform")
    return Finding(
        check_id,
        Status.UNKNOWN,
        f"{account.account_id}: {fact.value} cannot be read ({reason}).",
        {"fact": fact.value, "reason": reason},
    )


def guard_coverage(
    account: AccountView, snapshot: AccountSnapshot, reads: tuple[Fact, ...], finding: Finding
) -> Finding:
    """Attach the coverage of `reads` to the evidence; a pass on a partial read becomes unknown.

    A lapse stays a lapse: what *was* read already proves it.
    """
    covered = {f: snapshot.coverage[f] for f in reads if f in snapshot.coverage}
    if not covered:
        return finding
    evidence = dict(finding.evidence)
    evidence["coverage"] = {f.value: c.as_evidence() for f, c in covered.items()}
    partial = [(f, c) for f, c in covered.items() if not c.complete]
    if finding.status is not Status.PASS or not partial:
        return Finding(finding.check_id, finding.status, finding.detail, evidence)
    fact, cover = partial[0]
    return Finding(
        finding.check_id,
        Status.UNKNOWN,
        f"{account.account_id}: {fact.value} were read only in part ({cover.missing}).",
        evidence,
    )


# Documents cited by the checks, spelled once.
CMSD82 = "CMSD82 Policy 2045"
NW = "New Westminster AP140 Appendix C"
PARK_WEST = "Park West AP144"
CRPS = "CRPS AP146"
LPSD = "LPSD AP193"
