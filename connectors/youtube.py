"""YouTube Data API v3 connector: channel, latest uploads, comment threads, daily quota.

Public data (channel, uploads) is read with the project's API key. YouTube takes
API keys only as the `key` query parameter: the one exception to "tokens in
headers". The key therefore appears in request URLs; `request_json` never puts a
query string in a message, this module scrubs the key from every error text, and
the daemon's log filter redacts the configured secret values (httpx logs URLs).
Comment threads need the channel owner's OAuth access token (from the refresh
token, in the Authorization header): without it COMMENTS is unexposed. Both the
published and the held-for-review threads are read, since counting only held
comments would hide the published ones nobody answered.

Quota: every list call costs 1 unit of the project's daily quota (search, 100
units, is never used). `DailyQuota` stops before the configured quota and, like
a `quotaExceeded` reply, raises RateLimited until midnight Pacific time, when
Google resets it.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import httpx

from connectors.base import (
    AccountSnapshot,
    AuthFailed,
    ConnectorError,
    Fact,
    NotFound,
    PermissionMissing,
    Post,
    RateLimited,
    SyncMark,
    Unavailable,
)
from connectors.budget import CallBudget, Tally
from connectors.http import RetryPolicy, request_json
from connectors.options import ReadOptions
from connectors.parsing import as_dict, as_text, parse_time, require_dict
from connectors.sync import SyncLedger
from connectors.youtube_comments import ThreadReader, map_threads
from connectors.youtube_quota import DailyQuota

logger = logging.getLogger(__name__)

TOKEN_PATH = "/oauth2/v4/token"
API_PATH = "/youtube/v3"
QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded"}
SHORT_LIMIT_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
AUTH_REASONS = {"keyInvalid", "keyExpired", "authError", "API_KEY_INVALID", "invalid_grant"}
DEFAULT_RETRY_AFTER = 60.0
NO_OAUTH = (
    "held comments and the channel's likes need the channel's own grant "
    "(run 'socmon connect youtube ACCOUNT')"
)
_URL = re.compile(r"https?://[^\s<>\"']+")


def _redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text


def google_reason(response: httpx.Response) -> tuple[str, str]:
    """(first error reason, message) of a Google error body; ('', '') when absent."""
    try:
        body = response.json()
    except ValueError:
        return "", ""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, str):  # the OAuth token endpoint: {"error": "invalid_grant", ...}
        return error, str(body.get("error_description", ""))
    if not isinstance(error, dict):
        return "", ""
    reasons = [e.get("reason") for e in error.get("errors", []) if isinstance(e, dict)]
    details = [d.get("reason") for d in error.get("details", []) if isinstance(d, dict)]
    reason = next((str(r) for r in reasons + details if isinstance(r, str) and r), "")
    return reason, str(error.get("message", ""))


class CommentsDisabled(ConnectorError):
    """The channel turned comments off (403 commentsDisabled)."""

    kind = "comments_disabled"

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


def classify_youtube_error(
    response: httpx.Response, quota: DailyQuota, secrets: tuple[str, ...] = ()
) -> ConnectorError | None:
    """Map a YouTube (or Google OAuth) reply to a typed error; secrets scrubbed from the text."""
    status = response.status_code
    if 200 <= status < 300:
        return None
    reason, message = google_reason(response)
    said = _redact(f"YouTube said (HTTP {status}, {reason or 'no reason'}): {message}", secrets)
    said = said[:240]
    if reason in QUOTA_REASONS:
        quota.spend_all()
        return quota.exhausted(f"exceeded. {said}")
    if reason in SHORT_LIMIT_REASONS or status == 429:
        return RateLimited(f"YouTube rate limit. {said}", retry_after=DEFAULT_RETRY_AFTER)
    if reason in AUTH_REASONS or status == 401 or "API key not valid" in message:
        return AuthFailed(f"YouTube credential rejected. {said}")
    if reason == "commentsDisabled":
        return CommentsDisabled(f"comments are disabled. {said}")
    if status == 403:
        return PermissionMissing(f"YouTube permission missing. {said}")
    if status == 404:
        return NotFound(f"YouTube resource not found. {said}")
    if status >= 500:
        return Unavailable(f"YouTube unavailable. {said}")
    return ConnectorError(f"YouTube refused the request. {said}", permanent=True)


class YouTubeConnector(ThreadReader):
    """Reads YouTube channels (by channel id, UC...) into AccountSnapshots."""

    platform = "youtube"

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        base_url: str,
        api_key: str,
        oauth: dict[str, str] | None = None,
        client_credentials: dict[str, str] | None = None,
        grants: Mapping[str, str] | None = None,
        token_path: str = TOKEN_PATH,
        read: ReadOptions = ReadOptions(),
        quota: DailyQuota | None = None,
        daily_quota: int = 10_000,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], datetime],
    ) -> None:
        self._client = client
        self._base = base_url.rstrip("/")
        self._key = api_key
        # {"client_id", "client_secret", "refresh_token"}: one grant used for every channel
        # (the older set-up; it answers only for the channel that made it).
        self._oauth = oauth
        # {"client_id", "client_secret"} of the OAuth client, and channel id -> its own grant.
        self._client_credentials = client_credentials or (
            {k: oauth[k] for k in ("client_id", "client_secret")} if oauth else None
        )
        self._grants = dict(grants or {})
        self._token_url = f"{self._base}/{token_path.lstrip('/')}"
        self._max_posts = min(read.max_posts, 50)
        self._max_comments = min(read.max_comments, 100)
        self._max_calls = read.max_calls_per_account
        self._horizon_days = read.comment_horizon_days
        self.quota = quota or DailyQuota(daily_quota, clock)
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._access: dict[str, tuple[str, datetime]] = {}  # refresh token -> access token
        self._access_lock = asyncio.Lock()
        self.youtube_calls = 0

    def _secrets(self) -> tuple[str, ...]:
        oauth = self._oauth or {}
        client = self._client_credentials or {}
        return (
            self._key,
            oauth.get("refresh_token", ""),
            client.get("client_secret", ""),
            *self._grants.values(),
            *(access for access, _ in self._access.values()),
        )

    def grant_for(self, channel_id: str) -> str | None:
        """The refresh token that answers for this channel: its own grant, else the shared one."""
        if self._client_credentials is None:
            return None
        if channel_id in self._grants:
            return self._grants[channel_id]
        return self._oauth["refresh_token"] if self._oauth else None

    async def _list(self, resource: str, params: dict[str, str], grant: str | None = None) -> Any:
        """One `list` call (1 quota unit): with the API key, or the channel's access token."""

        async def before() -> None:
            self.quota.charge(1)
            self.youtube_calls += 1

        headers: dict[str, str] = {}
        if grant is not None:
            headers["Authorization"] = f"Bearer {await self._access_token(grant)}"
        else:
            params = {**params, "key": self._key}
        body = await request_json(
            self._client,
            "GET",
            f"{self._base}{API_PATH}/{resource}",
            params=params,
            headers=headers,
            classify=lambda r: classify_youtube_error(r, self.quota, self._secrets()),
            retry=self._retry,
            sleep=self._sleep,
            before_request=before,
        )
        return require_dict(body, resource)

    async def _access_token(self, refresh_token: str) -> str:
        """A valid access token for one grant, refreshed when missing or expiring."""
        async with self._access_lock:
            now = self._clock()
            cached = self._access.get(refresh_token)
            if cached is not None and cached[1] > now + timedelta(seconds=60):
                return cached[0]
            assert self._client_credentials is not None
            form = {
                "grant_type": "refresh_token",
                **self._client_credentials,
                "refresh_token": refresh_token,
            }
            try:
                response = await self._client.post(self._token_url, data=form)
            except httpx.TransportError as exc:
                raise Unavailable(f"YouTube token refresh failed: {type(exc).__name__}") from exc
            error = classify_youtube_error(response, self.quota, self._secrets())
            if error is not None and error.permanent:
                # Any refusal of the refresh itself needs a person to re-authorise the channel.
                raise AuthFailed(f"YouTube OAuth refresh token rejected. {error}")
            if error is not None:
                raise error
            try:
                body = require_dict(response.json(), "token")
            except ValueError:
                raise Unavailable("YouTube token refresh: malformed JSON in the reply") from None
            token, expires = body.get("access_token"), body.get("expires_in", 3600)
            if not isinstance(token, str) or not token:
                raise Unavailable("YouTube token refresh: no access_token in the reply")
            seconds = float(expires) if isinstance(expires, int | float) else 3600.0
            self._access[refresh_token] = (token, now + timedelta(seconds=seconds))
            return token

    async def fetch(self, platform_id: str) -> AccountSnapshot:
        """Fetch one channel: profile, latest uploads, and comment threads when allowed."""
        return await self.fetch_since(platform_id, {})

    async def fetch_since(self, platform_id: str, known: Mapping[str, SyncMark]) -> AccountSnapshot:
        """Fetch one channel, listing replies only of threads changed since their settled read."""
        ledger = SyncLedger(known)
        budget = CallBudget(self._max_calls)
        budget.take()
        params = {"part": "snippet,brandingSettings,status,contentDetails", "id": platform_id}
        body = await self._list("channels", params)
        items = body.get("items", [])
        if not isinstance(items, list):
            raise Unavailable("malformed reply from channels: items is not a list")
        if not items:
            raise NotFound(f"YouTube channel {platform_id} not found")
        channel = as_dict(items[0])
        if not channel.get("id"):
            raise Unavailable("malformed reply from channels: a channel without id")
        unexposed: dict[Fact, str] = {
            Fact.EMAILS: "YouTube does not expose contact emails",
            Fact.ADMINS: "YouTube does not list channel managers",
            Fact.COMMENT_SETTING: "YouTube does not reliably expose the channel's comment setting",
        }
        uploads = as_text(
            as_dict(as_dict(channel.get("contentDetails")).get("relatedPlaylists")).get("uploads")
        )
        posts = await self._uploads(uploads) if uploads and budget.take() else []
        last_post_at = max((p.created_at for p in posts), default=None)
        comment_setting = ""
        tally = Tally(self._horizon_days, noun="comment thread", scope="active")
        # The channel's own replies are read with the comments (the channel's grant only).
        own_replies_read = False
        grant = self.grant_for(platform_id)
        if grant is None:
            unexposed[Fact.COMMENTS] = NO_OAUTH
        else:
            try:
                threads = await self._threads(
                    platform_id, "published", grant, budget, tally, ledger
                )
                threads += await self._threads(
                    platform_id, "heldForReview", grant, budget, tally, ledger
                )
            except CommentsDisabled:
                comment_setting = "off"
                unexposed.pop(Fact.COMMENT_SETTING)
                own_replies_read = True
            except PermissionMissing:
                unexposed[Fact.COMMENTS] = (
                    "the OAuth credential may not read this channel's comments (it must be the "
                    "channel owner's)"
                )
            else:
                posts = map_threads(threads, platform_id, posts)
                own_replies_read = True
        snapshot = self._snapshot(
            platform_id, channel, posts, last_post_at, comment_setting, unexposed
        )
        snapshot = replace(snapshot, post_text_read=own_replies_read)
        if Fact.COMMENTS in unexposed or comment_setting == "off":
            return snapshot
        # Own replies in a skipped thread, or past a cut-short read, were not read this time.
        return replace(
            snapshot,
            coverage={Fact.COMMENTS: tally.coverage()},
            sync=ledger.marks(),
            post_text_read=own_replies_read and not ledger.omitted and not tally.stopped,
        )

    def _snapshot(
        self,
        channel_id: str,
        channel: dict[str, Any],
        posts: list[Post],
        last_post_at: datetime | None,
        comment_setting: str,
        unexposed: dict[Fact, str],
    ) -> AccountSnapshot:
        snippet = as_dict(channel.get("snippet"))
        thumbnails = as_dict(snippet.get("thumbnails"))
        picture = next(
            (
                as_text(as_dict(thumbnails.get(size)).get("url"))
                for size in ("high", "medium", "default")
                if size in thumbnails
            ),
            "",
        )
        privacy = as_text(as_dict(channel.get("status")).get("privacyStatus"))
        description = as_text(snippet.get("description"))
        # The API no longer returns a channel's links: the website is the first link in the
        # description, where schools put it.
        link = _URL.search(description)
        handle = as_text(snippet.get("customUrl"))
        return AccountSnapshot(
            platform="youtube",
            platform_id=channel_id,
            fetched_at=self._clock(),
            name=as_text(snippet.get("title")),
            about=description,
            website=link.group(0).rstrip(".,)") if link else "",
            banner_url=as_text(
                as_dict(as_dict(channel.get("brandingSettings")).get("image")).get(
                    "bannerExternalUrl"
                )
            ),
            picture_url=picture,
            # Unlisted is reachable by anyone with the link: more public than private.
            audience="private" if privacy == "private" else "public",
            comment_setting=comment_setting,
            posts=tuple(posts),
            last_post_at=last_post_at,
            url=f"https://www.youtube.com/{handle}"
            if handle
            else f"https://www.youtube.com/channel/{channel_id}",
            unexposed=unexposed,
        )

    async def _uploads(self, playlist_id: str) -> list[Post]:
        """The latest uploads, newest first, from the channel's uploads playlist."""
        params = {
            # The snippet (title, description) costs no extra quota: a list call is 1 unit.
            "part": "snippet,contentDetails",
            "playlistId": playlist_id,
            "maxResults": str(self._max_posts),
        }
        try:
            body = await self._list("playlistItems", params)
        except NotFound:
            return []  # a channel that never uploaded has no uploads playlist
        posts = []
        for item in body.get("items", []) if isinstance(body.get("items"), list) else []:
            details = as_dict(as_dict(item).get("contentDetails"))
            video = as_text(details.get("videoId"))
            if not video:
                raise Unavailable("malformed reply from playlistItems: an item without videoId")
            when = parse_time(details.get("videoPublishedAt"), "playlistItems")
            snippet = as_dict(as_dict(item).get("snippet"))
            words = [as_text(snippet.get("title")), as_text(snippet.get("description"))]
            posts.append(
                Post(
                    video,
                    when,
                    permalink=f"https://www.youtube.com/watch?v={video}",
                    text="\n".join(w for w in words if w),
                    has_media=True,  # an upload is a video
                )
            )
        return posts
