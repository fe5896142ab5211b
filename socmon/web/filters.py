"""The filters of the overview and the CSV export, parsed and bounded from the query string."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import urlencode

STATUSES = ("open", "muted", "resolved", "all")
SORTS = ("opened", "account", "school", "check", "status")
ORDERS = ("desc", "asc")
PAGE_SIZE = 50  # a page a phone can scroll; the CSV export has every row
MAX_PAGE = 100_000
# Dates outside these bounds cannot be a lapse's and would overflow date arithmetic.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
_DIGITS = re.compile(r"[0-9]{1,9}")  # ASCII only: '²'.isdigit() is true but int('²') fails
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class BadFilter(ValueError):
    """A filter value that cannot be read; the message names the field."""


def page_number(query: Mapping[str, str], name: str = "page") -> int:
    """A page number from 1 to MAX_PAGE; BadFilter for anything else."""
    value = (query.get(name, "") or "1").strip()
    if not _DIGITS.fullmatch(value) or not 1 <= int(value) <= MAX_PAGE:
        raise BadFilter(f"{name} must be a whole number from 1 to {MAX_PAGE:,}")
    return int(value)


def text_value(query: Mapping[str, str], name: str, limit: int) -> str:
    """A free-text filter, trimmed; BadFilter when too long or holding control characters."""
    value = query.get(name, "").strip()
    if len(value) > limit:
        raise BadFilter(f"{name} is longer than {limit} characters")
    if _CONTROL.search(value):
        raise BadFilter(f"{name} contains a control character")
    return value


def choice(query: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str:
    """One of `allowed` (the first when absent); BadFilter otherwise."""
    value = query.get(name, "") or allowed[0]
    if value not in allowed:
        raise BadFilter(f"{name} must be one of {', '.join(allowed)}")
    return value


@dataclass(frozen=True, slots=True)
class Filters:
    """What the user narrowed the lapses to. Dates select when the lapse was opened."""

    school: str = ""
    platform: str = ""
    check: str = ""
    status: str = "open"
    since: date | None = None
    until: date | None = None
    q: str = ""
    sort: str = "opened"
    order: str = "desc"
    page: int = 1

    @classmethod
    def parse(cls, query: Mapping[str, str]) -> Filters:
        since, until = _date(query, "since"), _date(query, "until")
        if since and until and since > until:
            raise BadFilter("'since' is after 'until'")
        return cls(
            school=text_value(query, "school", 200),
            platform=text_value(query, "platform", 32),
            check=text_value(query, "check", 64),
            status=choice(query, "status", STATUSES),
            since=since,
            until=until,
            q=text_value(query, "q", 200),
            sort=choice(query, "sort", SORTS),
            order=choice(query, "order", ORDERS),
            page=page_number(query),
        )

    def query_string(self, **changes: object) -> str:
        """The filters as a query string (without defaults), with `changes` applied."""
        f = replace(self, **changes)  # type: ignore[arg-type]
        pairs = {
            "q": f.q,
            "school": f.school,
            "platform": f.platform,
            "check": f.check,
            "status": "" if f.status == "open" else f.status,
            "since": f.since.isoformat() if f.since else "",
            "until": f.until.isoformat() if f.until else "",
            "sort": "" if f.sort == "opened" else f.sort,
            "order": "" if f.order == "desc" else f.order,
            "page": "" if f.page == 1 else str(f.page),
        }
        return urlencode({k: v for k, v in pairs.items() if v})

    def sorted_by(self, column: str) -> str:
        """The query string that sorts by `column` (toggling the order when already sorted)."""
        order = "asc" if self.sort == column and self.order == "desc" else "desc"
        return self.query_string(sort=column, order=order, page=1)

    @property
    def offset(self) -> int:
        return (self.page - 1) * PAGE_SIZE


def _date(query: Mapping[str, str], name: str) -> date | None:
    value = query.get(name, "").strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise BadFilter(f"{name} must be a date like 2026-11-23")
    if not FIRST_DAY <= day <= LAST_DAY:
        raise BadFilter(f"{name} must be between {FIRST_DAY} and {LAST_DAY}")
    return day
