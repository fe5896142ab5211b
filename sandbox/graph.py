"""Graph API shapes: the `fields=` mini-language and the JSON the sandbox renders from a World.

Unknown fields are refused the way Graph refuses them, so a connector asking for
something the real API would not give fails here too instead of in production.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sandbox.world import Comment, Page, Post

PAGE_FIELDS = {
    "id", "name", "about", "description", "website", "emails", "link", "is_published",
    "cover", "picture", "posts", "category", "username", "fan_count", "followers_count",
    "roles", "assigned_users",
}  # fmt: skip
# Edges listing people with a role: `fields=roles.limit(N){id,name,tasks}` on the page.
ROLE_EDGES = ("roles", "assigned_users")
POST_FIELDS = {
    "id", "created_time", "updated_time", "permalink_url", "message", "comments", "attachments",
}  # fmt: skip
COMMENT_FIELDS = {
    "id", "from", "message", "created_time", "is_hidden", "user_likes", "parent",
    "can_hide", "like_count", "comment_count",
}  # fmt: skip
ROLE_FIELDS = {"id", "name", "tasks"}
ACCOUNT_FIELDS = {"id", "name", "access_token", "category", "tasks"}
# What Graph returns for an edge when no sub-fields are asked for.
DEFAULT_POST = "id,created_time,message"
DEFAULT_COMMENT = "id,created_time,from,message"
DEFAULT_POSTS_LIMIT = 10
DEFAULT_COMMENTS_LIMIT = 50
DEFAULT_ROLES_LIMIT = 25

_TOKEN = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)")
_MODIFIER = re.compile(r"\.([a-z_]+)\(([^()]*)\)")


class FieldsError(ValueError):
    """The fields parameter is malformed or names a field the node does not have."""


@dataclass
class FieldSpec:
    """One requested field with its modifiers (limit, filter) and sub-fields."""

    modifiers: dict[str, str] = field(default_factory=dict)
    sub: dict[str, FieldSpec] | None = None
    sub_text: str = ""  # the text inside the braces, for `next` links

    def limit(self, default: int) -> int:
        """The `.limit(N)` modifier, or the default."""
        raw = self.modifiers.get("limit")
        if raw is None:
            return default
        if not raw.isdigit() or int(raw) < 1:
            raise FieldsError(f"(#100) Invalid limit ({raw})")
        return int(raw)


def parse_fields(text: str) -> dict[str, FieldSpec]:
    """Parse `a,b.limit(3){c,d{e}}` into nested FieldSpecs."""
    specs, end = _parse_list(text, 0)
    if end != len(text):
        raise FieldsError(f'(#100) Syntax error "Expected end of string" at character {end}')
    return specs


def _parse_list(text: str, pos: int) -> tuple[dict[str, FieldSpec], int]:
    specs: dict[str, FieldSpec] = {}
    while True:
        match = _TOKEN.match(text, pos)
        if match is None:
            raise FieldsError(f'(#100) Syntax error "Expected field name" at character {pos}')
        spec = FieldSpec()
        pos = match.end()
        while modifier := _MODIFIER.match(text, pos):
            spec.modifiers[modifier.group(1)] = modifier.group(2)
            pos = modifier.end()
        if text.startswith("{", pos):
            start = pos + 1
            spec.sub, pos = _parse_list(text, start)
            spec.sub_text = text[start:pos]
            if not text.startswith("}", pos):
                raise FieldsError(f"(#100) Syntax error \"Expected '}}'\" at character {pos}")
            pos += 1
            while modifier := _MODIFIER.match(text, pos):
                spec.modifiers[modifier.group(1)] = modifier.group(2)
                pos = modifier.end()
        specs[match.group(1)] = spec
        if not text.startswith(",", pos):
            return specs, pos
        pos += 1


def require_known(specs: dict[str, FieldSpec], known: set[str], node: str) -> None:
    """Refuse a field the node type does not have, with Graph's wording."""
    for name in specs:
        if name not in known:
            raise FieldsError(
                f"(#100) Tried accessing nonexisting field ({name}) on node type ({node})"
            )


def graph_time(moment: datetime) -> str:
    """Graph's timestamp format: 2026-11-20T08:15:00+0000."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S%z")


@dataclass(frozen=True)
class Where:
    """Where the sandbox is being served: for absolute image URLs and `next` links."""

    base_url: str  # http://127.0.0.1:PORT
    version: str  # v26.0

    @property
    def api(self) -> str:
        return f"{self.base_url}/{self.version}"


def render_page(page: Page, specs: dict[str, FieldSpec], where: Where) -> dict[str, Any]:
    """The page object for GET /{page_id}?fields=..."""
    require_known(specs, PAGE_FIELDS, "Page")
    plain: dict[str, Any] = {
        "id": page.id, "name": page.name, "about": page.about, "description": page.description,
        "website": page.website, "link": page.link, "is_published": page.is_published,
        "category": "School", "username": page.id, "fan_count": 0, "followers_count": 0,
    }  # fmt: skip
    out: dict[str, Any] = {}
    for name, spec in specs.items():
        if name == "emails":
            if page.emails:  # Graph leaves the key out when the page has none
                out["emails"] = list(page.emails)
        elif name == "cover":
            url = f"{where.base_url}/_sandbox/img/{page.id}-cover.jpg"
            out["cover"] = {"id": f"{page.id}9", "source": url}
        elif name == "picture":
            url = f"{where.base_url}/_sandbox/img/{page.id}-picture.jpg"
            out["picture"] = {
                "data": {"url": url, "height": 50, "width": 50, "is_silhouette": False}
            }
        elif name == "posts":
            limit = spec.limit(DEFAULT_POSTS_LIMIT)
            out["posts"] = posts_edge(page, spec.sub_text or DEFAULT_POST, limit, 0, where)
        elif name in ROLE_EDGES:
            # Callers check access and the `business` modifier first (sandbox.endpoints).
            limit = spec.limit(DEFAULT_ROLES_LIMIT)
            query = {"business": spec.modifiers["business"]} if "business" in spec.modifiers else {}
            path = f"{where.api}/{page.id}/{name}"
            out[name] = render_roles(page, spec.sub_text or "id,name", limit, 0, path, query)
        elif plain.get(name) not in (None, ""):
            out[name] = plain[name]  # like Graph, empty strings are left out
    out.setdefault("id", page.id)
    return out


def posts_edge(page: Page, fields: str, limit: int, offset: int, where: Where) -> dict[str, Any]:
    """`limit` posts from `offset`, newest first, as the posts edge or field gives them."""
    sub = parse_fields(fields)
    require_known(sub, POST_FIELDS, "PagePost")
    chosen = page.posts[offset : offset + limit]
    rows = [render_post(page, post, sub, where) for post in chosen]
    more = offset + len(chosen) < len(page.posts)
    params = {"fields": fields, "limit": str(limit)} if more else None
    return edge(rows, offset, f"{where.api}/{page.id}/posts", params)


def comments_edge(
    page: Page,
    post: Post,
    fields: str,
    limit: int,
    offset: int,
    stream: bool,
    where: Where,
    *,
    newest_first: bool = False,
    summary: bool = False,
) -> dict[str, Any]:
    """`limit` comments from `offset`, oldest first unless reverse_chronological.

    Replies only with filter=stream; `summary.total_count` when asked for.
    """
    sub = parse_fields(fields)
    require_known(sub, COMMENT_FIELDS, "Comment")
    # Without filter(stream) Graph gives top-level comments only, not the replies.
    pool = [c for c in post.comments if stream or c.parent_id is None]
    if newest_first:
        pool.reverse()
    chosen = pool[offset : offset + limit]
    rows = [render_comment(page, post, c, sub) for c in chosen]
    params = None
    if offset + len(chosen) < len(pool):
        params = {"fields": fields, "limit": str(limit)} | ({"filter": "stream"} if stream else {})
        params |= {"order": "reverse_chronological"} if newest_first else {}
    out = edge(rows, offset, f"{where.api}/{post.id}/comments", params)
    if summary:
        order = "reverse_chronological" if newest_first else "chronological"
        out["summary"] = {"order": order, "total_count": len(pool), "can_comment": True}
    return out


def updated_time(post: Post) -> datetime:
    """Graph's post updated_time: created, edited or last commented on."""
    return max([post.created_time, *(c.created_time for c in post.comments)])


def render_post(
    page: Page, post: Post, specs: dict[str, FieldSpec], where: Where
) -> dict[str, Any]:
    """One post with the requested sub-fields; comments honour limit and filter(stream)."""
    out: dict[str, Any] = {}
    for name, spec in specs.items():
        if name == "comments":
            limit = spec.limit(DEFAULT_COMMENTS_LIMIT)
            stream = spec.modifiers.get("filter") == "stream"
            fields = spec.sub_text or DEFAULT_COMMENT
            out["comments"] = comments_edge(
                page, post, fields, limit, 0, stream, where,
                newest_first=spec.modifiers.get("order") == "reverse_chronological",
                summary=spec.modifiers.get("summary") == "true",
            )  # fmt: skip
        elif name == "attachments":
            if post.attachments:  # Graph leaves an empty edge out
                wanted = set(spec.sub) if spec.sub else {"media_type", "description"}
                rows = [{k: v for k, v in a.items() if k in wanted} for a in post.attachments]
                out["attachments"] = {"data": rows}
        else:
            value = {
                "id": post.id, "created_time": graph_time(post.created_time),
                "updated_time": graph_time(updated_time(post)),
                "permalink_url": post.permalink_url, "message": post.message,
            }[name]  # fmt: skip
            if value:
                out[name] = value
    return out


def render_comment(
    page: Page, post: Post, c: Comment, specs: dict[str, FieldSpec]
) -> dict[str, Any]:
    """One comment; `parent` only on replies, as Graph does."""
    replies = sum(1 for other in post.comments if other.parent_id == c.id)
    values: dict[str, Any] = {
        "id": c.id, "from": {"id": c.from_id, "name": c.from_name}, "message": c.message,
        "created_time": graph_time(c.created_time), "is_hidden": c.is_hidden,
        "user_likes": c.user_likes, "can_hide": c.from_id != page.id,
        "like_count": int(c.user_likes), "comment_count": replies,
    }  # fmt: skip
    out = {name: values[name] for name in specs if name != "parent"}
    if "parent" in specs and c.parent_id is not None:
        out["parent"] = {"id": c.parent_id}
    return out


def edge(
    rows: list[dict[str, Any]], offset: int, path: str, more: dict[str, str] | None
) -> dict[str, Any]:
    """An edge reply: data, cursors, and `next` (with `more` as its query) when rows remain."""
    result: dict[str, Any] = {"data": rows}
    if rows:
        after = encode_cursor(offset + len(rows))
        result["paging"] = {"cursors": {"before": encode_cursor(offset), "after": after}}
        if more is not None:
            result["paging"]["next"] = f"{path}?{urlencode(more | {'after': after})}"
    return result


def encode_cursor(offset: int) -> str:
    """The after/before cursor for a position in a list."""
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def decode_cursor(raw: str | None) -> int:
    """The position a cursor points at; FieldsError (Graph's code 100) when it is not ours."""
    if not raw:
        return 0
    try:
        padded = raw + "=" * (-len(raw) % 4)
        prefix, _, number = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        prefix, number = "", ""
    if prefix != "offset" or not number.isdigit():
        raise FieldsError("(#100) The after cursor is not valid")
    return int(number)


def render_roles(
    page: Page, fields: str, limit: int, offset: int, path: str, query: dict[str, str]
) -> dict[str, Any]:
    """`limit` people from `offset` of the roles / assigned_users list, with a `next` link."""
    specs = parse_fields(fields)
    require_known(specs, ROLE_FIELDS, "User")
    rows = []
    chosen = page.roles[offset : offset + limit]
    for role in chosen:
        values: dict[str, Any] = {"id": role.user_id, "name": role.name, "tasks": list(role.tasks)}
        rows.append({name: values[name] for name in specs} | {"id": role.user_id})
    more = offset + len(chosen) < len(page.roles)
    params = query | {"fields": fields, "limit": str(limit)} if more else None
    return edge(rows, offset, path, params)
