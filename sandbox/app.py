"""The sandbox ASGI app: the four Graph endpoints socmon calls, plus /_sandbox/stats.

Errors use Graph's shape and codes, every reply carries the usage headers, and
tokens are only accepted in the Authorization header so a connector that leaks
them into URLs fails here first.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
from collections.abc import Callable
from functools import partial
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.graph import (
    ACCOUNT_FIELDS,
    FieldsError,
    parse_fields,
    render_page,
    render_roles,
    solid_png,
)
from sandbox.world import Page, World, digest

logger = logging.getLogger(__name__)

Body = Callable[[], dict[str, Any]]
VERSION = re.compile(r"v\d+\.\d+")
THROTTLE_CODES = {4, 17, 32, 613, 80001}
FAULT_MESSAGES = {
    1: "An unknown error has occurred.",
    2: "An unexpected error has occurred. Please retry your request later.",
    4: "(#4) Application request limit reached",
    10: "(#10) This endpoint requires the 'pages_read_engagement' permission",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    190: "Error validating access token: Session has expired.",
    200: "(#200) Requires pages_manage_metadata permission",
    613: "(#613) Calls to this api have exceeded the rate limit.",
}
EXPIRED_SUBCODE = 463
UNSUPPORTED = (
    "Unsupported get request. Object with ID '{}' does not exist, cannot be loaded due to "
    "missing permissions, or does not support this operation. Please read the Graph API "
    "documentation at https://developers.facebook.com/docs/graph-api"
)


class GraphError(Exception):
    """A Graph error reply: HTTP status, code, optional subcode."""

    def __init__(self, status: int, code: int, message: str, subcode: int | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.subcode = status, code, message, subcode


def create_app(world: World) -> Starlette:
    """The ASGI app serving `world`."""

    async def me_accounts(request: Request) -> Response:
        return await serve(request, "me_accounts", None, lambda: accounts_body(world, request))

    async def page(request: Request) -> Response:
        page_id = request.path_params["page_id"]
        return await serve(request, "page", page_id, lambda: page_body(world, request, page_id))

    async def roles(request: Request) -> Response:
        page_id = request.path_params["page_id"]
        return await serve(request, "roles", page_id, lambda: roles_body(world, request, page_id))

    async def assigned_users(request: Request) -> Response:
        page_id = request.path_params["page_id"]
        body = partial(assigned_users_body, world, request, page_id)
        return await serve(request, "assigned_users", page_id, body)

    async def serve(request: Request, kind: str, page_id: str | None, body: Body) -> Response:
        world.calls[kind] += 1
        if world.latency_ms:
            # The imitation's own response time, so benchmarks see realistic concurrency.
            await asyncio.sleep(world.latency_ms / 1000)
        try:
            if not VERSION.fullmatch(request.path_params["ver"]):
                raise GraphError(400, 2635, "Unknown Graph API version")
            check_token_placement(request)
            fault = world.take_fault(page_id)
            if fault is not None:
                raise fault_error(*fault)
            return graph_json(world, body(), page_id)
        except GraphError as err:
            world.errors += 1
            return error_response(world, err, page_id)

    async def unknown(request: Request) -> Response:
        what = request.url.path.strip("/").split("/")[-1]
        return error_response(world, GraphError(400, 100, UNSUPPORTED.format(what)), None)

    async def stats(request: Request) -> Response:
        return JSONResponse(world.stats())

    async def image(request: Request) -> Response:
        return Response(solid_png(request.path_params["name"]), media_type="image/png")

    routes = [
        Route("/_sandbox/stats", stats),
        Route("/_sandbox/img/{name}", image),
        Route("/{ver}/me/accounts", me_accounts),
        Route("/{ver}/{page_id}/roles", roles),
        Route("/{ver}/{page_id}/assigned_users", assigned_users),
        Route("/{ver}/{page_id}", page),
        Route("/{rest:path}", unknown),
    ]
    return Starlette(routes=routes)


def check_token_placement(request: Request) -> None:
    """Refuse tokens in the query string: real URLs end up in logs and proxies."""
    if "access_token" in request.query_params:
        raise GraphError(400, 190, "tokens must be sent in the Authorization header")


def bearer(request: Request) -> str:
    """The token from `Authorization: Bearer ...`."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise GraphError(400, 104, "An access token is required to request this resource.")
    return token.strip()


def authorise(world: World, request: Request) -> str:
    """Who the token belongs to: 'system' or a page id; 190 when unknown or expired."""
    token = bearer(request)
    owner = world.token_owner(token)
    if owner is None or token in world.expired_tokens:
        raise GraphError(400, 190, FAULT_MESSAGES[190], EXPIRED_SUBCODE)
    return owner


def accounts_body(world: World, request: Request) -> dict[str, Any]:
    """GET /me/accounts: the pages the system user manages, in pages of `limit`."""
    if authorise(world, request) != "system":
        raise GraphError(
            400, 100, "(#100) Tried accessing nonexisting field (accounts) on node type (Page)"
        )
    specs = parse_query_fields(request, "id,name,access_token,category,tasks")
    unknown = set(specs) - ACCOUNT_FIELDS
    if unknown:
        raise GraphError(400, 100, f"(#100) Tried accessing nonexisting field ({min(unknown)})")
    limit = min(int_param(request, "limit", 25), 100)
    start = decode_cursor(request.query_params.get("after"))
    listed = list(world.listed_pages())
    chosen = listed[start : start + limit]
    rows = [account_row(p, specs) for p in chosen]
    body: dict[str, Any] = {"data": rows}
    if chosen:
        after = encode_cursor(start + len(chosen))
        body["paging"] = {"cursors": {"before": encode_cursor(start), "after": after}}
        if start + len(chosen) < len(listed):
            body["paging"]["next"] = str(request.url.include_query_params(after=after))
    return body


def account_row(page: Page, specs: dict[str, Any]) -> dict[str, Any]:
    """One /me/accounts entry with the requested fields."""
    values: dict[str, Any] = {
        "id": page.id,
        "name": page.name,
        "access_token": page.token,
        "category": "School",
        "tasks": ["MANAGE", "CREATE_CONTENT", "MODERATE", "ADVERTISE", "ANALYZE"],
    }
    return {name: values[name] for name in specs} | {"id": page.id}


def own_page(world: World, request: Request, page_id: str) -> Page:
    """The page, readable only with its own page token (as comment authors and likes are)."""
    owner = authorise(world, request)
    found = world.page(page_id)
    if found is None:
        raise GraphError(400, 100, UNSUPPORTED.format(page_id), 33)
    if owner != page_id:
        raise GraphError(
            400, 210, "(#210) A page access token is required to request this resource."
        )
    return found


def page_body(world: World, request: Request, page_id: str) -> dict[str, Any]:
    """GET /{page_id}?fields=..."""
    found = own_page(world, request, page_id)
    specs = parse_query_fields(request, "id,name")
    try:
        return render_page(found, specs, str(request.base_url).rstrip("/"))
    except FieldsError as err:
        raise GraphError(400, 100, str(err)) from err


def roles_body(world: World, request: Request, page_id: str) -> dict[str, Any]:
    """GET /{page_id}/roles and /assigned_users: 403 on pages without the permission."""
    found = own_page(world, request, page_id)
    if page_id in world.roles_forbidden:
        raise GraphError(403, 200, FAULT_MESSAGES[200])
    specs = parse_query_fields(request, "id,name,tasks")
    try:
        return render_roles(found, specs)
    except FieldsError as err:
        raise GraphError(400, 100, str(err)) from err


def assigned_users_body(world: World, request: Request, page_id: str) -> dict[str, Any]:
    """GET /{page_id}/assigned_users?business=ID: the same shape as roles."""
    own_page(world, request, page_id)  # the token is checked before the parameters, as Graph does
    business = request.query_params.get("business")
    if not business:
        raise GraphError(400, 100, "(#100) The parameter business is required")
    if business != world.business_id:
        raise GraphError(400, 100, f"(#100) Invalid business id {business}")
    return roles_body(world, request, page_id)


def parse_query_fields(request: Request, default: str) -> dict[str, Any]:
    """The parsed `fields` parameter (Graph's default set when absent)."""
    try:
        return parse_fields(request.query_params.get("fields") or default)
    except FieldsError as err:
        raise GraphError(400, 100, str(err)) from err


def int_param(request: Request, name: str, default: int) -> int:
    """A positive integer query parameter."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise GraphError(400, 100, f"(#100) Param {name} must be a positive integer")
    return int(raw)


def encode_cursor(offset: int) -> str:
    """The after/before cursor for a position in the listing."""
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def decode_cursor(raw: str | None) -> int:
    """The position a cursor points at; a bad cursor is Graph's code 100."""
    if not raw:
        return 0
    try:
        prefix, _, number = base64.urlsafe_b64decode(raw.encode()).decode().partition(":")
        if prefix == "offset" and number.isdigit():
            return int(number)
    except (ValueError, UnicodeDecodeError):
        pass
    raise GraphError(400, 100, "(#100) The after cursor is not valid")


def fault_error(status: int, code: int | None) -> GraphError:
    """The Graph error for a planned fault (status, code)."""
    if code is None:
        code = 4 if status == 429 else 2 if status >= 500 else 1
    message = FAULT_MESSAGES.get(code, f"(#{code}) Planned sandbox fault")
    return GraphError(status, code, message, EXPIRED_SUBCODE if code == 190 else None)


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
    """JSON with X-App-Usage and X-Business-Use-Case-Usage (100 % when throttled)."""
    pct = 100 if throttled else world.usage_percent
    app_usage = {"call_count": pct, "total_cputime": pct, "total_time": pct}
    business = {
        page_id or world.business_id: [
            {
                "type": "pages",
                "call_count": pct,
                "total_cputime": pct,
                "total_time": pct,
                "estimated_time_to_regain_access": world.regain_minutes if throttled else 0,
            }
        ]
    }
    headers = {
        "X-App-Usage": json.dumps(app_usage),
        "X-Business-Use-Case-Usage": json.dumps(business),
    }
    return JSONResponse(body, status_code=status, headers=headers)
