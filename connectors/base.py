"""Platform-neutral snapshot types and the typed errors every connector raises.

A connector turns one platform's JSON into an `AccountSnapshot`. A fact the
platform cannot expose (or that the credential may not read) is listed in
`snapshot.unexposed` with a reason, so a check can answer `unknown` instead of
reading an empty value as clean.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable


class Fact(StrEnum):
    """The facts a snapshot may carry; used to say which ones are unexposed."""

    PROFILE = "profile"  # name, about/bio, website
    EMAILS = "emails"
    IMAGES = "images"  # banner and profile picture
    ADMINS = "admins"
    AUDIENCE = "audience"
    COMMENT_SETTING = "comment_setting"
    COMMENTS = "comments"
    POSTS = "posts"  # last post time
    OWNERSHIP = "ownership"  # which accounts the district's business owns


@dataclass(frozen=True, slots=True)
class Admin:
    """A person with an administrative role on the account."""

    user_id: str
    name: str = ""
    email: str = ""
    role: str = "admin"


@dataclass(frozen=True, slots=True)
class Comment:
    """One comment (or reply) on a post, as the account's own token sees it."""

    comment_id: str
    created_at: datetime
    author: str = ""
    text: str = ""
    hidden: bool = False
    # Liked by the account itself, or answered by the account: both count as handled.
    liked_by_account: bool = False
    replied_by_account: bool = False
    # The platform held it for review (YouTube heldForReview/likelySpam).
    held_for_review: bool = False
    by_account: bool = False

    @property
    def settled(self) -> bool:
        """The account dealt with it on the platform (or wrote it): nothing left to do."""
        return (
            self.hidden
            or self.liked_by_account
            or self.replied_by_account
            or self.held_for_review
            or self.by_account
        )


@dataclass(frozen=True, slots=True)
class Post:
    """A recent post with its comments."""

    post_id: str
    created_at: datetime
    comments_enabled: bool | None = None  # None: the platform does not say
    comments: tuple[Comment, ...] = ()
    permalink: str = ""
    # What the account itself published: caption or message, title and description.
    text: str = ""
    # Alt text of the post's images, where the platform gives it.
    alt_texts: tuple[str, ...] = ()
    # A photo or video attached: None when the platform does not say.
    has_media: bool | None = None
    # The account's own replies under the post (some connectors keep them out of `comments`).
    own_replies: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Coverage:
    """How completely one fact was read: what the read covered and, if cut short, why."""

    complete: bool
    # In words, for evidence and digests: "all 612 comments and replies on 48 posts ...".
    covered: str
    # Why the read stopped early ("read 500 of at least 612 comments before ..."); "" if complete.
    missing: str = ""
    read: int = 0
    # What the platform says exists (its own counts); None when it gives none.
    at_least: int | None = None

    def as_evidence(self) -> dict[str, object]:
        """The coverage as plain JSON-able evidence."""
        return {
            "complete": self.complete,
            "covered": self.covered,
            "missing": self.missing,
            "read": self.read,
            "at_least": self.at_least,
        }


@dataclass(frozen=True, slots=True)
class SyncMark:
    """What a post looked like at its last complete read, when every comment was settled.

    `marker` is the platform's change signal (Facebook updated_time, Instagram
    comments_count, YouTube thread updatedAt and totalReplyCount, X reply_count): while
    it is unchanged the post's comments need not be read again.
    """

    marker: str
    comments: int
    # When the post was last read in full (None: in this read). The store drops marks older
    # than a day, so a like or hide undone without a new comment is seen within a day.
    read_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AccountSnapshot:
    """What one connector observed about one account at `fetched_at`."""

    platform: str
    platform_id: str
    fetched_at: datetime
    name: str = ""
    about: str = ""
    description: str = ""
    website: str = ""
    emails: tuple[str, ...] = ()
    banner_url: str = ""
    picture_url: str = ""
    admins: tuple[Admin, ...] = ()
    # "public" or "private" as the platform reports it; "" when not exposed.
    audience: str = ""
    published: bool = True
    # "on", "off", "restricted" for an account-wide setting; "" when unreadable.
    comment_setting: str = ""
    posts: tuple[Post, ...] = ()
    last_post_at: datetime | None = None
    url: str = ""
    # fact -> why it could not be read (not exposed by the platform, no permission...)
    unexposed: Mapping[Fact, str] = field(default_factory=dict)
    # Logo detection results filled in after the fetch, keyed "banner"/"picture":
    # True seen, False not seen, None the image could not be fetched or decoded.
    logo_seen: Mapping[str, bool | None] = field(default_factory=dict)
    # fact -> how completely it was read; a fact without an entry was read in one piece.
    coverage: Mapping[Fact, Coverage] = field(default_factory=dict)
    # post (or thread) id -> its sync mark, for the next cycle to skip what did not change.
    sync: Mapping[str, SyncMark] = field(default_factory=dict)

    def incomplete(self, fact: Fact) -> Coverage | None:
        """The coverage of `fact` when its read was cut short, else None."""
        cover = self.coverage.get(fact)
        return cover if cover is not None and not cover.complete else None

    # When the detector last analysed each image's content (cached verdicts keep their date).
    logo_analysed_at: Mapping[str, datetime] = field(default_factory=dict)
    # True when the connector read what the posts say (text, alt text, own replies, media):
    # the student_privacy check is unknown otherwise, never a pass on empty text.
    post_text_read: bool = False

    def exposes(self, fact: Fact) -> bool:
        """True when the platform gave this fact."""
        return fact not in self.unexposed

    @property
    def profile_text(self) -> str:
        """Name, about and description together: where signature and school names appear."""
        return "\n".join(part for part in (self.name, self.about, self.description) if part)


class ConnectorError(Exception):
    """A fetch failed; `permanent` errors need a person, the others are retried."""

    kind = "error"

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class AuthFailed(ConnectorError):
    """The credential is expired, revoked or lacks a permission."""

    kind = "auth"

    def __init__(self, message: str, *, code: int | None = None, subcode: int | None = None):
        super().__init__(message, permanent=True)
        self.code = code
        self.subcode = subcode


class PermissionMissing(AuthFailed):
    """The credential works but may not read one edge (for example the page roles)."""

    kind = "permission"


class RateLimited(ConnectorError):
    """The platform asked us to slow down; retry after `retry_after` seconds."""

    kind = "rate_limited"

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message, permanent=False)
        self.retry_after = retry_after


class UsageCapReached(ConnectorError):
    """The platform's billing cap for the period is spent: no read succeeds until a person acts."""

    kind = "usage_cap"

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


class Unavailable(ConnectorError):
    """The platform did not answer properly (5xx, timeout, malformed reply)."""

    kind = "unavailable"

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=False)


class NotFound(ConnectorError):
    """The account does not exist or is not visible to the credential."""

    kind = "not_found"

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


class Connector(Protocol):
    """What the cycle needs from a platform connector."""

    platform: str

    async def fetch(self, platform_id: str) -> AccountSnapshot:
        """Fetch one account; raise a ConnectorError when it cannot."""
        ...


@runtime_checkable
class SyncingConnector(Connector, Protocol):
    """A connector that can skip posts unchanged since their last complete read."""

    async def fetch_since(self, platform_id: str, known: Mapping[str, SyncMark]) -> AccountSnapshot:
        """Fetch one account, re-reading only posts whose marker changed."""
        ...
