"""Reading untrusted JSON replies, whatever the platform: text, objects, times, malformed replies.

Every connector reads replies that may lack a key or carry the wrong type; these helpers
turn such a gap into "" or {} where the absence is meaningful, and into `Unavailable`
(never a clean snapshot) where the reply cannot be read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from connectors.base import Unavailable


def as_text(value: Any) -> str:
    """The value when it is a string, else ""."""
    return value if isinstance(value, str) else ""


def as_dict(value: Any) -> dict[str, Any]:
    """The value when it is a JSON object, else {}."""
    return value if isinstance(value, dict) else {}


def malformed(where: str, what: str) -> Unavailable:
    """The error for a reply from `where` that cannot be read because of `what`."""
    return Unavailable(f"malformed reply from {where}: {what}")


def require_dict(body: Any, where: str) -> dict[str, Any]:
    """The reply as a JSON object, or Unavailable."""
    if not isinstance(body, dict):
        raise malformed(where, "not a JSON object")
    return body


def parse_time(value: Any, where: str) -> datetime:
    """An ISO time ('2026-11-20T08:15:00+0000', '...Z') as an aware UTC datetime."""
    if not isinstance(value, str):
        raise malformed(where, "a missing time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise malformed(where, f"an unreadable time {value[:40]!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
