"""The sandbox's Instagram, X and YouTube data: accounts, posts, comments, credentials, limits.

Plain data the demo and tests build and mutate, like `sandbox.world` for Facebook;
`sandbox.instagram`, `sandbox.x` and `sandbox.youtube` serve it. Kept apart from
`World` (which only holds a `social` field) so the Graph imitation stays as it was.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

X_TOKEN = "sandbox-x-bearer-token"
YOUTUBE_KEY = "sandbox-youtube-api-key"
YOUTUBE_CLIENT_ID = "sandbox-client.apps.googleusercontent.com"
YOUTUBE_CLIENT_SECRET = "sandbox-client-secret"
YOUTUBE_REFRESH = "sandbox-youtube-refresh-token"
# The form socmon reads the YouTube OAuth secret in (Google's authorized_user JSON).
YOUTUBE_OAUTH = json.dumps(
    {
        "client_id": YOUTUBE_CLIENT_ID,
        "client_secret": YOUTUBE_CLIENT_SECRET,
        "refresh_token": YOUTUBE_REFRESH,
    }
)
# Requests per 15-minute window per endpoint family, as X documents them for an app.
X_LIMITS = {"users": 300, "tweets": 10_000, "search": 450}
X_WINDOW_SECONDS = 15 * 60
_SNOWFLAKE_EPOCH_MS = 1288834974657


def snowflake(moment: datetime, sequence: int = 0) -> str:
    """An X-style id that encodes `moment`, as real post ids do."""
    millis = int(moment.timestamp() * 1000) - _SNOWFLAKE_EPOCH_MS
    return str((millis << 22) | (sequence & 0x3FFFFF))


@dataclass
class IgComment:
    """An Instagram comment or reply."""

    id: str
    username: str
    text: str
    timestamp: datetime
    hidden: bool = False
    replies: list[IgComment] = field(default_factory=list)


@dataclass
class IgMedia:
    """A post on Instagram with its comment switch and comments (oldest first)."""

    id: str
    timestamp: datetime
    comments_enabled: bool = True
    comments: list[IgComment] = field(default_factory=list)
    caption: str = ""

    @property
    def permalink(self) -> str:
        return f"https://www.instagram.com/p/{self.id[-8:]}/"


@dataclass
class IgAccount:
    """An Instagram business account linked to a Facebook page."""

    id: str
    page_id: str
    username: str
    name: str
    biography: str = ""
    website: str = ""
    media: list[IgMedia] = field(default_factory=list)  # newest first


@dataclass
class XReply:
    """A reply in a conversation; `author_id` equal to the user's id is the account itself."""

    id: str
    author_id: str
    text: str
    created_at: datetime
    replied_to: str


@dataclass
class XPost:
    """An original post with its conversation."""

    id: str
    text: str
    created_at: datetime
    reply_settings: str = "everyone"
    replies: list[XReply] = field(default_factory=list)
    # X media objects: {"media_key": "3_1", "type": "photo", "alt_text": "..."}.
    media: list[dict[str, str]] = field(default_factory=list)


@dataclass
class XUser:
    """An X account."""

    id: str
    username: str
    name: str
    description: str = ""
    url: str = ""
    protected: bool = False
    banner: bool = True
    posts: list[XPost] = field(default_factory=list)  # newest first


@dataclass
class YtComment:
    """A YouTube comment; top-level ones carry their replies and moderation status."""

    id: str
    author: str
    author_channel: str
    text: str
    published: datetime
    video_id: str = ""
    viewer_rating: str = "none"  # the channel owner's own rating: "like" or "none"
    status: str = "published"  # or "heldForReview", "likelySpam"
    replies: list[YtComment] = field(default_factory=list)


@dataclass
class YtChannel:
    """A YouTube channel with its uploads (newest first) and comment threads (newest first)."""

    id: str
    title: str
    description: str = ""
    custom_url: str = ""
    privacy: str = "public"
    uploads: list[tuple[str, datetime]] = field(default_factory=list)
    threads: list[YtComment] = field(default_factory=list)
    # video id -> (title, description); an upload without one is "Video <id>".
    video_text: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass
class SocialWorld:
    """Everything the Instagram, X and YouTube imitations serve, plus the knobs tests turn."""

    instagram: dict[str, IgAccount] = field(default_factory=dict)
    x_users: dict[str, XUser] = field(default_factory=dict)  # by id
    youtube: dict[str, YtChannel] = field(default_factory=dict)
    x_token: str = X_TOKEN
    youtube_key: str = YOUTUBE_KEY
    youtube_refresh: str = YOUTUBE_REFRESH
    # Channels the refresh token's owner may moderate (None: every channel).
    youtube_owned: set[str] | None = None
    youtube_access: set[str] = field(default_factory=set)
    # Per-channel grants: refresh token -> channel, access token -> channel (sandbox.youtube_grants).
    youtube_grants: dict[str, str] = field(default_factory=dict)
    youtube_access_channel: dict[str, str] = field(default_factory=dict)
    # Device codes waiting for approval: device code -> (user code, polls so far).
    youtube_devices: dict[str, tuple[str, int]] = field(default_factory=dict)
    # Whose sign-in approves the next device code (a channel id); "" declines it.
    youtube_device_approver: str = ""
    # A thread carries at most this many replies, as YouTube's do; the rest via comments.list.
    youtube_replies_carried: int = 5
    # Units left today; None: unlimited. At 0 every call answers quotaExceeded.
    youtube_quota_left: int | None = None
    # Requests left in the current window per X endpoint family, and when it resets.
    x_remaining: dict[str, int] = field(default_factory=lambda: dict(X_LIMITS))
    x_reset_at: int = 0
    # The app's monthly usage cap is spent: every X request answers 429 UsageCapExceeded.
    x_capped: bool = False
    # The clock the 7-day search window and X's reset times use: the demo's or the test's.
    clock: Callable[[], datetime] = field(kw_only=True)
    calls: Counter[str] = field(default_factory=Counter)
    errors: int = 0

    def x_user_by_name(self, username: str) -> XUser | None:
        """The user with this handle (case-insensitive, as X matches them)."""
        wanted = username.lower()
        return next((u for u in self.x_users.values() if u.username.lower() == wanted), None)

    def x_window(self, family: str) -> tuple[int, int]:
        """Take one request from `family`'s window: (remaining after it, reset epoch).

        Remaining -1 means the window was already spent: the request is refused.
        """
        now = int(self.clock().timestamp())
        if self.x_reset_at == 0:
            self.x_reset_at = now + X_WINDOW_SECONDS  # the first request opens the window
        elif now >= self.x_reset_at:
            self.x_reset_at = now + X_WINDOW_SECONDS
            self.x_remaining = dict(X_LIMITS)
        left = self.x_remaining.get(family, 0)
        if left <= 0:
            return -1, self.x_reset_at
        self.x_remaining[family] = left - 1
        return left - 1, self.x_reset_at

    def stats(self) -> dict[str, object]:
        """Call counters per platform endpoint, for /_sandbox/stats."""
        return {
            "calls": dict(sorted(self.calls.items())),
            "total": sum(self.calls.values()),
            "errors": self.errors,
            "youtube_quota_left": self.youtube_quota_left,
        }
