"""Graph's reply shapes: the JSON envelope with its usage headers, and the error envelope.

Apart from the app so the route modules (business, instagram) can use them without
importing the app that mounts them.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.responses import JSONResponse, Response

from sandbox.endpoints import THROTTLE_CODES, GraphError
from sandbox.world import World, digest

VERSION = re.compile(r"v\d+\.\d+")


def error_response(world: World, err: GraphError, page_id: str | None) -> Response:
    """Graph's error envelope."""
    body: dict[str, Any] = {"message": err.message, "type": "OAuthException", "code": err.code}
    if err.subcode is not None:
        body["error_subcode"] = err.subcode
    if err.code in THROTTLE_CODES or err.code in (1, 2):
        body["is_transient"] = True
    body["fbtrace_id"] = "A" + digest(str(world.errors), err.message)[:22]
    throttled = err.status == 429 or err.code in THROTTLE_CODES
    return graph_json(world, {"error": body}, page_id, err.status, throttled)


def graph_json(
    world: World,
    body: dict[str, Any],
    page_id: str | None,
    status: int = 200,
    throttled: bool = False,
) -> Response:
    """JSON with X-App-Usage and X-Business-Use-Case-Usage (100 % when throttled).

    A page in `world.throttled_pages` reports its own business usage spent; the app's
    usage stays as it is, as Graph scopes the two.
    """
    app_pct = 100 if throttled else world.usage_percent
    app_usage = {"call_count": app_pct, "total_cputime": app_pct, "total_time": app_pct}
    regain = world.regain_minutes if throttled else 0
    pct = app_pct
    if page_id is not None and page_id in world.throttled_pages:
        pct, regain = 100, world.throttled_pages[page_id]
    business = {
        page_id or world.business_id: [
            {
                "type": "pages",
                "call_count": pct,
                "total_cputime": pct,
                "total_time": pct,
                "estimated_time_to_regain_access": regain,
            }
        ]
    }
    headers = {
        "X-App-Usage": json.dumps(app_usage),
        "X-Business-Use-Case-Usage": json.dumps(business),
    }
    return JSONResponse(body, status_code=status, headers=headers)
