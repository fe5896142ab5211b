"""X API v2 endpoints of the sandbox: user lookup, user timeline, recent search.

Replies as X gives them: problem JSON for HTTP errors (title, detail, type, status),
HTTP 200 with an `errors` list for a missing user or a protected timeline, and the
x-rate-limit-limit/remaining/reset headers on every reply, with a 429 once an
endpoint family's 15-minute window is spent. The bearer token goes in the
Authorization header only.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.social import X_LIMITS, SocialWorld, XPost, XUser

PROBLEMS = "https://api.twitter.com/2/problems/"
SEARCH_DAYS = 7
_QUERY = re.compile(r"^conversation_id:(\d+)(?: OR conversation_id:(\d+))*$")


class XError(Exception):
    """An HTTP error reply in X's problem shape."""

    def __init__(self, status: int, title: str, detail: str, type_: str = "about:blank"):
        super().__init__(detail)
        self.status, self.title, self.detail, self.type = status, title, detail, type_


def _time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def routes(social: SocialWorld) -> list[Route]:
    """The X routes."""

    async def serve(
        request: Request, family: str, kind: str, body: Callable[[], dict[str, Any]]
    ) -> Response:
        social.calls[f"x_{kind}"] += 1
        remaining, reset = social.x_window(family)
        headers = {
            "x-rate-limit-limit": str(X_LIMITS.get(family, 0)),
            "x-rate-limit-remaining": str(max(remaining, 0)),
            "x-rate-limit-reset": str(reset),
        }
        try:
            _authorise(social, request)
            if social.x_capped:
                # The monthly cap: a 429 while the window headers still look healthy.
                raise XError(
                    429,
                    "UsageCapExceeded",
                    "Usage cap exceeded: Monthly product cap",
                    f"{PROBLEMS}usage-capped",
                )
            if remaining < 0:
                raise XError(429, "Too Many Requests", "Too Many Requests")
            return JSONResponse(body(), headers=headers)
        except XError as err:
            social.errors += 1
            problem = {"title": err.title, "detail": err.detail, "type": err.type}
            problem["status"] = err.status  # type: ignore[assignment]
            return JSONResponse(problem, status_code=err.status, headers=headers)

    async def by_username(request: Request) -> Response:
        name = request.path_params["username"]
        return await serve(request, "users", "user", lambda: user_body(social, request, name))

    async def by_id(request: Request) -> Response:
        user_id = request.path_params["user_id"]
        return await serve(request, "users", "user", lambda: user_body(social, request, user_id))

    async def tweets(request: Request) -> Response:
        user_id = request.path_params["user_id"]
        body = lambda: timeline_body(social, request, user_id)  # noqa: E731
        return await serve(request, "tweets", "timeline", body)

    async def search(request: Request) -> Response:
        return await serve(request, "search", "search", lambda: search_body(social, request))

    return [
        Route("/2/users/by/username/{username}", by_username),
        Route("/2/users/{user_id:int}", by_id),
        Route("/2/users/{user_id}/tweets", tweets),
        Route("/2/tweets/search/recent", search),
    ]


def _authorise(social: SocialWorld, request: Request) -> None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or token.strip() != social.x_token:
        raise XError(401, "Unauthorized", "Unauthorized")


def _invalid(detail: str) -> XError:
    return XError(400, "Invalid Request", detail, PROBLEMS + "invalid-request")


def _max_results(request: Request, low: int, high: int, default: int) -> int:
    raw = request.query_params.get("max_results")
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise _invalid(
            f"The `max_results` query parameter value [{raw}] is not between {low} and {high}"
        )
    return int(raw)


def _not_found(value: str, parameter: str) -> dict[str, Any]:
    return {
        "errors": [
            {
                "value": value,
                "detail": f"Could not find user with {parameter}: [{value}].",
                "title": "Not Found Error",
                "resource_type": "user",
                "parameter": parameter,
                "resource_id": value,
                "type": PROBLEMS + "resource-not-found",
            }
        ]
    }


def user_body(social: SocialWorld, request: Request, key: str | int) -> dict[str, Any]:
    """GET /2/users/by/username/{u} or /2/users/{id}."""
    if isinstance(key, int):
        user = social.x_users.get(str(key))
        if user is None:
            return _not_found(str(key), "id")
    else:
        user = social.x_user_by_name(key)
        if user is None:
            return _not_found(key, "username")
    fields = set(filter(None, request.query_params.get("user.fields", "").split(",")))
    return {"data": render_user(request, user, fields)}


def render_user(request: Request, user: XUser, fields: set[str]) -> dict[str, Any]:
    """The user object: id, name, username always; the rest when asked for."""
    base = str(request.base_url).rstrip("/")
    short = f"https://t.co/{user.id[-10:]}"
    newest = user.posts[0].id if user.posts else None
    values: dict[str, Any] = {
        "description": user.description,
        "url": short if user.url else "",
        "entities": {"url": {"urls": [{"url": short, "expanded_url": user.url}]}}
        if user.url
        else None,
        "profile_image_url": f"{base}/_sandbox/img/x-{user.id}-picture.jpg",
        "profile_banner_url": f"{base}/_sandbox/img/x-{user.id}-banner.jpg"
        if user.banner
        else None,
        "protected": user.protected,
        # Like X, the newest post id is only shown when the posts are visible.
        "most_recent_tweet_id": None if user.protected else newest,
        "created_at": "2015-08-20T16:00:00.000Z",
        "verified_type": "none",
    }
    out = {"id": user.id, "name": user.name, "username": user.username}
    for name in sorted(fields):
        if name not in values:
            raise _invalid(f"The `user.fields` query parameter value [{name}] is not one of [...]")
        if values[name] not in (None, ""):
            out[name] = values[name]
    return out


def render_post(post: XPost, fields: set[str]) -> dict[str, Any]:
    """A post with the requested tweet.fields."""
    values: dict[str, Any] = {
        "created_at": _time(post.created_at),
        "reply_settings": post.reply_settings,
        "conversation_id": post.id,
        "public_metrics": {
            "retweet_count": 0, "reply_count": len(post.replies), "like_count": 4,
            "quote_count": 0, "bookmark_count": 0, "impression_count": 250,
        },
    }  # fmt: skip
    if post.media:
        values["attachments"] = {"media_keys": [m["media_key"] for m in post.media]}
    out: dict[str, Any] = {"id": post.id, "text": post.text, "edit_history_tweet_ids": [post.id]}
    return out | {name: values[name] for name in fields if name in values}


def _page(rows: list[dict[str, Any]], request: Request, size: int) -> dict[str, Any]:
    """One page of results with X's meta and an opaque next_token."""
    raw = request.query_params.get("pagination_token") or request.query_params.get("next_token")
    start = int(base64.b64decode(raw).decode()) if raw else 0
    chosen = rows[start : start + size]
    meta: dict[str, Any] = {"result_count": len(chosen)}
    if chosen:
        meta |= {"newest_id": chosen[0]["id"], "oldest_id": chosen[-1]["id"]}
    if start + size < len(rows):
        meta["next_token"] = base64.b64encode(str(start + size).encode()).decode()
    body: dict[str, Any] = {"meta": meta}
    if chosen:
        body["data"] = chosen  # like X, no `data` key at all when nothing matched
    return body


def timeline_body(social: SocialWorld, request: Request, user_id: str) -> dict[str, Any]:
    """GET /2/users/{id}/tweets: original posts, newest first."""
    user = social.x_users.get(user_id)
    if user is None:
        return _not_found(user_id, "id")
    if user.protected:
        return {
            "errors": [
                {
                    "title": "Authorization Error",
                    "detail": f"Sorry, you are not authorized to see the user with id: [{user_id}].",
                    "resource_type": "user",
                    "resource_id": user_id,
                    "type": PROBLEMS + "not-authorized-for-resource",
                }
            ]
        }
    size = _max_results(request, 5, 100, 10)
    fields = set(request.query_params.get("tweet.fields", "").split(","))
    body = _page([render_post(p, fields) for p in user.posts], request, size)
    shown = {row["id"] for row in body.get("data", [])}
    wanted = set(request.query_params.get("media.fields", "").split(",")) | {"media_key"}
    media = [
        {k: v for k, v in m.items() if k in wanted}
        for p in user.posts
        if p.id in shown
        for m in p.media
    ]
    if media and "attachments.media_keys" in request.query_params.get("expansions", ""):
        body["includes"] = {"media": media}
    return body


def search_body(social: SocialWorld, request: Request) -> dict[str, Any]:
    """GET /2/tweets/search/recent for `conversation_id:A OR conversation_id:B` (7 days back)."""
    query = request.query_params.get("query", "")
    if not _QUERY.match(query):
        raise _invalid("The sandbox only understands conversation_id:ID [OR ...] queries")
    wanted = set(re.findall(r"conversation_id:(\d+)", query))
    size = _max_results(request, 10, 100, 10)
    since = social.clock() - timedelta(days=SEARCH_DAYS)
    fields = set(request.query_params.get("tweet.fields", "").split(","))
    rows: list[dict[str, Any]] = []
    for user in social.x_users.values():
        for post in user.posts:
            if post.id not in wanted or user.protected:
                continue
            for reply in post.replies:
                if reply.created_at < since:
                    continue  # recent search does not reach older replies
                values = {
                    "created_at": _time(reply.created_at),
                    "author_id": reply.author_id,
                    "conversation_id": post.id,
                    "referenced_tweets": [{"type": "replied_to", "id": reply.replied_to}],
                    "in_reply_to_user_id": user.id,
                }
                row: dict[str, Any] = {
                    "id": reply.id,
                    "text": reply.text,
                    "edit_history_tweet_ids": [reply.id],
                }
                rows.append(row | {k: v for k, v in values.items() if k in fields})
    rows.sort(key=lambda r: int(str(r["id"])), reverse=True)
    return _page(rows, request, size)
