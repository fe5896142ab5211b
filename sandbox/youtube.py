"""YouTube Data API v3 endpoints of the sandbox, and Google's OAuth token endpoint.

channels.list, playlistItems.list (uploads) and commentThreads.list, each costing
one unit of the day's quota, with Google's error envelope
({"error": {"code", "message", "errors": [{"reason"}], "status"}}). Public reads
take the API key in the `key` parameter; comment threads need the owner's access
token (from POST /oauth2/v4/token with the refresh token) in the Authorization header.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.social import YOUTUBE_CLIENT_ID, YOUTUBE_CLIENT_SECRET, SocialWorld, YtComment
from sandbox.youtube_grants import grant_token

STATUS_NAMES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                404: "NOT_FOUND"}  # fmt: skip


class YtError(Exception):
    """A Google API error: HTTP status, reason, message."""

    def __init__(self, status: int, reason: str, message: str, domain: str = "youtube") -> None:
        super().__init__(message)
        self.status, self.reason, self.message, self.domain = status, reason, message, domain


def _time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def routes(social: SocialWorld) -> list[Route]:
    """The YouTube and OAuth token routes."""

    async def serve(request: Request, kind: str, body: Callable[[], dict[str, Any]]) -> Response:
        social.calls[f"youtube_{kind}"] += 1
        try:
            if social.youtube_quota_left is not None:
                if social.youtube_quota_left <= 0:
                    raise YtError(
                        403,
                        "quotaExceeded",
                        "The request cannot be completed because you have exceeded your "
                        '<a href="/youtube/v3/getting-started#quota">quota</a>.',
                        "youtube.quota",
                    )
                social.youtube_quota_left -= 1
            return JSONResponse(body())
        except YtError as err:
            social.errors += 1
            error = {
                "code": err.status,
                "message": err.message,
                "errors": [{"message": err.message, "domain": err.domain, "reason": err.reason}],
                "status": STATUS_NAMES.get(err.status, "UNKNOWN"),
            }
            return JSONResponse({"error": error}, status_code=err.status)

    async def channels(request: Request) -> Response:
        return await serve(request, "channels", lambda: channels_body(social, request))

    async def playlist_items(request: Request) -> Response:
        return await serve(request, "playlist_items", lambda: playlist_body(social, request))

    async def threads(request: Request) -> Response:
        return await serve(request, "comment_threads", lambda: threads_body(social, request))

    async def comments(request: Request) -> Response:
        return await serve(request, "comments", lambda: comments_body(social, request))

    async def token(request: Request) -> Response:
        social.calls["youtube_token"] += 1
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        if form.get("refresh_token") in social.youtube_grants:
            return grant_token(social, form)
        good = (
            form.get("grant_type") == "refresh_token"
            and form.get("client_id") == YOUTUBE_CLIENT_ID
            and form.get("client_secret") == YOUTUBE_CLIENT_SECRET
        )
        if not good:
            social.errors += 1
            body = {
                "error": "invalid_client",
                "error_description": "The OAuth client was not found.",
            }
            return JSONResponse(body, status_code=401)
        if form.get("refresh_token") != social.youtube_refresh:
            social.errors += 1
            body = {
                "error": "invalid_grant",
                "error_description": "Token has been expired or revoked.",
            }
            return JSONResponse(body, status_code=400)
        access = f"ya29.sandbox-{len(social.youtube_access) + 1:04d}"
        social.youtube_access.add(access)
        scope = "https://www.googleapis.com/auth/youtube.force-ssl"
        return JSONResponse(
            {"access_token": access, "expires_in": 3599, "scope": scope, "token_type": "Bearer"}
        )

    return [
        Route("/youtube/v3/channels", channels),
        Route("/youtube/v3/playlistItems", playlist_items),
        Route("/youtube/v3/commentThreads", threads),
        Route("/youtube/v3/comments", comments),
        Route("/oauth2/v4/token", token, methods=["POST"]),
    ]


def _key(social: SocialWorld, request: Request) -> None:
    """Public reads need the API key in `key`."""
    key = request.query_params.get("key")
    if not key:
        raise YtError(403, "forbidden", "The request is missing a valid API key.", "global")
    if key != social.youtube_key:
        raise YtError(
            400, "badRequest", "API key not valid. Please pass a valid API key.", "global"
        )


def _page(items: list[dict[str, Any]], request: Request, kind: str) -> dict[str, Any]:
    raw = request.query_params.get("maxResults", "5")
    if not raw.isdigit() or not 0 <= int(raw) <= 100:
        raise YtError(400, "invalidParameter", f"Invalid value '{raw}' for maxResults")
    size = max(int(raw), 1)
    token = request.query_params.get("pageToken")
    start = int(base64.b64decode(token).decode()) if token else 0
    body: dict[str, Any] = {
        "kind": f"youtube#{kind}ListResponse",
        "etag": "sandbox",
        "pageInfo": {"totalResults": len(items), "resultsPerPage": size},
        "items": items[start : start + size],
    }
    if start + size < len(items):
        body["nextPageToken"] = base64.b64encode(str(start + size).encode()).decode()
    return body


def channels_body(social: SocialWorld, request: Request) -> dict[str, Any]:
    """channels.list?part=...&id=... (or mine=true with a channel's own access token)."""
    if request.query_params.get("mine") == "true":
        return mine_body(social, request)
    _key(social, request)
    base = str(request.base_url).rstrip("/")
    parts = set(request.query_params.get("part", "").split(","))
    items = []
    for channel_id in filter(None, request.query_params.get("id", "").split(",")):
        channel = social.youtube.get(channel_id)
        if channel is None:
            continue  # like YouTube: an unknown id is left out, not an error
        picture = f"{base}/_sandbox/img/yt-{channel.id}-picture.jpg"
        item: dict[str, Any] = {"kind": "youtube#channel", "etag": "sandbox", "id": channel.id}
        if "snippet" in parts:
            item["snippet"] = {
                "title": channel.title,
                "description": channel.description,
                "customUrl": channel.custom_url,
                "publishedAt": "2016-09-01T12:00:00Z",
                "thumbnails": {
                    size: {"url": picture, "width": px, "height": px}
                    for size, px in (("default", 88), ("medium", 240), ("high", 800))
                },
            }
        if "brandingSettings" in parts:
            item["brandingSettings"] = {
                "channel": {"title": channel.title, "description": channel.description},
                "image": {"bannerExternalUrl": f"{base}/_sandbox/img/yt-{channel.id}-banner.jpg"},
            }
        if "status" in parts:
            item["status"] = {"privacyStatus": channel.privacy, "isLinked": True}
        if "contentDetails" in parts:
            uploads = "UU" + channel.id[2:]
            item["contentDetails"] = {"relatedPlaylists": {"likes": "", "uploads": uploads}}
        items.append(item)
    return {"kind": "youtube#channelListResponse", "etag": "sandbox", "items": items,
            "pageInfo": {"totalResults": len(items), "resultsPerPage": 5}}  # fmt: skip


def playlist_body(social: SocialWorld, request: Request) -> dict[str, Any]:
    """playlistItems.list for a channel's uploads playlist (UU + the channel id's tail)."""
    _key(social, request)
    playlist = request.query_params.get("playlistId", "")
    channel = social.youtube.get("UC" + playlist[2:]) if playlist.startswith("UU") else None
    if channel is None:
        raise YtError(
            404, "playlistNotFound", "The playlist identified with the request's playlistId "
            "parameter cannot be found."
        )  # fmt: skip
    parts = set(request.query_params.get("part", "").split(","))
    items = []
    for video, when in channel.uploads:
        item: dict[str, Any] = {
            "kind": "youtube#playlistItem",
            "id": f"{playlist}.{video}",
            "contentDetails": {"videoId": video, "videoPublishedAt": _time(when)},
        }
        if "snippet" in parts:
            title, description = channel.video_text.get(video, (f"Video {video}", ""))
            item["snippet"] = {
                "publishedAt": _time(when), "channelId": channel.id, "title": title,
                "description": description, "playlistId": playlist,
                "resourceId": {"kind": "youtube#video", "videoId": video},
            }  # fmt: skip
        items.append(item)
    return _page(items, request, "playlistItem")


def _owner(social: SocialWorld, request: Request) -> str:
    """The channel whose own grant the access token is ("" for the shared grant)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or token.strip() not in social.youtube_access:
        raise YtError(401, "authError", "Request had invalid authentication credentials.", "global")
    return social.youtube_access_channel.get(token.strip(), "")


def mine_body(social: SocialWorld, request: Request) -> dict[str, Any]:
    """channels.list?mine=true: the channel the access token's grant belongs to."""
    granted = _owner(social, request)
    items = [{"kind": "youtube#channel", "etag": "sandbox", "id": granted}] if granted else []
    return {"kind": "youtube#channelListResponse", "etag": "sandbox", "items": items}


def comments_body(social: SocialWorld, request: Request) -> dict[str, Any]:
    """comments.list?parentId=...: every reply to one thread, paged."""
    granted = _owner(social, request)
    parent = request.query_params.get("parentId", "")
    for channel in social.youtube.values():
        for thread in channel.threads:
            if thread.id != parent:
                continue
            owned = {granted} if granted else social.youtube_owned
            if owned is not None and channel.id not in owned:
                raise YtError(403, "forbidden", "The comments could not be retrieved.")
            items = [render_comment(r, channel.id) for r in thread.replies]
            return _page(items, request, "comment")
    raise YtError(404, "commentNotFound", "The comment identified by parentId was not found.")


def render_comment(c: YtComment, channel_id: str) -> dict[str, Any]:
    """A comment resource as the owner's token sees it (viewerRating is the owner's)."""
    snippet = {
        "channelId": channel_id,
        "videoId": c.video_id,
        "textDisplay": c.text,
        "textOriginal": c.text,
        "authorDisplayName": c.author,
        "authorChannelId": {"value": c.author_channel},
        "canRate": True,
        "viewerRating": c.viewer_rating,
        "likeCount": 0,
        "moderationStatus": c.status,
        "publishedAt": _time(c.published),
        "updatedAt": _time(c.published),
    }
    if not c.video_id:
        del snippet["videoId"]
    return {"kind": "youtube#comment", "etag": "sandbox", "id": c.id, "snippet": snippet}


def threads_body(social: SocialWorld, request: Request) -> dict[str, Any]:
    """commentThreads.list?allThreadsRelatedToChannelId=...&moderationStatus=..."""
    granted = _owner(social, request)
    channel_id = request.query_params.get("allThreadsRelatedToChannelId", "")
    channel = social.youtube.get(channel_id)
    if channel is None:
        raise YtError(404, "channelNotFound", "The channel could not be found.")
    owned = {granted} if granted else social.youtube_owned
    if owned is not None and channel_id not in owned:
        raise YtError(
            403, "forbidden", "The comment thread could not be retrieved due to insufficient "
            "permissions. The request might not be properly authorized."
        )  # fmt: skip
    status = request.query_params.get("moderationStatus", "published")
    if status not in ("published", "heldForReview", "likelySpam"):
        raise YtError(400, "invalidModerationStatus", f"Invalid moderationStatus '{status}'")
    parts = set(request.query_params.get("part", "").split(","))
    items = []
    for thread in channel.threads:
        if thread.status != status:
            continue
        item: dict[str, Any] = {"kind": "youtube#commentThread", "etag": "sandbox", "id": thread.id}
        if "snippet" in parts:
            item["snippet"] = {
                "channelId": channel_id,
                "videoId": thread.video_id,
                "topLevelComment": render_comment(thread, channel_id),
                "canReply": True,
                "totalReplyCount": len(thread.replies),
                "isPublic": True,
            }
        if "replies" in parts and thread.replies:
            # A thread "doesn't necessarily contain all replies": YouTube carries a few.
            carried = thread.replies[: social.youtube_replies_carried]
            item["replies"] = {"comments": [render_comment(r, channel_id) for r in carried]}
        items.append(item)
    return _page(items, request, "commentThread")
