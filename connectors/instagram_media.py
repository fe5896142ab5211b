"""What an Instagram account read asks Graph for, and how the reply becomes an AccountSnapshot.

Fields per the Instagram Graph reference (developers.facebook.com/docs/instagram-platform/
reference/instagram-media and .../instagram-comment): `comments_count`, `is_comment_enabled`,
comments with `username`, `hidden` and their `replies` edge.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from connectors.base import AccountSnapshot, Comment, Fact, Post
from connectors.graph import edge_rows
from connectors.parsing import as_text, malformed, parse_time

REPLY_FIELDS = "id,text,timestamp,username,hidden"


def comment_fields(max_comments: int) -> str:
    """A comment with its replies inline."""
    return f"{REPLY_FIELDS},replies.limit({max_comments}){{{REPLY_FIELDS}}}"


def media_fields(max_comments: int) -> str:
    """One media item with the comment switch and its comments."""
    return (
        "id,timestamp,permalink,caption,media_type,comments_count,is_comment_enabled,"
        f"comments.limit({max_comments}){{{comment_fields(max_comments)}}}"
    )


def account_fields(max_posts: int, max_comments: int) -> str:
    """The `fields=` expansion reading profile, media and comments in one call."""
    return (
        "id,username,name,biography,website,profile_picture_url,"
        f"media.limit({max_posts}){{{media_fields(max_comments)}}}"
    )


def comment_switch(row: dict[str, Any]) -> bool | None:
    """The media's comment switch: `is_comment_enabled` (or older `comments_enabled`)."""
    for key in ("is_comment_enabled", "comments_enabled"):
        if isinstance(row.get(key), bool):
            return bool(row[key])
    return None


def map_comments(rows: list[Any], username: str, where: str) -> tuple[Comment, ...]:
    """Comments and others' replies; a reply by the account marks its comment answered."""
    out: list[Comment] = []
    for row in rows:
        if not isinstance(row, dict) or not row.get("id"):
            raise malformed(where, "a comment without id")
        replies = edge_rows(row.get("replies"), where)
        answered = False
        others: list[Comment] = []
        for reply in replies:
            if not isinstance(reply, dict) or not reply.get("id"):
                raise malformed(where, "a reply without id")
            if username and as_text(reply.get("username")) == username:
                answered = True
                continue
            others.append(_comment(reply, username, where))
        first = _comment(row, username, where)
        out.append(replace(first, replied_by_account=answered) if answered else first)
        out.extend(others)
    return tuple(out)


def _comment(row: dict[str, Any], username: str, where: str) -> Comment:
    author = as_text(row.get("username"))
    return Comment(
        comment_id=str(row["id"]),
        created_at=parse_time(row.get("timestamp"), where),
        author=author,
        text=as_text(row.get("text")),
        hidden=row.get("hidden") is True,
        by_account=bool(username) and author == username,
    )


def own_replies(rows: list[Any], username: str) -> tuple[str, ...]:
    """What the account itself wrote under a media item (map_comments keeps only its effect)."""
    out: list[str] = []
    for row in rows:
        replies = row.get("replies") if isinstance(row, dict) else None
        data = replies.get("data") if isinstance(replies, dict) else None
        for reply in data if isinstance(data, list) else []:
            if isinstance(reply, dict) and username and reply.get("username") == username:
                out.append(as_text(reply.get("text")))
    return tuple(t for t in out if t)


def build_snapshot(user_id: str, user: dict[str, Any], fetched_at: datetime) -> AccountSnapshot:
    """Turn the account reply (media already completed) into an AccountSnapshot."""
    where = f"instagram account {user_id}"
    if not user.get("id"):
        raise malformed(where, "no id")
    username = as_text(user.get("username"))
    unexposed: dict[Fact, str] = {
        Fact.EMAILS: "Instagram does not expose contact emails",
        Fact.ADMINS: "Instagram does not list who can manage an account",
    }
    if not username:
        # Without it, the account's own replies cannot be told from anyone else's.
        unexposed[Fact.COMMENTS] = "Instagram did not return the account's username"
    posts = []
    for row in edge_rows(user.get("media"), where):
        if not isinstance(row, dict) or not row.get("id"):
            raise malformed(where, "a media item without id")
        comment_rows = edge_rows(row.get("comments"), where)
        posts.append(
            Post(
                post_id=str(row["id"]),
                created_at=parse_time(row.get("timestamp"), where),
                comments_enabled=comment_switch(row),
                comments=map_comments(comment_rows, username, where),
                permalink=as_text(row.get("permalink")),
                text=as_text(row.get("caption")),
                # Every Instagram media item is a photo, a video or an album of them.
                has_media=True,
                own_replies=own_replies(comment_rows, username),
            )
        )
    switches = {p.comments_enabled for p in posts}
    if not posts:
        comment_setting = ""
        unexposed[Fact.COMMENT_SETTING] = "Instagram sets comments per media and there is none"
    elif switches == {False}:
        comment_setting = "off"
    elif True in switches:
        comment_setting = "on"
    else:
        comment_setting = ""
        unexposed[Fact.COMMENT_SETTING] = "Instagram did not say whether comments are enabled"
    return AccountSnapshot(
        platform="instagram",
        platform_id=user_id,
        fetched_at=fetched_at,
        name=as_text(user.get("name")),
        about=as_text(user.get("biography")),
        website=as_text(user.get("website")),
        # Instagram has no banner: the profile picture is the only image.
        picture_url=as_text(user.get("profile_picture_url")),
        # The Graph API only reaches business and creator accounts, which are always public.
        audience="public",
        comment_setting=comment_setting,
        posts=tuple(posts),
        last_post_at=max((p.created_at for p in posts), default=None),
        url=f"https://www.instagram.com/{username}" if username else "",
        unexposed=unexposed,
        # Without the username the account's own replies cannot be told from others'.
        post_text_read=bool(username),
    )
