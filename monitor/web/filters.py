"""The filters of the overview and the CSV export, parsed from the query string."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import urlencode

STATUSES = ("open", "muted", "resolved", "all")
PAGE_SIZE = 50  # a page a phone can scroll; the CSV export has every row


class BadFilter(ValueError):
    """A filter value that cannot be read; the message names the field."""


@dataclass(frozen=True, slots=True)
class Filters:
    """What the user narrowed the lapses to. Dates select when the lapse was opened."""

    school: str = ""
    platform: str = ""
    check: str = ""
    status: str = "open"
    since: date | None = None
    until: date | None = None
    page: int = 1

    @classmethod
    def parse(cls, query: Mapping[str, str]) -> Filters:
        status = query.get("status", "open") or "open"
        if status not in STATUSES:
            raise BadFilter(f"status must be one of {', '.join(STATUSES)}")
        try:
            page = max(1, int(query.get("page", "1") or "1"))
        except ValueError:
            raise BadFilter("page must be a number") from None
        since, until = _date(query, "since"), _date(query, "until")
        if since and until and since > until:
            raise BadFilter("'since' is after 'until'")
        return cls(
            school=query.get("school", "").strip()[:200],
            platform=query.get("platform", "").strip()[:32],
            check=query.get("check", "").strip()[:64],
            status=status,
            since=since,
            until=until,
            page=min(page, 10_000),
        )

    def query_string(self, **changes: object) -> str:
        """The filters as a query string (without empty values), with `changes` applied."""
        f = replace(self, **changes)  # type: ignore[arg-type]
        pairs = {
            "school": f.school,
            "platform": f.platform,
            "check": f.check,
            "status": "" if f.status == "open" else f.status,
            "since": f.since.isoformat() if f.since else "",
            "until": f.until.isoformat() if f.until else "",
            "page": "" if f.page == 1 else str(f.page),
        }
        return urlencode({k: v for k, v in pairs.items() if v})

    @property
    def offset(self) -> int:
        return (self.page - 1) * PAGE_SIZE


def _date(query: Mapping[str, str], name: str) -> date | None:
    value = query.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadFilter(f"{name} must be a date like 2026-11-23") from None
