"""Instagram Graph endpoints of the sandbox: the account (with media and comments) and paging.

Instagram ids (17841..., media 179...) share the Graph URL space with page ids, so
they get their own path convertor and their routes are mounted before the page
routes. Errors, usage headers and token rules are the Graph ones of `sandbox.app`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.endpoints import (
    GraphError,
    authorise,
    check_token_placement,
    cursor_param,
    fault_error,
    int_param,
)
from sandbox.graph import FieldsError, FieldSpec, edge, parse_fields, require_known
from sandbox.social import IgAccount, IgComment, IgMedia
from sandbox.world import World

ACCOUNT_FIELDS = {
    "id", "username", "name", "biography", "website", "profile_picture_url", "media",
    "followers_count", "follows_count", "media_count", "ig_id",
}  # fmt: skip
MEDIA_FIELDS = {
    "id", "timestamp", "permalink", "comments_count", "is_comment_enabled", "comments",
    "caption", "media_type", "media_url", "like_count",
}  # fmt: skip
COMMENT_FIELDS = {"id", "text", "timestamp", "username", "hidden", "replies", "like_count"}
DEFAULT_LIMIT = 25

Json = Callable[..., Response]


class IgIdConvertor(Convertor[str]):
    """Instagram user and media ids in the sandbox: 17841... and 179... (page ids start 10/50)."""

    regex = "17[89][0-9]{10,}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("igid", IgIdConvertor())


def routes(world: World, graph_json: Json, error_response: Json) -> list[Route]:
    """The Instagram routes, answering with the Graph reply helpers of `sandbox.app`."""
    social = world.social

    async def serve(request: Request, kind: str, body: Callable[[], dict[str, Any]]) -> Response:
        social.calls[f"instagram_{kind}"] += 1
        node = request.path_params["node"]
        try:
            check_token_placement(request)
            fault = world.take_fault(node)
            if fault is not None:
                raise fault_error(*fault)
            return graph_json(world, body(), None)
        except GraphError as err:
            social.errors += 1
            return error_response(world, err, None)

    async def account(request: Request) -> Response:
        return await serve(request, "account", lambda: account_body(world, request))

    async def media(request: Request) -> Response:
        return await serve(request, "media", lambda: media_body(world, request))

    async def comments(request: Request) -> Response:
        return await serve(request, "comments", lambda: comments_body(world, request))

    async def replies(request: Request) -> Response:
        return await serve(request, "replies", lambda: replies_body(world, request))

    return [
        Route("/{ver}/{node:igid}", account),
        Route("/{ver}/{node:igid}/media", media),
        Route("/{ver}/{node:igid}/comments", comments),
        Route("/{ver}/{node:igid}/replies", replies),
    ]


def _account(world: World, request: Request, ig_id: str) -> IgAccount:
    """The account, readable with the system user's token or its linked page's token."""
    owner = authorise(world, request)
    found = world.social.instagram.get(ig_id)
    if found is None:
        raise GraphError(400, 100, f"Unsupported get request. Object with ID '{ig_id}'", 33)
    if owner not in ("system", found.page_id):
        raise GraphError(400, 10, "(#10) Application does not have permission for this action")
    return found


def _fields(request: Request, default: str) -> dict[str, FieldSpec]:
    try:
        return parse_fields(request.query_params.get("fields") or default)
    except FieldsError as err:
        raise GraphError(400, 100, str(err)) from err


def account_body(world: World, request: Request) -> dict[str, Any]:
    """GET /{ig_user_id}?fields=..."""
    ig_id = request.path_params["node"]
    found = _account(world, request, ig_id)
    specs = _fields(request, "id")
    base = str(request.base_url).rstrip("/")
    plain: dict[str, Any] = {
        "id": found.id, "ig_id": int(found.id[-6:]), "username": found.username,
        "name": found.name, "biography": found.biography, "website": found.website,
        "profile_picture_url": f"{base}/_sandbox/img/{found.id}-picture.jpg",
        "followers_count": 120, "follows_count": 10, "media_count": len(found.media),
    }  # fmt: skip
    try:
        require_known(specs, ACCOUNT_FIELDS, "IGUser")
        out: dict[str, Any] = {}
        for name, spec in specs.items():
            if name == "media":
                limit = spec.limit(DEFAULT_LIMIT)
                out["media"] = media_edge(request, found, spec.sub_text or "id", limit, 0)
            elif plain.get(name) not in (None, ""):
                out[name] = plain[name]
        return out | {"id": found.id}
    except FieldsError as err:
        raise GraphError(400, 100, str(err)) from err


def media_body(world: World, request: Request) -> dict[str, Any]:
    """GET /{ig_user_id}/media: further media after the first page."""
    found = _account(world, request, request.path_params["node"])
    limit, offset = int_param(request, "limit", DEFAULT_LIMIT), cursor_param(request)
    try:
        return media_edge(request, found, request.query_params.get("fields") or "id", limit, offset)
    except FieldsError as err:
        raise GraphError(400, 100, str(err)) from err


def comments_body(world: World, request: Request) -> dict[str, Any]:
    """GET /{media_id}/comments: further comments of one media item."""
    media_id = request.path_params["node"]
    owner = next(
        (a for a in world.social.instagram.values() if any(m.id == media_id for m in a.media)),
        None,
    )
    if owner is None:
        raise GraphError(400, 100, f"Unsupported get request. Object with ID '{media_id}'", 33)
    _account(world, request, owner.id)
    item = next(m for m in owner.media if m.id == media_id)
    limit, offset = int_param(request, "limit", DEFAULT_LIMIT), cursor_param(request)
    fields = request.query_params.get("fields") or "id,text,timestamp"
    try:
        return comments_edge(request, item.id, item.comments, fields, limit, offset)
    except FieldsError as err:
        raise GraphError(400, 100, str(err)) from err


def replies_body(world: World, request: Request) -> dict[str, Any]:
    """GET /{comment_id}/replies: further replies to one comment."""
    comment_id = request.path_params["node"]
    for account in world.social.instagram.values():
        for item in account.media:
            for comment in item.comments:
                if comment.id == comment_id:
                    _account(world, request, account.id)
                    limit = int_param(request, "limit", DEFAULT_LIMIT)
                    offset = cursor_param(request)
                    fields = request.query_params.get("fields") or "id,text,timestamp"
                    try:
                        return comments_edge(
                            request, comment_id, comment.replies, fields, limit, offset, "replies"
                        )
                    except FieldsError as err:
                        raise GraphError(400, 100, str(err)) from err
    raise GraphError(400, 100, f"Unsupported get request. Object with ID '{comment_id}'", 33)


def _api(request: Request) -> str:
    return f"{str(request.base_url).rstrip('/')}/{request.path_params['ver']}"


def media_edge(
    request: Request, account: IgAccount, fields: str, limit: int, offset: int
) -> dict[str, Any]:
    """`limit` media from `offset`, newest first."""
    specs = parse_fields(fields)
    require_known(specs, MEDIA_FIELDS, "IGMedia")
    chosen = account.media[offset : offset + limit]
    rows = [render_media(request, m, specs) for m in chosen]
    more = offset + len(chosen) < len(account.media)
    params = {"fields": fields, "limit": str(limit)} if more else None
    return edge(rows, offset, f"{_api(request)}/{account.id}/media", params)


def render_media(request: Request, item: IgMedia, specs: dict[str, FieldSpec]) -> dict[str, Any]:
    """One media item with the requested fields; comments honour their limit."""
    values: dict[str, Any] = {
        "id": item.id, "timestamp": item.timestamp.strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "permalink": item.permalink, "comments_count": _count(item.comments),
        "is_comment_enabled": item.comments_enabled, "caption": item.caption, "media_type": "IMAGE",
        "media_url": f"{str(request.base_url).rstrip('/')}/_sandbox/img/{item.id}.jpg",
        "like_count": 3,
    }  # fmt: skip
    out: dict[str, Any] = {}
    for name, spec in specs.items():
        if name == "comments":
            limit = spec.limit(DEFAULT_LIMIT)
            fields = spec.sub_text or "id,text,timestamp"
            out["comments"] = comments_edge(request, item.id, item.comments, fields, limit, 0)
        elif values[name] != "":
            out[name] = values[name]
    return out


def _count(comments: list[IgComment]) -> int:
    return sum(1 + len(c.replies) for c in comments)


def comments_edge(
    request: Request,
    parent_id: str,
    comments: list[IgComment],
    fields: str,
    limit: int,
    offset: int,
    edge_name: str = "comments",
) -> dict[str, Any]:
    """`limit` comments (or replies) from `offset`, oldest first."""
    specs = parse_fields(fields)
    require_known(specs, COMMENT_FIELDS, "IGComment")
    chosen = comments[offset : offset + limit]
    rows = [render_comment(request, c, specs) for c in chosen]
    more = offset + len(chosen) < len(comments)
    params = {"fields": fields, "limit": str(limit)} if more else None
    return edge(rows, offset, f"{_api(request)}/{parent_id}/{edge_name}", params)


def render_comment(request: Request, c: IgComment, specs: dict[str, FieldSpec]) -> dict[str, Any]:
    """One comment; replies as a nested edge when asked for."""
    values: dict[str, Any] = {
        "id": c.id, "text": c.text, "timestamp": c.timestamp.strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "username": c.username, "hidden": c.hidden, "like_count": 0,
    }  # fmt: skip
    out: dict[str, Any] = {}
    for name, spec in specs.items():
        if name == "replies":
            if c.replies:  # Graph leaves an empty edge out
                fields = spec.sub_text or "id,text,timestamp"
                limit = spec.limit(DEFAULT_LIMIT)
                out["replies"] = comments_edge(
                    request, c.id, c.replies, fields, limit, 0, "replies"
                )
        else:
            out[name] = values[name]
    return out
