"""The demo district's posts about students, with decoys, and the demo's own roster key.

config/students.example.csv is the fictional roster these posts are written against;
`socmon demo` imports it with DEMO_ROSTER_KEY. Each planted post breaks one consent rule;
each decoy must not be a lapse: a first name alone, a common word that is also a first
name, a staff member's name, a student of another school, full consent on a school page.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sandbox.social import SocialWorld
from sandbox.world import Page, Post, World

# The sandbox's made-up HMAC key for the demo roster: never a real one.
DEMO_ROSTER_KEY = "sandbox-roster-key-not-a-real-secret-82"
PHOTO = {"media_type": "photo", "description": "A photo from the event."}
VIDEO = {"media_type": "video", "description": "A video from the game."}

# page id suffix -> (hours ago, message, attachments); ids follow sandbox.demo.SCHOOLS.
STUDENT_POSTS: dict[str, list[tuple[int, str, list[dict[str, str]]]]] = {
    "riverside-elementary-fb": [
        (30, "Congratulations to Maya Thornbury, our spelling bee champion!", []),
        (31, "A big thank-you to \u00c9lodie Marchand\u2019s family for the bake sale.", []),
        (32, "Noah and his team built the tallest tower in the school!", [PHOTO]),
        (33, "Liam Okonkwo from Pinecrest visited to read to our Grade 2 class.", []),
    ],
    "pinecrest-elementary-fb": [
        (20, "#LiamOkonkwo scores the winning goal! Go Pinecrest!", [VIDEO]),
        (21, "Deshmukh-Rao, Priya: provincial science fair finalist.", []),
        (22, "Ingrid Solvang won the art prize.", [PHOTO]),
    ],
    # A class page may not share student information at all (NW AP140-C 1.10.1), even a
    # student with full-name consent.
    "hillcrest-grade5-fb": [
        (26, "Sofia Brennan presented our class project to the district.", []),
    ],
    # A clean page full of decoys: a common word that is a student's first name, the
    # principal who shares a student's name, a first name with a photo.
    "bayview-secondary-fb": [
        (
            27,
            "We hope to see you at the open house! Principal Tom Nakamura welcomes families.",
            [PHOTO],
        ),
        (28, "Jonah read his poem at the assembly.", [PHOTO]),
    ],
    "summit-secondary-fb": [
        # Full-name consent on a school page; "hunter" is a word here.
        (22, "Mateo Villanueva is our athlete of the month.", [PHOTO]),
        (23, "The hunter education course starts Monday.", [PHOTO]),
    ],
}
# Riverside's newest YouTube upload names a student in full in its title; Hillcrest's
# Instagram caption only uses a common word that is a student's first name.
YOUTUBE_TITLES = {
    "UCriversideelementary82x": ("Maya Thornbury's science fair project", "Grade 4 science."),
}
INSTAGRAM_CAPTIONS = {"hillcrest_cmsd82": "We hope you enjoyed the book fair!"}
# The accounts whose student posts must be student_privacy lapses.
STUDENT_PLANTED = frozenset(
    {
        "riverside-elementary-fb",
        "pinecrest-elementary-fb",
        "hillcrest-grade5-fb",
        "riverside-elementary-yt",
    }
)


def add_student_posts(world: World, page_ids: dict[str, str], now: datetime) -> None:
    """Put the demo's student posts on their pages (after the page's newest post)."""
    for account_id, posts in STUDENT_POSTS.items():
        page: Page | None = world.page(page_ids[account_id])
        if page is None:
            raise KeyError(f"no demo page for {account_id}")
        for n, (hours, message, attachments) in enumerate(posts, start=1):
            post = Post(f"{page.id}_s{n}", now - timedelta(hours=hours), message)
            post.attachments = [dict(a) for a in attachments]
            page.posts.append(post)
        page.posts.sort(key=lambda p: p.created_time, reverse=True)


def add_social_student_posts(social: SocialWorld) -> None:
    """Titles and captions with students' names on the demo's YouTube and Instagram accounts."""
    for channel_id, text in YOUTUBE_TITLES.items():
        channel = social.youtube[channel_id]
        channel.video_text[channel.uploads[0][0]] = text
    for account in social.instagram.values():
        caption = INSTAGRAM_CAPTIONS.get(account.username)
        if caption:
            account.media[0].caption = caption
