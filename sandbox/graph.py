"""Graph API shapes: the `fields=` mini-language and the JSON the sandbox renders from a World.

Unknown fields are refused the way Graph refuses them, so a connector asking for
something the real API would not give fails here too instead of in production.
"""

from __future__ import annotations

import logging
import re
import struct
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sandbox.world import Comment, Page, Post, digest

logger = logging.getLogger(__name__)

PAGE_FIELDS = {
    "id", "name", "about", "description", "website", "emails", "link", "is_published",
    "cover", "picture", "posts", "category", "username", "fan_count", "followers_count",
}  # fmt: skip
POST_FIELDS = {"id", "created_time", "permalink_url", "message", "comments"}
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

_TOKEN = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)")
_MODIFIER = re.compile(r"\.([a-z_]+)\(([^()]*)\)")


class FieldsError(ValueError):
    """The fields parameter is malformed or names a field the node does not have."""


@dataclass
class FieldSpec:
    """One requested field with its modifiers (limit, filter) and sub-fields."""

    modifiers: dict[str, str] = field(default_factory=dict)
    sub: dict[str, FieldSpec] | None = None

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
            spec.sub, pos = _parse_list(text, pos + 1)
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


def render_page(page: Page, specs: dict[str, FieldSpec], base_url: str) -> dict[str, Any]:
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
            out["cover"] = {
                "id": f"{page.id}9",
                "source": f"{base_url}/_sandbox/img/{page.id}-cover.png",
            }
        elif name == "picture":
            url = f"{base_url}/_sandbox/img/{page.id}-picture.png"
            out["picture"] = {
                "data": {"url": url, "height": 50, "width": 50, "is_silhouette": False}
            }
        elif name == "posts":
            posts = page.posts[: spec.limit(DEFAULT_POSTS_LIMIT)]
            sub = spec.sub or parse_fields(DEFAULT_POST)
            require_known(sub, POST_FIELDS, "PagePost")
            rows = [render_post(page, post, sub) for post in posts]
            out["posts"] = edge(rows, [p.id for p in posts])
        elif plain.get(name) not in (None, ""):
            out[name] = plain[name]  # like Graph, empty strings are left out
    out.setdefault("id", page.id)
    return out


def render_post(page: Page, post: Post, specs: dict[str, FieldSpec]) -> dict[str, Any]:
    """One post with the requested sub-fields; comments honour limit and filter(stream)."""
    out: dict[str, Any] = {}
    for name, spec in specs.items():
        if name == "comments":
            sub = spec.sub or parse_fields(DEFAULT_COMMENT)
            require_known(sub, COMMENT_FIELDS, "Comment")
            stream = spec.modifiers.get("filter") == "stream"
            # Without filter(stream) Graph gives top-level comments only, not the replies.
            chosen = [c for c in post.comments if stream or c.parent_id is None]
            chosen = chosen[: spec.limit(DEFAULT_COMMENTS_LIMIT)]
            rows = [render_comment(page, post, c, sub) for c in chosen]
            out["comments"] = edge(rows, [c.id for c in chosen])
        else:
            value = {
                "id": post.id, "created_time": graph_time(post.created_time),
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


def edge(rows: list[dict[str, Any]], ids: list[str]) -> dict[str, Any]:
    """A nested edge: data plus cursors (no `next`: the sandbox has no nested-edge endpoints)."""
    result: dict[str, Any] = {"data": rows}
    if ids:
        result["paging"] = {"cursors": {"before": cursor(ids[0]), "after": cursor(ids[-1])}}
    return result


def cursor(value: str) -> str:
    """An opaque-looking cursor, as Graph's base64 ones are."""
    return value.encode().hex()


def render_roles(page: Page, specs: dict[str, FieldSpec]) -> dict[str, Any]:
    """The roles / assigned_users list."""
    require_known(specs, ROLE_FIELDS, "User")
    rows = []
    for role in page.roles:
        values: dict[str, Any] = {"id": role.user_id, "name": role.name, "tasks": list(role.tasks)}
        rows.append({name: values[name] for name in specs} | {"id": role.user_id})
    return {"data": rows}


def solid_png(name: str) -> bytes:
    """A small plain PNG (no logo in it) for cover and picture URLs, coloured by name."""
    rgb = bytes.fromhex(digest("img", name)[:6])
    width, height = 32, 16
    raw = b"".join(b"\x00" + rgb * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
