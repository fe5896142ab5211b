"""The check list matches the modules on disk, and the decorator refuses bad metadata."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from check_factories import account, hiding, options, snapshot

import checks
from checks.base import (
    CRPS,
    SEVERITIES,
    AccountView,
    CheckFn,
    CheckOptions,
    CheckSpec,
    Citation,
    Finding,
    check,
)
from checks.capabilities import CYCLE_CHECKS
from connectors.base import AccountSnapshot, Fact

# Cycle-level checks compare lists or credentials, not one snapshot, and tell other people.
AUDIENCE = {"registered": "communications", "connector_health": "it"}
PER_ACCOUNT = [spec for spec in checks.ALL_CHECKS if spec.id not in CYCLE_CHECKS]


def _named(module: str) -> CheckFn:
    """A check function that claims to live in `module`."""

    def fn(account: AccountView, snapshot: AccountSnapshot, options: CheckOptions) -> Finding:
        raise AssertionError("never run")

    fn.__module__ = module
    return fn


def test_all_checks_lists_exactly_the_check_modules_on_disk() -> None:
    folder = Path(checks.__file__).parent
    support = {"base", "__init__", "capabilities", "names", "district", "finding"}
    on_disk = {p.stem for p in folder.glob("*.py")} - support
    listed = [spec.id for spec in checks.ALL_CHECKS]
    assert len(listed) == len(set(listed))
    assert set(listed) == on_disk


def test_get_returns_the_check_with_that_id() -> None:
    for spec in checks.ALL_CHECKS:
        assert checks.get(spec.id) is spec


def test_get_names_the_known_ids_for_an_unknown_check() -> None:
    with pytest.raises(KeyError, match=r"unknown check 'nope'.*comments"):
        checks.get("nope")


@pytest.mark.parametrize("spec", checks.ALL_CHECKS, ids=lambda s: s.id)
def test_every_check_has_clauses_title_and_a_one_line_remediation(spec: CheckSpec) -> None:
    assert spec.clauses
    assert all(c.document and c.section for c in spec.clauses)
    assert spec.title.strip()
    assert spec.remediation.strip() and "\n" not in spec.remediation
    assert spec.severity in SEVERITIES
    assert spec.audience == AUDIENCE.get(spec.id, "managers")


@pytest.mark.parametrize("spec", PER_ACCOUNT, ids=lambda s: s.id)
def test_every_check_answers_unknown_when_the_platform_exposes_nothing(
    spec: CheckSpec,
) -> None:
    bare = hiding(*Fact, logo_seen={}, posts=(), comment_setting="", audience="")
    finding = spec.run(account(), bare, options())
    assert finding.status == "unknown", finding.detail


@pytest.mark.parametrize("spec", PER_ACCOUNT, ids=lambda s: s.id)
def test_every_check_passes_the_clean_account_with_a_sentence_and_json_evidence(
    spec: CheckSpec,
) -> None:
    finding = spec.run(account(), snapshot(), options())
    assert finding.check_id == spec.id
    assert finding.status == "pass", finding.detail
    assert finding.detail.startswith("hillcrest-fb") and finding.detail.endswith(".")
    json.dumps(finding.evidence)


def test_the_decorator_refuses_an_id_that_is_not_the_module_name() -> None:
    fn = _named("checks.some_module")
    with pytest.raises(ValueError, match="must equal its module name"):
        check(id="other", title="t", clauses=(Citation(CRPS, "1.a"),), remediation="r")(fn)


def test_the_decorator_refuses_a_duplicate_id() -> None:
    fn = _named("checks.comments")
    with pytest.raises(ValueError, match="declared twice"):
        check(id="comments", title="t", clauses=(Citation(CRPS, "1.a"),), remediation="r")(fn)


def test_district_checks_are_declared_district_wide_and_every_other_per_account() -> None:
    scopes = {spec.id: spec.scope for spec in checks.ALL_CHECKS}
    assert {i for i, s in scopes.items() if s == "district"} == CYCLE_CHECKS == set(AUDIENCE)
    assert {s for i, s in scopes.items() if i not in CYCLE_CHECKS} == {"account"}
    district = [spec for spec in checks.ALL_CHECKS if spec.scope == "district"]
    assert all(spec.fn is None and spec.district_fn is not None for spec in district)


def test_the_decorator_refuses_an_unknown_scope() -> None:
    fn = _named("checks.scoped_rule")
    with pytest.raises(ValueError, match="unknown scope 'school'"):
        check(
            id="scoped_rule",
            title="t",
            clauses=(Citation(CRPS, "1.a"),),
            remediation="r",
            scope="school",  # type: ignore[call-overload]
        )(fn)


def test_the_decorator_refuses_a_check_without_a_citation() -> None:
    fn = _named("checks.uncited_rule")
    with pytest.raises(ValueError, match="cites no policy clause"):
        check(id="uncited_rule", title="t", clauses=(), remediation="r")(fn)
