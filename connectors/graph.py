"""What every Graph API client shares (Facebook Pages and Instagram): errors, usage, paging, times."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import httpx

from connectors.base import (
    AuthFailed,
    ConnectorError,
    NotFound,
    PermissionMissing,
    RateLimited,
    Unavailable,
)
from connectors.parsing import malformed

logger = logging.getLogger(__name__)

AUTH_SUBCODES = {
    458: "app removed",
    459: "user checkpointed",
    460: "password changed",
    463: "token expired",
    467: "token invalid",
}
RATE_LIMIT_CODES = {4, 17, 32, 613, 80001}
# Tokens are never put in messages, but Graph's own message is quoted: scrub
# anything long and token-shaped from it in case Graph echoes a credential.
_TOKENISH = re.compile(r"[A-Za-z0-9_\-|]{32,}")


def _rate_limit_wait(response: httpx.Response) -> float | None:
    """Seconds until access returns: Retry-After, else the business regain time.

    None when neither names a wait (a regain time of 0 means "now"): the retry then
    backs off a few seconds with jitter instead of guessing a long pause.
    """
    retry_after = response.headers.get("Retry-After", "").strip()
    if retry_after.isdigit():
        return float(retry_after)
    minutes = max((m for _, m in _business_usage(response)), default=0.0)
    return minutes * 60 if minutes > 0 else None


def classify_graph_error(response: httpx.Response) -> ConnectorError | None:
    """Map a Graph reply to the typed connector error it means (None when it is good)."""
    status = response.status_code
    if 200 <= status < 300:
        return None
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    code, subcode = error.get("code"), error.get("error_subcode")
    code = code if isinstance(code, int) else None
    subcode = subcode if isinstance(subcode, int) else None
    message = _TOKENISH.sub("[redacted]", str(error.get("message", "")))[:200]
    said = f"Facebook said (HTTP {status}, code {code}): {message}"
    if code == 190:
        meaning = AUTH_SUBCODES.get(subcode or 0, "token rejected")
        return AuthFailed(f"Facebook token rejected: {meaning}. {said}", code=code, subcode=subcode)
    if code == 10 or (code is not None and 200 <= code <= 299):
        return PermissionMissing(f"Facebook permission missing. {said}", code=code, subcode=subcode)
    if code in RATE_LIMIT_CODES or status == 429:
        return RateLimited(f"Facebook rate limit. {said}", retry_after=_rate_limit_wait(response))
    if (code == 100 and "does not exist" in message) or status == 404:
        return NotFound(f"Facebook object not found. {said}")
    if status >= 500 or code in (1, 2):
        return Unavailable(f"Facebook unavailable. {said}")
    return ConnectorError(f"Facebook refused the request. {said}", permanent=True)


def _percent(entry: dict[str, Any]) -> float:
    values = [entry.get(k) for k in ("call_count", "total_cputime", "total_time")]
    return max((float(v) for v in values if isinstance(v, int | float)), default=0.0)


def percent_of(entry: dict[str, Any]) -> float:
    """The highest of call count, CPU time and total time, in percent of the limit."""
    return _percent(entry)


def _header_json(response: httpx.Response, name: str) -> Any:
    try:
        return json.loads(response.headers.get(name) or "null")
    except ValueError:
        logger.debug("ignoring an unreadable %s header", name)
        return None


def _business_usage(response: httpx.Response) -> list[tuple[float, float]]:
    """(percent, minutes to regain access) per X-Business-Use-Case-Usage entry."""
    data = _header_json(response, "X-Business-Use-Case-Usage")
    entries = (
        [e for v in data.values() if isinstance(v, list) for e in v]
        if isinstance(data, dict)
        else []
    )
    found = []
    for entry in entries:
        if isinstance(entry, dict):
            regain = entry.get("estimated_time_to_regain_access")
            found.append(
                (_percent(entry), float(regain) if isinstance(regain, int | float) else 0.0)
            )
    return found


def business_usage_by_object(response: httpx.Response) -> dict[str, tuple[float, float]]:
    """Object id -> (highest usage percent, seconds to regain access) from the business header."""
    data = _header_json(response, "X-Business-Use-Case-Usage")
    found: dict[str, tuple[float, float]] = {}
    for object_id, entries in data.items() if isinstance(data, dict) else ():
        for entry in entries if isinstance(entries, list) else ():
            if not isinstance(entry, dict):
                continue
            regain = entry.get("estimated_time_to_regain_access")
            seconds = float(regain) * 60 if isinstance(regain, int | float) else 0.0
            percent, wait = found.get(str(object_id), (0.0, 0.0))
            found[str(object_id)] = (max(percent, _percent(entry)), max(wait, seconds))
    return found


header_json = _header_json


def usage_of(response: httpx.Response) -> tuple[float, float] | None:
    """(highest usage percentage, seconds to regain access) from the usage headers."""
    app = _header_json(response, "X-App-Usage")
    business = _business_usage(response)
    percents = ([_percent(app)] if isinstance(app, dict) else []) + [p for p, _ in business]
    if not percents:
        return None
    return max(percents), max((m for _, m in business), default=0.0) * 60


def edge_rows(edge: Any, where: str) -> list[Any]:
    """The `data` list of an edge; Graph leaves an empty edge out altogether."""
    if edge is None:
        return []
    if not isinstance(edge, dict) or not isinstance(edge.get("data"), list):
        raise malformed(where, "an edge without a data list")
    rows: list[Any] = edge["data"]
    return rows


def cursor_after(reply: Any) -> str | None:
    """The `after` cursor of a reply that has a next page, else None."""
    paging = reply.get("paging") if isinstance(reply, dict) else None
    if not isinstance(paging, dict) or not paging.get("next"):
        return None
    cursors = paging.get("cursors")
    after = cursors.get("after") if isinstance(cursors, dict) else None
    if not isinstance(after, str):
        after = httpx.URL(str(paging["next"])).params.get("after")
    return after or None
