"""The business endpoints: /{business}/owned_pages and /debug_token, as the Graph API shapes them.

The pages a business owns are the pages its system user manages (`World.listed_ids`)
plus any in `Business.extra_owned`, pages the business owns but nobody registered.
debug_token describes the system token and page tokens (never-expiring, every scope,
unless `Business.tokens` says otherwise) and reports expired tokens as invalid.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.demo import BUSINESS_ID as DEMO_BUSINESS_ID
from sandbox.endpoints import (
    FAULT_MESSAGES,
    UNSUPPORTED,
    GraphError,
    authorise,
    check_token_placement,
    cursor_param,
    int_param,
)
from sandbox.graph import encode_cursor
from sandbox.replies import VERSION, error_response, graph_json
from sandbox.world import World

logger = logging.getLogger(__name__)

ALL_SCOPES = (
    "pages_show_list",
    "pages_read_engagement",
    "pages_read_user_content",
    "pages_manage_metadata",
    "business_management",
    # The district's system user reads Instagram through its business too.
    "instagram_basic",
    "instagram_manage_comments",
)


@dataclass
class TokenState:
    """What debug_token says about one token; None dates never expire (system-user tokens)."""

    scopes: tuple[str, ...] = ALL_SCOPES
    expires_at: datetime | None = None
    data_access_expires_at: datetime | None = None
    valid: bool = True


@dataclass
class Business:
    """What the business owns beyond the listed pages, and tokens with a story to tell."""

    extra_owned: dict[str, str] = field(default_factory=dict)  # page id -> name
    tokens: dict[str, TokenState] = field(default_factory=dict)


# The demo district's business also owns a parents' council page nobody registered.
DEMO_UNREGISTERED_PAGE = ("100000000000099", "Hillcrest Elementary PAC")
DEMO_BUSINESS = Business(extra_owned=dict([DEMO_UNREGISTERED_PAGE]))
BUSINESSES = {DEMO_BUSINESS_ID: DEMO_BUSINESS}


def owned_pages_body(
    world: World, business: Business, request: Request, business_id: str
) -> dict[str, Any]:
    """GET /{business_id}/owned_pages?fields=id,name: listed pages then the extra ones."""
    if authorise(world, request) != "system":
        raise GraphError(400, 200, "(#200) Requires business_management permission")
    if business_id != world.business_id:
        raise GraphError(400, 100, UNSUPPORTED.format(business_id), 33)
    ids = world.listed_ids() + [i for i in business.extra_owned if i not in world.pages]
    limit = min(int_param(request, "limit", 25), 100)
    start = cursor_param(request)
    rows = []
    for page_id in ids[start : start + limit]:
        page = world.page(page_id)
        rows.append({"id": page_id, "name": page.name if page else business.extra_owned[page_id]})
    body: dict[str, Any] = {"data": rows}
    if rows:
        after = encode_cursor(start + len(rows))
        body["paging"] = {"cursors": {"before": encode_cursor(start), "after": after}}
        if start + len(rows) < len(ids):
            body["paging"]["next"] = str(request.url.include_query_params(after=after))
    return body


def debug_token_body(world: World, business: Business, request: Request) -> dict[str, Any]:
    """GET /debug_token?input_token=...: validity, expiry and scopes of the inspected token."""
    authorise(world, request)  # an expired caller token gets Graph's 190, as the real API does
    inspected = request.query_params.get("input_token", "")
    if not inspected:
        raise GraphError(400, 100, "(#100) The parameter input_token is required")
    owner = world.token_owner(inspected)
    state = business.tokens.get(inspected, TokenState())
    if owner is None or inspected in world.expired_tokens or not state.valid:
        return {
            "data": {
                "is_valid": False,
                "scopes": [],
                "error": {"code": 190, "message": FAULT_MESSAGES[190], "subcode": 463},
            }
        }
    return {
        "data": {
            "app_id": "100000000000001",
            "type": "SYSTEM_USER" if owner == "system" else "PAGE",
            "application": "socmon sandbox",
            "is_valid": True,
            "expires_at": _epoch(state.expires_at),
            "data_access_expires_at": _epoch(state.data_access_expires_at),
            "scopes": list(state.scopes),
            **({} if owner == "system" else {"profile_id": owner}),
        }
    }


def _epoch(moment: datetime | None) -> int:
    return int(moment.timestamp()) if moment else 0  # Graph's 0 means "never"


def business_routes(world: World, business: Business | None = None) -> list[Route]:
    """Routes to mount before the page routes (which would take /debug_token for a page id)."""
    known = business or BUSINESSES.get(world.business_id, Business())

    async def serve(request: Request, kind: str, build: Any) -> Response:
        world.calls[kind] += 1
        try:
            if not VERSION.fullmatch(request.path_params["ver"]):
                raise GraphError(400, 2635, "Unknown Graph API version")
            check_token_placement(request)
            return graph_json(world, build(), None)
        except GraphError as err:
            world.errors += 1
            return error_response(world, err, None)

    async def owned_pages(request: Request) -> Response:
        business_id = request.path_params["business_id"]
        return await serve(
            request,
            "owned_pages",
            lambda: owned_pages_body(world, known, request, business_id),
        )

    async def debug_token(request: Request) -> Response:
        return await serve(request, "debug_token", lambda: debug_token_body(world, known, request))

    return [
        Route("/{ver}/debug_token", debug_token),
        Route("/{ver}/{business_id}/owned_pages", owned_pages),
    ]
