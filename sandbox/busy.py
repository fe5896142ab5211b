"""Busy accounts for the coverage benchmark and tests: what the independent district had.

Dozens of posts a week back past the scan horizon, hundreds of comments on one post,
a long reply thread, and a new comment on a two-month-old post. Every comment is
handled (liked by the page), so a busy Page costs calls but plants no lapse unless
asked: `unhandled_late=True` leaves the oldest of the 600 comments unhandled.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sandbox.social import (
    IgAccount,
    IgComment,
    IgMedia,
    XPost,
    XReply,
    XUser,
    YtChannel,
    YtComment,
    snowflake,
)
from sandbox.world import Comment, Page, Post, World, synthetic_page

BUSY_POSTS = 120  # over 180 days: about 5 a week, 60 inside a 90-day horizon
CROWDED = 600  # comments on the newest post
THREAD = 200  # replies to one comment


def busy_page(index: int, page_id: str, now: datetime, *, unhandled_late: bool = False) -> Page:
    """Synthetic school `index` made busy; roles and profile stay those of the quiet page."""
    page = synthetic_page(index, page_id, now)
    page.posts = []
    for n in range(BUSY_POSTS):
        created = now - timedelta(days=2 + n * 1.5)
        post = Post(f"{page_id}_{n + 1}", created, f"Update {n + 1}.")
        page.posts.append(post)
    crowded = page.posts[0]
    for c in range(CROWDED):
        at = crowded.created_time + timedelta(minutes=c)
        liked = not (unhandled_late and c == 0)
        crowded.comments.append(
            Comment(f"{crowded.id}_c{c}", f"7{c:014d}", "A Parent", "Thanks!", at, user_likes=liked)
        )
    threaded = page.posts[5]
    head = Comment(
        f"{threaded.id}_h", "700000000000001", "A Parent", "Question?", threaded.created_time
    )
    head.user_likes = True
    threaded.comments.append(head)
    for r in range(THREAD):
        at = threaded.created_time + timedelta(minutes=r + 1)
        reply = Comment(f"{threaded.id}_r{r}", f"7{r:014d}", "Another Parent", "Me too", at)
        reply.parent_id, reply.user_likes = head.id, True
        threaded.comments.append(reply)
    old = page.posts[40]  # about 60 days old, commented on yesterday
    late = Comment(
        f"{old.id}_late", "700000000000002", "A Parent", "Still?", now - timedelta(days=1)
    )
    late.user_likes = True
    old.comments.append(late)
    return page


def make_busy(world: World, page_ids: list[str], now: datetime) -> None:
    """Replace these synthetic pages of `world` by busy ones."""
    base = 500_000_000_000_000
    for page_id in page_ids:
        world.add(busy_page(int(page_id) - base, page_id, now))


def busy_instagram(account_id: str, page_id: str, now: datetime) -> IgAccount:
    """An Instagram account with 60 media in 90 days, 300 comments on one, a 120-reply thread."""
    account = IgAccount(account_id, page_id, "busy_school", "Busy School")
    for n in range(60):
        media = IgMedia(f"179{account_id[-6:]}{n:06d}", now - timedelta(days=2 + n * 1.5))
        account.media.append(media)
    crowded = account.media[0]
    for c in range(300):
        at = crowded.timestamp + timedelta(minutes=c)
        crowded.comments.append(IgComment(f"1795{c:012d}", f"parent{c}", "hi", at, hidden=True))
    head = crowded.comments[0]
    for r in range(120):
        at = head.timestamp + timedelta(minutes=r + 1)
        head.replies.append(IgComment(f"1796{r:012d}", f"other{r}", "+1", at, hidden=True))
    return account


def busy_channel(channel_id: str, now: datetime) -> YtChannel:
    """A channel with 80 threads in 90 days, one with 150 replies (YouTube carries 5)."""
    channel = YtChannel(channel_id, "Busy School Channel")
    for n in range(80):
        at = now - timedelta(days=2 + n)
        thread = YtComment(f"Ugx{channel_id[-6:]}{n:05d}", "@parent", "UCparent", "hi", at)
        thread.viewer_rating = "like"
        channel.threads.append(thread)
    crowded = channel.threads[0]
    for r in range(150):
        at = crowded.published + timedelta(minutes=r + 1)
        reply = YtComment(f"{crowded.id}.r{r}", "@other", "UCother", "+1", at)
        reply.viewer_rating = "like"
        crowded.replies.append(reply)
    return channel


def busy_x_user(user_id: str, now: datetime) -> XUser:
    """An X account posting 5 times a day this week, 250 replies on its newest post, all answered."""
    user = XUser(user_id, "BusySchool", "Busy School")
    for n in range(35):
        at = now - timedelta(hours=2 + n * 4.5)
        user.posts.append(XPost(snowflake(at, n), f"Update {n}", at))
    newest = user.posts[0]
    for r in range(250):
        at = newest.created_at + timedelta(minutes=r + 1)
        asked = XReply(snowflake(at, 1000 + r), f"9{r:018d}", "question", at, newest.id)
        answer_at = at + timedelta(seconds=30)
        answer = XReply(snowflake(answer_at, 2000 + r), user_id, "answer", answer_at, asked.id)
        newest.replies += [asked, answer]
    return user
