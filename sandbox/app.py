"""The sandbox ASGI app: the four Graph endpoints socmon calls, plus /_sandbox/stats.

Errors use Graph's shape and codes, every reply carries the usage headers, and
tokens are only accepted in the Authorization header so a connector that leaks
them into URLs fails here first.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox import instagram, x, youtube, youtube_grants
from sandbox.business import business_routes
from sandbox.endpoints import (
    UNSUPPORTED,
    GraphError,
    accounts_body,
    assigned_users_body,
    check_token_placement,
    comments_body,
    fault_error,
    page_body,
    posts_body,
    roles_body,
)
from sandbox.images import image_route
from sandbox.replies import VERSION, error_response, graph_json
from sandbox.world import World

Body = Callable[[], dict[str, Any]]


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

    async def posts(request: Request) -> Response:
        page_id = request.path_params["page_id"]
        body = partial(posts_body, world, request, page_id)
        return await serve(request, "posts", page_id, body)

    async def comments(request: Request) -> Response:
        post_id = request.path_params["post_id"]
        body = partial(comments_body, world, request, post_id)
        return await serve(request, "comments", post_id.partition("_")[0], body)

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
        social = {"social": world.social.stats(), "images": dict(world.images)}
        # The sandbox's own CPU: the benchmark shares two cores with it and says so.
        return JSONResponse(world.stats() | social | {"cpu_seconds": time.process_time()})

    routes = [
        Route("/_sandbox/stats", stats),
        # Banners and pictures, some with the district logo (sandbox.images).
        image_route(world.image_variant, counts=world.images),
        *business_routes(world),
        *x.routes(world.social),
        *youtube.routes(world.social),
        *youtube_grants.routes(world.social),
        *instagram.routes(world, graph_json, error_response),
        Route("/{ver}/me/accounts", me_accounts),
        Route("/{ver}/{page_id}/roles", roles),
        Route("/{ver}/{page_id}/assigned_users", assigned_users),
        Route("/{ver}/{page_id}/posts", posts),
        Route("/{ver}/{post_id}/comments", comments),
        Route("/{ver}/{page_id}", page),
        Route("/{rest:path}", unknown),
    ]
    return Starlette(routes=routes)
