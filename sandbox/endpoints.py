"""Request bodies of the Graph endpoints: who the token is, which page, which fields.

Each function returns the JSON body or raises `GraphError`; `sandbox.app` turns
that into a reply with the usage headers.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request

from sandbox.graph import (
    ACCOUNT_FIELDS,
    DEFAULT_COMMENT,
    DEFAULT_POST,
    DEFAULT_ROLES_LIMIT,
    ROLE_EDGES,
    FieldsError,
    Where,
    comments_edge,
    decode_cursor,
    encode_cursor,
    parse_fields,
    posts_edge,
    render_page,
    render_roles,
)
from sandbox.world import Page, World

logger = logging.getLogger(__name__)

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
    start = cursor_param(request)
    listed = world.listed_ids()
    chosen = [page for i in listed[start : start + limit] if (page := world.page(i)) is not None]
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
    """GET /{page_id}?fields=...; a refused role edge refuses the whole request, as Graph does."""
    found = own_page(world, request, page_id)
    specs = parse_query_fields(request, "id,name")
    for name in ROLE_EDGES:
        if name in specs:
            check_role_access(world, page_id, name, specs[name].modifiers.get("business"))
    try:
        return render_page(found, specs, where(request))
    except FieldsError as err:
        raise GraphError(400, 100, str(err)) from err


def posts_body(world: World, request: Request, page_id: str) -> dict[str, Any]:
    """GET /{page_id}/posts: further posts after the ones the page call returned."""
    found = own_page(world, request, page_id)
    fields = request.query_params.get("fields") or DEFAULT_POST
    limit, offset = int_param(request, "limit", 25), cursor_param(request)
    try:
        return posts_edge(found, fields, limit, offset, where(request))
    except FieldsError as err:
        raise GraphError(400, 100, str(err)) from err


def comments_body(world: World, request: Request, post_id: str) -> dict[str, Any]:
    """GET /{post_id}/comments: further comments of one post (post ids are PAGE_N)."""
    page_id = post_id.partition("_")[0]
    found = own_page(world, request, page_id)
    post = next((p for p in found.posts if p.id == post_id), None)
    if post is None:
        raise GraphError(400, 100, UNSUPPORTED.format(post_id), 33)
    fields = request.query_params.get("fields") or DEFAULT_COMMENT
    limit, offset = int_param(request, "limit", 25), cursor_param(request)
    stream = request.query_params.get("filter") == "stream"
    newest_first = request.query_params.get("order") == "reverse_chronological"
    try:
        return comments_edge(
            found, post, fields, limit, offset, stream, where(request), newest_first=newest_first
        )
    except FieldsError as err:
        raise GraphError(400, 100, str(err)) from err


def where(request: Request) -> Where:
    """This server's address and the API version of the request."""
    return Where(str(request.base_url).rstrip("/"), request.path_params["ver"])


def cursor_param(request: Request) -> int:
    """The offset of the `after` cursor (0 without one)."""
    try:
        return decode_cursor(request.query_params.get("after"))
    except FieldsError as err:
        raise GraphError(400, 100, str(err)) from err


def check_role_access(world: World, page_id: str, edge: str, business: str | None) -> None:
    """Refuse a role edge the way Graph does: permission first, then the business parameter."""
    if page_id in world.roles_forbidden:
        raise GraphError(403, 200, FAULT_MESSAGES[200])
    if edge != "assigned_users":
        return
    if not business:
        raise GraphError(400, 100, "(#100) The parameter business is required")
    if business != world.business_id:
        raise GraphError(400, 100, f"(#100) Invalid business id {business}")


def roles_body(world: World, request: Request, page_id: str) -> dict[str, Any]:
    """GET /{page_id}/roles: 403 on pages without the permission."""
    return role_edge_body(world, request, page_id, "roles")


def assigned_users_body(world: World, request: Request, page_id: str) -> dict[str, Any]:
    """GET /{page_id}/assigned_users?business=ID: the same shape as roles."""
    return role_edge_body(world, request, page_id, "assigned_users")


def role_edge_body(world: World, request: Request, page_id: str, edge: str) -> dict[str, Any]:
    """One page of a role edge; the token is checked before the parameters, as Graph does."""
    found = own_page(world, request, page_id)
    business = request.query_params.get("business")
    check_role_access(world, page_id, edge, business)
    fields = request.query_params.get("fields") or "id,name,tasks"
    limit, offset = int_param(request, "limit", DEFAULT_ROLES_LIMIT), cursor_param(request)
    path = f"{where(request).api}/{page_id}/{edge}"
    query = {"business": business} if business else {}
    try:
        return render_roles(found, fields, limit, offset, path, query)
    except FieldsError as err:
        raise GraphError(400, 100, str(err)) from err


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


def fault_error(status: int, code: int | None) -> GraphError:
    """The Graph error for a planned fault (status, code)."""
    if code is None:
        code = 4 if status == 429 else 2 if status >= 500 else 1
    message = FAULT_MESSAGES.get(code, f"(#{code}) Planned sandbox fault")
    return GraphError(status, code, message, EXPIRED_SUBCODE if code == 190 else None)
