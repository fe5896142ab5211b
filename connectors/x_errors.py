"""X API v2 replies mapped to typed errors: problem JSON, rate-limit resets, the monthly usage cap.

X answers errors as problem JSON (title, detail, type, status). A 429 is a 15-minute
window (wait until `x-rate-limit-reset`) unless its problem is `UsageCapExceeded`: the
monthly cap, which no wait inside a cycle fixes.
(docs.x.com/x-api/fundamentals/rate-limits, /fundamentals/post-cap)
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

import httpx

from connectors.base import (
    AuthFailed,
    ConnectorError,
    NotFound,
    PermissionMissing,
    RateLimited,
    Unavailable,
    UsageCapReached,
)
from connectors.parsing import as_text

logger = logging.getLogger(__name__)

DEFAULT_RETRY_AFTER = 60.0
_TOKENISH = re.compile(r"[A-Za-z0-9%_\-]{40,}")


def reset_in(response: httpx.Response, now: datetime) -> float | None:
    """Seconds until `x-rate-limit-reset` (epoch seconds), None when the header is absent."""
    raw = response.headers.get("x-rate-limit-reset", "")
    if not raw.isdigit():
        return None
    return max(int(raw) - now.timestamp(), 0.0)


CAP_REASON = "the X monthly read cap is reached"


def is_usage_cap(body: dict[str, Any]) -> bool:
    """X's spent-cap problem: title UsageCapExceeded, type .../problems/usage-capped."""
    problems = [body, *_problems(body)]
    return any(
        as_text(p.get("title")) == "UsageCapExceeded"
        or as_text(p.get("type")).endswith("/usage-capped")
        for p in problems
    )


def classify_x_error(response: httpx.Response, now: datetime) -> ConnectorError | None:
    """Map an X reply (problem JSON: title, detail, type, status) to a typed error."""
    status = response.status_code
    if 200 <= status < 300:
        return None
    try:
        body = response.json()
    except ValueError:
        body = None
    body = body if isinstance(body, dict) else {}
    title = str(body.get("title", ""))[:80]
    detail = _TOKENISH.sub("[redacted]", str(body.get("detail", "")))[:200]
    said = f"X said (HTTP {status}): {title}: {detail}".rstrip(": ")
    if status == 429 and is_usage_cap(body):
        # Not a 15-minute window: the headers look healthy and retrying only burns calls.
        return UsageCapReached(f"{CAP_REASON}. {said}")
    if status == 429:
        wait = reset_in(response, now)
        return RateLimited(
            f"X rate limit. {said}", retry_after=DEFAULT_RETRY_AFTER if wait is None else wait
        )
    if status == 401:
        return AuthFailed(f"X bearer token rejected. {said}")
    if status == 403:
        return PermissionMissing(f"X refused the app access. {said}")
    if status == 404:
        return NotFound(f"X resource not found. {said}")
    if status >= 500:
        return Unavailable(f"X unavailable. {said}")
    return ConnectorError(f"X refused the request. {said}", permanent=True)


def _problems(body: dict[str, Any]) -> list[dict[str, Any]]:
    errors = body.get("errors")
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []
