"""What a Facebook Page read asks Graph for, and how its reply becomes an AccountSnapshot.

The page call expands everything a quiet page needs in one request: profile, images,
the newest posts with their comments (newest first, replies included) and the role
edges (Graph API field expansion: developers.facebook.com/docs/graph-api/guides/field-expansion).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from connectors.base import AccountSnapshot, Admin, Comment, Fact, Post
from connectors.graph import edge_rows
from connectors.parsing import as_text, malformed, parse_time

COMMENT_FIELDS = "id,from,message,created_time,is_hidden,user_likes,parent{id}"
ROLE_FIELDS = "id,name,tasks"
# People per result page of a role edge expanded in the page call; more are followed by cursor.
ROLE_LIMIT = 100
# Graph's default comment order is chronological (oldest first): ask for the newest first,
# replies included (filter=stream), with the total count to say how much is left unread.
COMMENT_MODIFIERS = "order(reverse_chronological).filter(stream).summary(true)"


def post_fields(max_comments: int) -> str:
    """Sub-fields of one post, its comments (replies included) expanded inline, newest first."""
    comments = f"comments.limit({max_comments}).{COMMENT_MODIFIERS}{{{COMMENT_FIELDS}}}"
    media = "attachments{media_type,description,subattachments{media_type,description}}"
    return f"id,created_time,updated_time,permalink_url,message,{media},{comments}"


def total_count(edge: Any) -> int | None:
    """The edge's `summary.total_count` (comments Graph says exist), None when absent."""
    summary = edge.get("summary") if isinstance(edge, dict) else None
    count = summary.get("total_count") if isinstance(summary, dict) else None
    return count if isinstance(count, int) else None


def page_fields(max_posts: int, max_comments: int) -> str:
    """The `fields=` expansion that reads profile, images, posts and comments in one call."""
    return (
        "id,name,about,description,website,emails,link,is_published,cover{source},picture{url},"
        f"posts.limit({max_posts}){{{post_fields(max_comments)}}}"
    )


def admin_sources(page_id: str, business_id: str) -> list[tuple[str, str, dict[str, str]]]:
    """(field of the page, edge path, its query) for each list of people with a role."""
    sources = [("roles", f"{page_id}/roles", {"fields": ROLE_FIELDS})]
    if business_id:
        params = {"business": business_id, "fields": ROLE_FIELDS}
        sources.append(("assigned_users", f"{page_id}/assigned_users", params))
    return sources


def admin_fields(business_id: str) -> str:
    """The role edges as page fields: an edge's query parameters become modifiers.

    Field expansion takes an edge's parameters as `.name(value)` modifiers, so
    `assigned_users.business(ID)` is `/{page}/assigned_users?business=ID` (Graph API
    guide, developers.facebook.com/docs/graph-api/guides/field-expansion).
    """
    roles = f"roles.limit({ROLE_LIMIT}){{{ROLE_FIELDS}}}"
    if not business_id:
        return roles
    return f"{roles},assigned_users.business({business_id}).limit({ROLE_LIMIT}){{{ROLE_FIELDS}}}"


def map_comments(rows: list[Any], page_id: str, where: str) -> tuple[Comment, ...]:
    """Comments and others' replies; the page's own replies mark their parent answered."""
    comments: dict[str, Comment] = {}
    answered: set[str] = set()
    for row in rows:
        if not isinstance(row, dict) or not row.get("id"):
            raise malformed(where, "a comment without id")
        author = row.get("from")
        author = author if isinstance(author, dict) else {}  # absent unless a page token
        by_page = str(author.get("id", "")) == page_id
        parent = row.get("parent")
        parent_id = str(parent.get("id", "")) if isinstance(parent, dict) else ""
        if parent_id and by_page:
            answered.add(parent_id)
            continue
        comments[str(row["id"])] = Comment(
            comment_id=str(row["id"]),
            created_at=parse_time(row.get("created_time"), where),
            author=as_text(author.get("name")),
            text=as_text(row.get("message")),
            hidden=row.get("is_hidden") is True,
            liked_by_account=row.get("user_likes") is True,
            by_account=by_page,
        )
    return tuple(
        replace(c, replied_by_account=True) if c.comment_id in answered else c
        for c in comments.values()
    )


MEDIA_TYPES = frozenset({"photo", "video", "album", "animated_image_video", "animated_image_share"})


def read_attachments(value: Any, where: str) -> tuple[bool, tuple[str, ...]]:
    """(a photo or video is attached, the attachments' descriptions) of one post."""
    has_media = False
    texts: list[str] = []
    pending = list(edge_rows(value, where))
    while pending:
        row = pending.pop()
        if not isinstance(row, dict):
            continue
        has_media = has_media or str(row.get("media_type", "")).lower() in MEDIA_TYPES
        if as_text(row.get("description")):
            texts.append(as_text(row.get("description")))
        sub = row.get("subattachments")
        if sub is not None:
            pending.extend(edge_rows(sub, where))
    return has_media, tuple(texts)


def own_replies(rows: list[Any], page_id: str) -> tuple[str, ...]:
    """What the page itself wrote under a post (map_comments keeps only its effect)."""
    out = []
    for row in rows:
        author = row.get("from") if isinstance(row, dict) else None
        by_page = isinstance(author, dict) and str(author.get("id", "")) == page_id
        if by_page and as_text(row.get("message")):
            out.append(as_text(row.get("message")))
    return tuple(out)


def build_snapshot(
    page_id: str,
    page: dict[str, Any],
    admins: tuple[Admin, ...],
    unexposed: dict[Fact, str],
    fetched_at: datetime,
) -> AccountSnapshot:
    """Turn the page reply (posts already completed) into an AccountSnapshot."""
    where = f"page {page_id}"
    if not page.get("id"):
        raise malformed(where, "no id")
    posts = []
    for row in edge_rows(page.get("posts"), where):
        if not isinstance(row, dict) or not row.get("id"):
            raise malformed(where, "a post without id")
        comment_rows = edge_rows(row.get("comments"), where)
        has_media, descriptions = read_attachments(row.get("attachments"), where)
        posts.append(
            Post(
                post_id=str(row["id"]),
                created_at=parse_time(row.get("created_time"), where),
                comments_enabled=None,
                comments=map_comments(comment_rows, page_id, where),
                permalink=as_text(row.get("permalink_url")),
                text=as_text(row.get("message")),
                alt_texts=descriptions,
                has_media=has_media,
                own_replies=own_replies(comment_rows, page_id),
            )
        )
    published = page.get("is_published")
    if not isinstance(published, bool):
        unexposed[Fact.AUDIENCE] = "Facebook did not return is_published"
    unexposed[Fact.COMMENT_SETTING] = "Facebook has no readable per-page comment switch"
    emails = page.get("emails")
    cover = page.get("cover")
    picture = page.get("picture")
    picture_data = picture.get("data") if isinstance(picture, dict) else None
    return AccountSnapshot(
        platform="facebook",
        platform_id=page_id,
        fetched_at=fetched_at,
        name=as_text(page.get("name")),
        about=as_text(page.get("about")),
        description=as_text(page.get("description")),
        website=as_text(page.get("website")),
        emails=tuple(e for e in emails if isinstance(e, str)) if isinstance(emails, list) else (),
        banner_url=as_text(cover.get("source")) if isinstance(cover, dict) else "",
        picture_url=as_text(picture_data.get("url")) if isinstance(picture_data, dict) else "",
        admins=admins,
        # A published page is visible to everyone; an unpublished one only to its admins.
        audience="" if published is None else ("public" if published else "private"),
        published=published is not False,
        comment_setting="",
        posts=tuple(posts),
        last_post_at=max((p.created_at for p in posts), default=None),
        url=as_text(page.get("link")),
        unexposed=unexposed,
        post_text_read=True,
    )


def admins_of(people: list[tuple[str, Any]]) -> tuple[Admin, ...]:
    """People with the MANAGE task, from (edge path, row) pairs of every role edge."""
    merged: dict[str, tuple[str, set[str]]] = {}
    for path, row in people:
        if not isinstance(row, dict) or not row.get("id"):
            raise malformed(path, "a person without id")
        name, tasks = merged.get(str(row["id"]), (as_text(row.get("name")), set()))
        row_tasks = row.get("tasks")
        tasks |= {str(t) for t in row_tasks} if isinstance(row_tasks, list) else set()
        merged[str(row["id"])] = (name, tasks)
    # "Admin" in the district policies means full control of the page, which on
    # Facebook is the MANAGE task; editors and moderators cannot add or remove people.
    return tuple(
        Admin(user_id=uid, name=name, role="admin")
        for uid, (name, tasks) in sorted(merged.items())
        if "MANAGE" in tasks
    )
