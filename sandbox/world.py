"""The sandbox's in-memory data: pages, their posts, comments and roles, tokens and faults.

A `World` is plain data that tests and the demo build and mutate; the ASGI app in
`sandbox.app` only reads it (and counts calls). Synthetic worlds for benchmarks
build each page on first use so 10,000 pages cost almost nothing up front.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sandbox.social import SocialWorld

ADMIN_TASKS = ("ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE")
EDITOR_TASKS = ("ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT")
# The last two serve only further pages of posts/comments; a normal fetch never needs them.
ENDPOINT_KINDS = ("me_accounts", "page", "roles", "assigned_users", "posts", "comments")


def digest(*parts: str) -> str:
    """A stable hex digest: tokens and ids that look random but never change between runs."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


@dataclass
class Role:
    """A person with tasks on a page; MANAGE makes them an admin."""

    user_id: str
    name: str
    tasks: tuple[str, ...] = ADMIN_TASKS


@dataclass
class Comment:
    """A comment or, with `parent_id`, a reply; `user_likes` means liked by the page."""

    id: str
    from_id: str
    from_name: str
    message: str
    created_time: datetime
    is_hidden: bool = False
    user_likes: bool = False
    parent_id: str | None = None


@dataclass
class Post:
    """A page post with its comments, oldest comment first."""

    id: str
    created_time: datetime
    message: str = ""
    comments: list[Comment] = field(default_factory=list)
    # Graph story attachments: {"media_type": "photo", "description": "..."}.
    attachments: list[dict[str, str]] = field(default_factory=list)

    @property
    def permalink_url(self) -> str:
        page_id, _, story = self.id.partition("_")
        return f"https://www.facebook.com/{page_id}/posts/{story}"


@dataclass
class Page:
    """One Facebook page as the Graph API would describe it to its own page token."""

    id: str
    name: str
    token: str
    about: str = ""
    description: str = ""
    website: str = ""
    emails: list[str] = field(default_factory=list)
    is_published: bool = True
    posts: list[Post] = field(default_factory=list)  # newest first
    roles: list[Role] = field(default_factory=list)
    # False: the system user does not see the page in /me/accounts (no page token handed out).
    listed: bool = True

    @property
    def link(self) -> str:
        return f"https://www.facebook.com/{self.id}"


Fault = tuple[int, int | None]  # (HTTP status, Graph error code or None)


def _no_clock() -> datetime:
    """A world built without social accounts has no clock: nothing should ask it the time."""
    raise RuntimeError("this sandbox world has no clock: build it with demo_world(now, clock)")


@dataclass
class World:
    """Everything the sandbox serves, plus the knobs tests turn."""

    system_token: str
    business_id: str
    pages: dict[str, Page] = field(default_factory=dict)
    latency_ms: int = 0
    usage_percent: int = 5
    # Minutes the business usage header says to wait once throttled.
    regain_minutes: int = 0
    # Pages whose business-use-case usage is spent: page id -> minutes to regain access.
    throttled_pages: dict[str, int] = field(default_factory=dict)
    # Served first-in first-out, one per request: per page first, then global.
    fail_next: list[Fault] = field(default_factory=list)
    fail_next_for: dict[str, list[Fault]] = field(default_factory=dict)
    roles_forbidden: set[str] = field(default_factory=set)
    expired_tokens: set[str] = field(default_factory=set)
    calls: Counter[str] = field(default_factory=Counter)
    errors: int = 0
    # Instagram, X and YouTube data (sandbox.social), served beside the Graph pages.
    social: SocialWorld = field(default_factory=lambda: SocialWorld(clock=_no_clock))
    # Image requests, 304s and body bytes served (sandbox.images), for the benchmark.
    images: Counter[str] = field(default_factory=Counter)
    # Synthetic worlds: ids in listing order and a builder for pages not yet materialised.
    _order: list[str] | None = None
    _build: Callable[[str], Page | None] | None = None
    _token_owner: dict[str, str] = field(default_factory=dict)
    _token_parse: Callable[[str], str | None] | None = None
    # What an image shows beyond the demo's (sandbox.images): None is a plain photo.
    _image_variant: Callable[[str], str | None] | None = None

    def add(self, page: Page) -> Page:
        """Add (or replace) a page and index its token."""
        self.pages[page.id] = page
        self._token_owner[page.token] = page.id
        return page

    def page(self, page_id: str) -> Page | None:
        """The page with this id, built on first use in a synthetic world."""
        found = self.pages.get(page_id)
        if found is None and self._build is not None:
            found = self._build(page_id)
            if found is not None:
                self.pages[page_id] = found
        return found

    def page_ids(self) -> list[str]:
        """Every page id, in /me/accounts order."""
        return list(self.pages) if self._order is None else self._order

    def listed_ids(self) -> list[str]:
        """Ids of the pages the system user manages, in /me/accounts order."""
        # A synthetic page not built yet is listed by construction: no need to build it.
        return [
            page_id
            for page_id in self.page_ids()
            if (page := self.pages.get(page_id)) is None or page.listed
        ]

    def token_owner(self, token: str) -> str | None:
        """'system' for the system token, the page id for a page token, None when unknown."""
        if token == self.system_token:
            return "system"
        owner = self._token_owner.get(token)
        if owner is None and self._token_parse is not None:
            owner = self._token_parse(token)
        return owner

    def image_variant(self, name: str) -> str | None:
        """What the image `name` shows ("district", a decoy), or None for a plain photo."""
        return self._image_variant(name) if self._image_variant else None

    def take_fault(self, page_id: str | None) -> Fault | None:
        """The next planned failure for a request to this page, if any."""
        queue = self.fail_next_for.get(page_id or "")
        if queue:
            return queue.pop(0)
        if self.fail_next:
            return self.fail_next.pop(0)
        return None

    def stats(self) -> dict[str, object]:
        """Call counters for /_sandbox/stats."""
        calls = {kind: self.calls.get(kind, 0) for kind in ENDPOINT_KINDS}
        return {"calls": calls, "total": sum(calls.values()), "errors": self.errors}

    @classmethod
    def synthetic(cls, n_pages: int, now: datetime) -> World:
        """A benchmark world of `n_pages` schools, each clean or with one lapse by rotation."""
        base = 500_000_000_000_000
        order = [str(base + i) for i in range(n_pages)]

        def valid(page_id: str) -> bool:
            return page_id.isdigit() and 0 <= int(page_id) - base < n_pages

        def build(page_id: str) -> Page | None:
            return synthetic_page(int(page_id) - base, page_id, now) if valid(page_id) else None

        def parse(token: str) -> str | None:
            page_id = token[4:-16]
            return page_id if valid(page_id) and token == synthetic_token(page_id) else None

        def image(name: str) -> str | None:
            # Half the schools show the district logo in their cover, as policy asks; the
            # detector costs more on a banner that holds it, so the benchmark pays for both.
            page_id, _, what = name.partition("-")
            return (
                "district"
                if what == "cover.jpg" and valid(page_id) and int(page_id) % 2 == 0
                else None
            )

        return cls(
            system_token="sandbox-system-token",
            business_id="300000000000099",
            _order=order,
            _build=build,
            _token_parse=parse,
            _image_variant=image,
        )


def synthetic_token(page_id: str) -> str:
    """Page token of a synthetic page: derivable, so no index of 10,000 tokens is needed."""
    return f"EAAS{page_id}{digest('synthetic', page_id)[:16]}"


# The rotation of planted problems in synthetic pages; None is a clean page.
SYNTHETIC_LAPSES = (None, "comments", None, "principal_admin", None, "freshness", "two_admins")


def synthetic_page(index: int, page_id: str, now: datetime) -> Page:
    """Synthetic school `index`: 3 posts, a few comments, 2 admins incl. the principal."""
    lapse = SYNTHETIC_LAPSES[index % len(SYNTHETIC_LAPSES)]
    school = f"Synthetic School {index}"
    age = timedelta(days=45) if lapse == "freshness" else timedelta(0)
    posts = []
    for n, days in enumerate((1, 6, 20)):
        created = now - age - timedelta(days=days)
        post = Post(f"{page_id}_{n + 1}", created, f"Update {n + 1} from {school}.")
        posts.append(post)
        parent = Comment(
            f"{post.id}_c1",
            f"7{index:014d}",
            "A Parent",
            "Thank you!",
            created + timedelta(hours=2),
        )
        post.comments.append(parent)
        if lapse == "comments" and n == 1:
            continue  # a parent's question nobody answered: the planted lapse
        parent.user_likes = True
        reply_at = created + timedelta(hours=3)
        reply = Comment(f"{post.id}_c2", page_id, school, "You're welcome.", reply_at)
        reply.parent_id = parent.id
        post.comments.append(reply)
    principal_tasks = EDITOR_TASKS if lapse == "principal_admin" else ADMIN_TASKS
    roles = [Role(synthetic_principal_id(index), f"Principal {index}", principal_tasks)]
    if lapse != "two_admins":
        roles.append(Role(f"6{index:014d}", f"Vice-Principal {index}"))
    if lapse == "principal_admin":  # keep two MANAGE admins so only one check lapses
        roles.append(Role(f"5{index:014d}", f"Teacher {index}"))
    return Page(
        id=page_id,
        name=school,
        token=synthetic_token(page_id),
        about=f"{school}, Coast Mountains School District 82.",
        website=f"https://school{index}.example.cmsd82.ca",
        emails=[f"office{index}@cmsd82.ca"],
        posts=posts,
        roles=roles,
    )


def synthetic_principal_id(index: int) -> str:
    """User id of synthetic school `index`'s principal (for a matching registry)."""
    return f"8{index:014d}"


def synthetic_registry(n_pages: int) -> Iterable[dict[str, object]]:
    """Registry entries (the accounts.example.yaml shape) for `World.synthetic(n_pages)`."""
    for index in range(n_pages):
        page_id = str(500_000_000_000_000 + index)
        yield {
            "id": f"synthetic-{index}-fb",
            "platform": "facebook",
            "platform_id": page_id,
            "school": f"Synthetic School {index}",
            "kind": "school",
            "audience": "public",
            "managers": [f"manager{index}@cmsd82.ca"],
            "principals": [
                {"name": f"Principal {index}", "user_id": synthetic_principal_id(index)}
            ],
            "website": f"https://school{index}.example.cmsd82.ca",
            "approval": f"SYN-{index}",
        }
