"""Formatting for templates: local times, check metadata, evidence, redaction."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment

import checks
from checks.capabilities import Mode, capability
from notifications.links import PLATFORM_LABELS, account_url
from socmon.web.scope import DISTRICT_SCHOOL, district_platform

# Query parameters and headers that may carry a platform credential in an error text.
_SECRETS = re.compile(
    r"(?i)(access_token|refresh_token|client_secret|token|password|secret|key)=([^&\s\"']+)"
)
_BEARER = re.compile(r"(?i)bearer\s+[a-z0-9._~+/=-]+")


@dataclass(frozen=True, slots=True)
class CheckInfo:
    """A check's display metadata, with a fallback for ids this version does not know."""

    id: str
    title: str
    clauses: str
    remediation: str


@lru_cache(maxsize=256)
def check_info(check_id: str) -> CheckInfo:
    try:
        spec = checks.get(check_id)
    except KeyError:
        return CheckInfo(check_id, check_id.replace("_", " "), "", "")
    return CheckInfo(spec.id, spec.title, spec.clause_text, spec.remediation)


def check_choices() -> list[CheckInfo]:
    return [check_info(spec.id) for spec in checks.ALL_CHECKS]


def redact(text: str) -> str:
    """Hide anything that looks like a credential before it reaches a page."""
    text = _SECRETS.sub(lambda m: f"{m.group(1)}=[hidden]", text)
    return _BEARER.sub("Bearer [hidden]", text)


def evidence_items(evidence: dict[str, Any] | None) -> list[tuple[str, str]]:
    """Evidence as (label, text) pairs; nested values as compact JSON."""
    items = []
    for key, value in (evidence or {}).items():
        if isinstance(value, str):
            text = value
        else:
            text = json.dumps(value, ensure_ascii=False, default=str, separators=(", ", ": "))
        items.append((key.replace("_", " "), redact(text)[:500]))
    return items


def install_filters(env: Environment, tz: ZoneInfo) -> None:
    """Register the template filters, bound to the district's time zone."""

    def local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M %Z") -> str:
        # Every time carries the district's zone abbreviation (CST, PDT): never a bare time.
        return "" if value is None else value.astimezone(tz).strftime(fmt)

    def num(value: int | None) -> str:
        return f"{value or 0:,}"

    def day(value: date | datetime | None) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            value = value.astimezone(tz).date()
        return value.isoformat()

    env.filters["local"] = local
    env.filters["num"] = num
    env.globals["account_url"] = account_url
    env.globals["platform_label"] = lambda p: PLATFORM_LABELS.get(p, p)
    env.globals["attestable"] = attestable
    env.globals["district_school"] = DISTRICT_SCHOOL
    env.globals["district_platform"] = district_platform
    env.filters["day"] = day
    env.filters["redact"] = redact
    env.globals["check_info"] = check_info
    env.globals["evidence_items"] = evidence_items


def attestable(platform: str, check_id: str) -> bool:
    """True when a person confirms this check on this platform (no API exposes the fact)."""
    try:
        return capability(platform, check_id).mode is Mode.ATTESTED
    except KeyError:
        return False
