"""The platforms socmon knows, each declared once in its own module and listed here.

Adding a platform: its connector (`connectors/<id>.py`), its sandbox module, its
fixtures and tests, its capability row (`checks/capabilities.py`) and one module here
with its `PlatformSpec`, added to `PLATFORMS`. The registry's platform names, the
`[platforms.*]` config tables, the connectors built, labels and profile links all
derive from this list; `tests/monitor/test_platforms.py` keeps it complete.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, create_model

from monitor.platforms.base import BuildContext, PlatformConfig, PlatformSpec
from monitor.platforms.facebook import FACEBOOK
from monitor.platforms.facebook_group import FACEBOOK_GROUP
from monitor.platforms.instagram import INSTAGRAM
from monitor.platforms.x import X
from monitor.platforms.youtube import YOUTUBE

__all__ = [
    "IDS",
    "LABELS",
    "PLATFORMS",
    "BuildContext",
    "PlatformConfig",
    "PlatformSpec",
    "by_id",
    "validate_tables",
]

PLATFORMS: tuple[PlatformSpec[Any], ...] = (FACEBOOK, FACEBOOK_GROUP, INSTAGRAM, X, YOUTUBE)
IDS: tuple[str, ...] = tuple(p.id for p in PLATFORMS)
LABELS: Mapping[str, str] = {p.id: p.label for p in PLATFORMS}
_BY_ID: Mapping[str, PlatformSpec[Any]] = {p.id: p for p in PLATFORMS}


def by_id(platform: str) -> PlatformSpec[Any]:
    """The declaration of `platform`; KeyError naming the known ones otherwise."""
    try:
        return _BY_ID[platform]
    except KeyError:
        raise KeyError(f"unknown platform {platform!r} (known: {', '.join(IDS)})") from None


# One optional field per configurable platform, each typed with that platform's model:
# pydantic then reports `x.business_id: unknown key`, with the table's name in the path.
_FIELDS: dict[str, Any] = {p.id: (p.config | None, None) for p in PLATFORMS if p.config}
_Tables: type[BaseModel] = create_model(
    "PlatformTables", __config__=ConfigDict(extra="forbid", frozen=True), **_FIELDS
)


def validate_tables(raw: object) -> dict[str, PlatformConfig]:
    """`[platforms.*]` validated table by table; raises pydantic's ValidationError."""
    tables = _Tables.model_validate(raw)
    return {
        name: cfg
        for name in type(tables).model_fields
        if (cfg := getattr(tables, name)) is not None
    }
