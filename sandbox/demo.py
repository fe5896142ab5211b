"""The demo district, Coast Mountains School District 82, as the sandbox serves it.

Every page passes every rule except the one problem planted in it (if any), so the
end-to-end test can assert exactly `DEMO_EXPECTED` lapses and `DEMO_UNKNOWN`
unknowns. All times are relative to `now`, so the demo reads the same whenever it
runs. config/accounts.example.yaml is the registry that matches these pages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sandbox.social import (
    IgAccount,
    IgComment,
    IgMedia,
    SocialWorld,
    XPost,
    XReply,
    XUser,
    YtChannel,
    YtComment,
    snowflake,
)
from sandbox.students import STUDENT_PLANTED, add_social_student_posts, add_student_posts
from sandbox.world import ADMIN_TASKS, EDITOR_TASKS, Comment, Page, Post, Role, World, digest

DISTRICT = "Coast Mountains School District 82"
DOMAIN = "cmsd82.ca"
SYSTEM_TOKEN = "sandbox-system-token"
BUSINESS_ID = "300000000000082"
CHECK_IDS = frozenset(
    {"comments", "principal_admin", "two_admins", "privacy", "signature"}
    | {"identifies_school", "work_email", "freshness", "student_privacy"}
)


@dataclass(frozen=True)
class School:
    """One demo page: who runs it and which problem (if any) is planted in it."""

    account_id: str
    n: int  # page 1000000000000NN, principal 2000000000000NN, second admin 2100000000000NN
    school: str
    slug: str  # website https://SLUG.cmsd82.ca, contact SLUG.office@cmsd82.ca
    principal: str
    admin: str  # the second MANAGE admin (vice-principal or teacher)
    problem: str = ""  # a check id, "roles_forbidden", "unlisted", or "" for a clean page
    principal_of: int = 0  # the principal is the one of school n (same person, same user id)

    @property
    def page_id(self) -> str:
        return f"1{self.n:014d}"

    @property
    def principal_id(self) -> str:
        return f"2{self.principal_of or self.n:014d}"


SCHOOLS = (
    School("hillcrest-elementary-fb", 1, "Hillcrest Elementary", "hillcrest", "Ann Lee", "Raj Gill"),
    School("bayview-secondary-fb", 2, "Bayview Secondary", "bayview", "Tom Nakamura", "Lisa Roy"),
    School("cedar-grove-drama-fb", 3, "Cedar Grove Middle", "cedargrove", "Maria Santos",
           "Ben Clark"),
    School("riverside-elementary-fb", 4, "Riverside Elementary", "riverside", "Grace Wong",
           "Omar Haddad", "comments"),
    School("summit-secondary-fb", 5, "Summit Secondary", "summit", "Daniel Brooks", "Emma Fraser",
           "principal_admin"),
    School("lakeside-elementary-fb", 6, "Lakeside Elementary", "lakeside", "Priya Sharma",
           "Kevin Moore", "two_admins"),
    School("hillcrest-grade5-fb", 7, "Hillcrest Elementary", "hillcrest", "Ann Lee",
           "Nina Patel", "privacy", 1),
    School("thornhill-elementary-fb", 8, "Thornhill Elementary", "thornhill", "Helen Dubois",
           "Sam Okafor", "signature"),
    School("westview-elementary-fb", 9, "Westview Elementary", "westview", "Chris Martin",
           "Julia Kim", "identifies_school"),
    School("mountainview-middle-fb", 10, "Mountainview Middle", "mountainview", "Paul Singh",
           "Alice Tremblay", "identifies_school"),
    School("pinecrest-elementary-fb", 11, "Pinecrest Elementary", "pinecrest", "Sarah Johnson",
           "Mike Chen", "work_email"),
    School("glacier-ridge-secondary-fb", 12, "Glacier Ridge Secondary", "glacierridge",
           "Robert Hall", "Fatima Ali", "freshness"),
    School("northshore-secondary-fb", 13, "Northshore Secondary", "northshore", "Linda Park",
           "Jason Reid", "roles_forbidden"),
    School("eagle-point-elementary-fb", 14, "Eagle Point Elementary", "eaglepoint",
           "Mark Wilson", "Zoe Lambert", "unlisted"),
)  # fmt: skip

# Exactly the checks that must lapse per account (an empty set: the account passes everything).
DEMO_EXPECTED: dict[str, set[str]] = {
    s.account_id: ({s.problem} if s.problem in CHECK_IDS else set()) for s in SCHOOLS
}
# Checks that must come out unknown: the roles the token may not read, and the page the
# system user no longer manages (no page token, so nothing can be fetched).
DEMO_UNKNOWN: dict[str, set[str]] = {
    "northshore-secondary-fb": {"principal_admin", "two_admins"},
    "eagle-point-elementary-fb": set(CHECK_IDS),
}
# Instagram, X and YouTube accounts: one clean, one planted per platform. No API there lists
# admins, so the admin checks are attested by a person (checks.capabilities); nobody has
# attested yet in the demo, so both are "attestation overdue" lapses, never a pass. No API
# there gives contact emails either, so work_email is unknown.
SOCIAL_PLANTED: dict[str, set[str]] = {
    "hillcrest-elementary-ig": set(),
    "thornhill-elementary-ig": {"signature"},  # the bio lacks the district signature
    "bayview-secondary-x": set(),
    "glacier-ridge-secondary-x": {"freshness"},  # last post 45 days ago
    "bayview-secondary-yt": set(),
    "riverside-elementary-yt": {"comments"},  # a 2-day-old comment nobody answered or liked
}
UNATTESTED = {"principal_admin", "two_admins"}
# Who confirmed the admins of which account, and how many days ago (socmon demo records
# these before its cycle). Bayview's X account was never attested and Glacier Ridge's
# attestation is older than attest_every_days (30): both are "attestation overdue".
DEMO_ATTESTATIONS: dict[str, tuple[str, int]] = {
    "hillcrest-elementary-ig": ("s.okafor@cmsd82.ca", 3),
    "thornhill-elementary-ig": ("j.kim@cmsd82.ca", 12),
    "glacier-ridge-secondary-x": ("e.fraser@cmsd82.ca", 41),
    "bayview-secondary-yt": ("n.patel@cmsd82.ca", 7),
    "riverside-elementary-yt": ("m.chen@cmsd82.ca", 20),
}
ATTESTATION_VALID_DAYS = 30
DEMO_EXPECTED |= {
    a: checks
    | (
        set()
        if a in DEMO_ATTESTATIONS and DEMO_ATTESTATIONS[a][1] <= ATTESTATION_VALID_DAYS
        else UNATTESTED
    )
    for a, checks in SOCIAL_PLANTED.items()
}
# Posts naming students beyond their consent (sandbox.students; roster config/students.example.csv).
DEMO_EXPECTED |= {a: DEMO_EXPECTED[a] | {"student_privacy"} for a in STUDENT_PLANTED}
# The district's Meta business no longer owns eagle-point (a lapse on that account) and owns
# a page nobody registered (a district-wide lapse about the page, by its id).
DEMO_REGISTERED = {"eagle-point-elementary-fb"}
DEMO_UNREGISTERED = {"100000000000099"}
DEMO_UNKNOWN |= {a: {"work_email"} for a in SOCIAL_PLANTED}
# What the sandbox's images show (sandbox.images); any other image is a photo without the logo.
# Bayview's page has no signature text: the logo in its banner is what passes it (CRPS AP146
# 1.a). Thornhill's banner carries a look-alike, which must not pass its signature lapse.
DEMO_IMAGES: dict[str, str] = {
    f"{SCHOOLS[1].page_id}-cover.jpg": "district",
    f"{SCHOOLS[0].page_id}-picture.jpg": "district",
    f"{SCHOOLS[7].page_id}-cover.jpg": "letters",
}
# Registered but missing from /me/accounts: a registry-vs-ownership check flags it.
DEMO_NOT_OWNED = frozenset({"eagle-point-elementary-fb"})

PARENTS = ("Jenna Morrison", "Dev Patel", "Carla Reyes", "Aaron Blake", "Mei Lin", "Tyler Ross")


def page_token(page_id: str) -> str:
    """A deterministic, random-looking page token."""
    return "EAAD" + digest("cmsd82-demo-page-token", page_id)[:48]


def demo_world(now: datetime, clock: Callable[[], datetime] | None = None) -> World:
    """The demo district's pages, with one planted problem in most of them.

    `clock` is the imitation's "now" (X's search window, rate-limit resets); by default the
    world stands still at `now`, as a test's injected clock does.
    """
    world = World(system_token=SYSTEM_TOKEN, business_id=BUSINESS_ID)
    for school in SCHOOLS:
        page = world.add(_clean_page(school, now))
        _plant(school, page, now)
        if school.problem == "roles_forbidden":
            world.roles_forbidden.add(page.id)
    add_student_posts(world, {s.account_id: s.page_id for s in SCHOOLS}, now)
    world.social = demo_social(now, clock or (lambda: now))
    add_social_student_posts(world.social)
    return world


def _clean_page(s: School, now: datetime) -> Page:
    """A page that passes every rule: signature, school name, website, work email, 2 admins."""
    page = Page(
        id=s.page_id,
        name=s.school,
        token=page_token(s.page_id),
        about=f"Official page of {s.school}, {DISTRICT}.",
        description=f"News, events and reminders for {s.school} families.",
        website=f"https://{s.slug}.{DOMAIN}",
        emails=[f"{s.slug}.office@{DOMAIN}"],
        roles=[
            Role(s.principal_id, s.principal, ADMIN_TASKS),
            Role(f"21{s.n:013d}", s.admin, ADMIN_TASKS),
            Role(f"22{s.n:013d}", "Dana Fox", EDITOR_TASKS),  # a moderator, not an admin
        ],
    )
    page.posts = _posts(page, now, (2, 9, 21))
    return page


def _posts(page: Page, now: datetime, ages_days: tuple[int, ...]) -> list[Post]:
    """Posts `ages_days` old with comments the page has handled, plus one still fresh."""
    posts = []
    parent = PARENTS[int(page.id) % len(PARENTS)]
    for n, age in enumerate(ages_days, start=1):
        at = now - timedelta(days=age, hours=3)
        post = Post(f"{page.id}_{n}", at, f"{page.name}: update {n}.")
        ask = _comment(post, 1, parent, "Is this on the school calendar?", at + timedelta(hours=4))
        answer = _comment(post, 2, page.id, "Yes, it is. Thanks for asking!", ask.created_time)
        answer.from_name, answer.parent_id = page.name, ask.id
        answer.created_time += timedelta(hours=1)
        liked = _comment(post, 3, "Parent Council", "Great work everyone!", at + timedelta(hours=6))
        liked.user_likes = True
        spam = _comment(
            post, 4, "Deals4U", "Cheap followers at example.com", at + timedelta(hours=7)
        )
        spam.is_hidden = True
        post.comments = [ask, answer, liked, spam]
        posts.append(post)
    if ages_days and ages_days[0] < 30:
        # A comment from 3 hours ago, unanswered but still inside the 24 h review window.
        fresh = _comment(posts[0], 5, "Grandparent", "Lovely photos!", now - timedelta(hours=3))
        posts[0].comments.append(fresh)
    return posts


def _comment(post: Post, n: int, author: str, message: str, at: datetime) -> Comment:
    """A comment on `post` by `author` (a name; the page's own id marks the page itself)."""
    author_id = author if author.isdigit() else "3" + digest(author)[:14].translate(_DIGITS)
    return Comment(f"{post.id}_{n}", author_id, author, message, at)


_DIGITS = str.maketrans("abcdef", "012345")


def _plant(s: School, page: Page, now: datetime) -> None:
    """Break the one rule this school's page is meant to break."""
    if s.problem == "comments":
        post = Post(f"{page.id}_0", now - timedelta(days=4), "Grade 3 field trip on Friday!")
        question = "Do the Grade 3 kids still need signed permission forms for Friday's trip?"
        post.comments = [_comment(post, 1, "Jenna Morrison", question, now - timedelta(days=3))]
        page.posts.insert(1, post)  # not hidden, not liked, not answered by the page
    elif s.problem == "principal_admin":
        page.roles[0].tasks = EDITOR_TASKS  # the principal can post but cannot manage people
        page.roles.append(Role(f"23{s.n:013d}", "Irene Walsh", ADMIN_TASKS))  # still 2 admins
    elif s.problem == "two_admins":
        page.roles = [page.roles[0], page.roles[2]]  # the principal plus a moderator only
    elif s.problem == "privacy":
        page.name = "Hillcrest Elementary: Ms. Patel's Grade 5 Class"
        page.about = f"Class news for Ms. Patel's Grade 5 families. {DISTRICT}."
        page.emails = [f"n.patel@{DOMAIN}"]
        # Declared private in the registry, but the page is published for everyone to see.
    elif s.problem == "signature":
        page.about = "Welcome to Thornhill Elementary, home of the Thunderbirds!"
    elif s.problem == "identifies_school" and s.slug == "westview":
        page.name = "CMSD82 News"
        page.about = f"News and announcements from {DISTRICT}."
        page.description = "Stay up to date with what is happening across the district."
    elif s.problem == "identifies_school":
        page.website = ""  # no link to the school website
    elif s.problem == "work_email":
        page.emails = ["pinecrest.school.news@gmail.com"]
    elif s.problem == "freshness":
        page.posts = _posts(page, now, (75, 96, 130))
    elif s.problem == "unlisted":
        page.listed = False  # no longer in the system user's /me/accounts
    elif s.account_id == "bayview-secondary-fb":
        page.about = f"Official page of {s.school}."  # no signature text: the logo carries it
    elif s.account_id == "cedar-grove-drama-fb":
        # A clean page that is private on purpose: an unpublished drama club page.
        page.name = "Cedar Grove Middle Drama Club"
        page.is_published = False


def demo_social(now: datetime, clock: Callable[[], datetime]) -> SocialWorld:
    """The district's Instagram, X and YouTube accounts (see SOCIAL_PLANTED)."""
    social = SocialWorld(clock=clock)
    for n, (slug, school, bio, comments_on) in enumerate(
        [
            ("hillcrest", "Hillcrest Elementary", f"Hillcrest Elementary news. {DISTRICT}.", True),
            ("thornhill", "Thornhill Elementary", "Home of the Thunderbirds! Go Birds!", False),
        ],
        start=1,
    ):
        username = f"{slug}_cmsd82"
        account = IgAccount(
            f"178414000000000{n:02d}", SCHOOLS[0 if n == 1 else 7].page_id, username, school,
            bio, f"https://{slug}.{DOMAIN}",
        )  # fmt: skip
        for m, age in enumerate((1, 5, 12), start=1):
            at = now - timedelta(days=age, hours=2)
            media = IgMedia(f"179000000000{n:02d}{m:03d}", at, comments_on)
            ask = IgComment(f"{media.id}1", "jenna.morrison", "What time is pickup?", at)
            ask.replies = [IgComment(f"{media.id}2", username, "3:05 pm. Thanks!", at)]
            spam = IgComment(f"{media.id}3", "deals4u", "Cheap followers!", at, hidden=True)
            media.comments = [ask, spam]
            account.media.append(media)
        fresh = IgComment(
            f"{account.media[0].id}9", "grandpa.joe", "Lovely!", now - timedelta(hours=3)
        )
        account.media[0].comments.append(fresh)
        social.instagram[account.id] = account

    for n, (name, slug, ages) in enumerate(
        [
            ("BayviewSecondary", "bayview", (1, 4, 12)),
            ("GlacierRidgeSS", "glacierridge", (45, 60, 90)),
        ],
        start=1,
    ):
        school = "Bayview Secondary" if n == 1 else "Glacier Ridge Secondary"
        user = XUser(
            f"15000000000000000{n:02d}", name, school, f"{school} news. {DISTRICT}.",
            f"https://{slug}.{DOMAIN}",
        )  # fmt: skip
        for m, age in enumerate(ages):
            at = now - timedelta(days=age, hours=1)
            user.posts.append(XPost(snowflake(at, m), f"{school}: update {m + 1}.", at))
        # Four days ago a parent asked and the account answered: a complete, handled thread.
        if ages[1] < 7:
            post = user.posts[1]
            ask_at = post.created_at + timedelta(hours=2)
            parent = "1400000000000000077"
            question = XReply(snowflake(ask_at, 1), parent, "Is it on?", ask_at, post.id)
            answer_at = ask_at + timedelta(hours=1)
            answer = XReply(snowflake(answer_at, 2), user.id, "Yes!", answer_at, question.id)
            post.replies = [question, answer]
        social.x_users[user.id] = user

    for channel_id, school, slug, planted in [
        ("UCbayviewsecondary82cmsd", "Bayview Secondary", "bayview", False),
        ("UCriversideelementary82x", "Riverside Elementary", "riverside", True),
    ]:
        channel = YtChannel(
            channel_id, f"{school} Media",
            f"Videos from {school}, {DISTRICT}. Website: https://{slug}.{DOMAIN}",
            f"@{slug}cmsd82",
        )  # fmt: skip
        for m, age in enumerate((3, 10, 24)):
            channel.uploads.append((f"{slug[:4]}vid{m:04d}", now - timedelta(days=age)))
        video = channel.uploads[0][0]
        at = now - timedelta(days=2, hours=5)
        asked = YtComment(f"Ug{slug}1", "Dev Patel", "UCparent1", "Great game!", at, video)
        asked.replies = [YtComment(f"Ug{slug}1.r", school, channel_id, "Thanks!", at, video)]
        liked = YtComment(f"Ug{slug}2", "Mei Lin", "UCparent2", "Congrats!", at, video, "like")
        held = YtComment(
            f"Ug{slug}3", "Spammer", "UCspam", "Buy now", at, video, status="heldForReview"
        )
        channel.threads = [asked, liked, held]
        if planted:
            unanswered = "When are the Grade 4 concert tickets on sale?"
            channel.threads.insert(
                0, YtComment(f"Ug{slug}4", "Carla Reyes", "UCparent3", unanswered, at, video)
            )
        social.youtube[channel_id] = channel
    return social
