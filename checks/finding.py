"""A check's verdict: pass, lapse or unknown, with a sentence and its evidence.

Kept apart from checks.base so that checks.district (what district checks read and
answer) can use it without importing the decorator that refers back to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Status(StrEnum):
    PASS = "pass"
    LAPSE = "lapse"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Finding:
    """One check's verdict on one snapshot (or, for a district check, on one subject)."""

    check_id: str
    status: Status
    detail: str
    evidence: Mapping[str, object] = field(default_factory=dict)
