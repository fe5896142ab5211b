"""Facebook and Instagram read every comment in the horizon, within a call budget, throttled per Page.

Reply shapes follow the Graph reference pages for the comments edge
(developers.facebook.com/docs/graph-api/reference/object/comments: `summary.total_count`,
`paging.cursors.after`, `paging.next`), the page post (`updated_time`) and rate limiting
(developers.facebook.com/docs/graph-api/overview/rate-limiting: X-App-Usage,
X-Business-Use-Case-Usage keyed by object id, `estimated_time_to_regain_access` in minutes).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import graph_factory
import httpx
import pytest
import respx
from recorded import NOW, Recorder

from checks.base import Status
from checks.comments import comments as comments_check
from connectors.base import Fact, SyncMark
from connectors.facebook import FacebookConnector
from connectors.graph_throttle import GraphThrottle
from connectors.http import RetryPolicy
from connectors.instagram import InstagramConnector
from tests.checks.check_factories import account, options

BASE = "https://graph.test"
ROOT = f"{BASE}/v26.0"
SYSTEM = "EAAGfakeSYSTEMtokenxxxxxxxxxxxxxxxxxxxxxx"
IG = "17841400000000501"


def at(days: float = 0, hours: float = 0) -> str:
    return (NOW - timedelta(days=days, hours=hours)).strftime("%Y-%m-%dT%H:%M:%S+0000")


def edge(rows: list[dict[str, Any]], after: str | None, total: int | None = None) -> dict[str, Any]:
    """A Graph edge: data, cursors and `next` when more remain, and the summary when asked."""
    out: dict[str, Any] = {
        "data": rows,
        "paging": {"cursors": {"before": "B", "after": after or "Z"}},
    }
    if after:
        out["paging"]["next"] = f"https://graph.facebook.com/v26.0/x?after={after}"
    if total is not None:
        out["summary"] = {"order": "reverse_chronological", "total_count": total}
    return out


def fb_comments(post: str, start: int, count: int, hours_old: float) -> list[dict[str, Any]]:
    return [
        {
            "id": f"{post}_c{n}",
            "from": {"id": f"50{n}", "name": "Parent"},
            "message": "hello",
            "created_time": at(hours=hours_old + n / 100),
            "user_likes": True,
        }
        for n in range(start, start + count)
    ]


def fb_post(
    post_id: str, created_days: float, updated_days: float, comments: Any
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": post_id,
        "created_time": at(days=created_days),
        "updated_time": at(days=updated_days),
    }
    if comments is not None:
        row["comments"] = comments
    return row


def page(posts: list[dict[str, Any]], after: str | None = None) -> dict[str, Any]:
    return {"id": "111", "name": "Lincoln", "is_published": True, "posts": edge(posts, after)}


@pytest.fixture
def graph() -> Iterator[respx.MockRouter]:
    tokens = {
        "data": [
            {"id": "111", "access_token": "EAAGfakePAGEtoken111xxxxxxxxxxxxxxxxxxxx"},
            {"id": "222", "access_token": "EAAGfakePAGEtoken222xxxxxxxxxxxxxxxxxxxx"},
        ]
    }
    with respx.mock(assert_all_called=False) as router:
        router.get(f"{ROOT}/me/accounts").mock(return_value=httpx.Response(200, json=tokens))
        for page_id in ("111", "222"):
            router.get(f"{ROOT}/{page_id}/roles", name=f"roles{page_id}").mock(
                return_value=httpx.Response(200, json={"data": []})
            )
        yield router


def facebook(client: httpx.AsyncClient, sleep: Recorder, **options: Any) -> FacebookConnector:
    return graph_factory.facebook(
        client,
        base_url=BASE,
        system_token=SYSTEM,
        retry=RetryPolicy(jitter=lambda: 0.0),
        sleep=sleep,
        clock=sleep.clock,
        **options,
    )


async def test_a_busy_post_is_read_to_its_last_comment_and_the_coverage_counts_them(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    first = edge(fb_comments("111_1", 0, 50, 30), "C1", total=120)
    graph.get(f"{ROOT}/111").mock(
        return_value=httpx.Response(200, json=page([fb_post("111_1", 1, 0, first)]))
    )
    more = graph.get(f"{ROOT}/111_1/comments").mock(
        side_effect=[
            httpx.Response(200, json=edge(fb_comments("111_1", 50, 50, 40), "C2", total=120)),
            httpx.Response(200, json=edge(fb_comments("111_1", 100, 20, 50), None, total=120)),
        ]
    )
    snap = await facebook(client, sleep).fetch("111")
    assert more.call_count == 2
    assert len(snap.posts[0].comments) == 120
    cover = snap.coverage[Fact.COMMENTS]
    assert cover.complete
    assert cover.covered == (
        "all 120 comments and replies on 1 post published or commented on in the last 90 days"
    )


async def test_an_unhandled_comment_beyond_the_first_fifty_is_found_and_lapses(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    late = fb_comments("111_1", 50, 1, 30)
    late[0]["user_likes"] = False
    first = edge(fb_comments("111_1", 0, 50, 30), "C1", total=51)
    graph.get(f"{ROOT}/111").mock(
        return_value=httpx.Response(200, json=page([fb_post("111_1", 2, 1, first)]))
    )
    graph.get(f"{ROOT}/111_1/comments").mock(
        return_value=httpx.Response(200, json=edge(late, None, total=51))
    )
    snap = await facebook(client, sleep).fetch("111")
    finding = comments_check.run(account(), snap, options())
    assert finding.status == Status.LAPSE
    assert finding.evidence["comment_ids"] == ["111_1_c50"]


async def test_comments_cut_by_the_budget_are_unknown_never_pass(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    first = edge(fb_comments("111_1", 0, 50, 30), "C1", total=612)
    graph.get(f"{ROOT}/111").mock(
        return_value=httpx.Response(200, json=page([fb_post("111_1", 1, 0, first)]))
    )
    graph.get(f"{ROOT}/111_1/comments").mock(
        return_value=httpx.Response(200, json=edge(fb_comments("111_1", 50, 50, 40), "Cn"))
    )
    snap = await facebook(client, sleep, max_calls_per_account=5).fetch("111")
    cover = snap.coverage[Fact.COMMENTS]
    assert not cover.complete
    # The page call (roles inside) and 4 more pages of 50 comments: 5 calls, 250 read.
    assert cover.missing == (
        "read 250 of at least 612 comments and replies before the per-account budget of "
        "5 calls ran out"
    )
    finding = comments_check.run(account(), snap, options())
    assert finding.status == Status.UNKNOWN
    assert "read 250 of at least 612" in finding.detail


async def test_old_posts_are_read_only_when_they_were_commented_on_inside_the_horizon(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    quiet_old = fb_post("111_8", 200, 200, edge(fb_comments("111_8", 0, 1, 4800), "Q1"))
    lively_old = fb_post("111_9", 150, 1, edge(fb_comments("111_9", 0, 1, 30), "L1"))
    graph.get(f"{ROOT}/111").mock(
        return_value=httpx.Response(200, json=page([lively_old, quiet_old], after="P2"))
    )
    posts = graph.get(f"{ROOT}/111/posts")
    lively = graph.get(f"{ROOT}/111_9/comments").mock(
        return_value=httpx.Response(200, json=edge(fb_comments("111_9", 1, 1, 31), None))
    )
    quiet = graph.get(f"{ROOT}/111_8/comments")
    snap = await facebook(client, sleep).fetch("111")
    assert lively.call_count == 1
    assert quiet.call_count == 0  # neither published nor commented on in 90 days
    assert posts.call_count == 0  # the last post read is already outside the horizon
    assert snap.coverage[Fact.COMMENTS].covered.startswith("all 2 comments and replies on 1 post")


async def test_posts_are_paged_back_to_the_horizon_and_no_further(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    graph.get(f"{ROOT}/111").mock(
        return_value=httpx.Response(200, json=page([fb_post("111_1", 10, 10, None)], after="P2"))
    )
    second = {"data": [fb_post("111_2", 95, 95, None)], "paging": {"next": f"{ROOT}/x?after=P3"}}
    posts = graph.get(f"{ROOT}/111/posts").mock(return_value=httpx.Response(200, json=second))
    snap = await facebook(client, sleep).fetch("111")
    assert posts.call_count == 1
    assert [p.post_id for p in snap.posts] == ["111_1", "111_2"]
    assert snap.coverage[Fact.COMMENTS].complete


def usage_header(object_id: str, percent: int, regain_minutes: int) -> dict[str, str]:
    entry = {"type": "pages", "call_count": percent, "total_cputime": 1, "total_time": 1}
    entry["estimated_time_to_regain_access"] = regain_minutes
    return {"X-Business-Use-Case-Usage": json.dumps({object_id: [entry]})}


async def test_a_throttled_page_holds_only_that_page(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    graph.get(f"{ROOT}/111").mock(
        return_value=httpx.Response(200, json=page([]), headers=usage_header("111", 100, 5))
    )
    graph.get(f"{ROOT}/222").mock(return_value=httpx.Response(200, json=page([]) | {"id": "222"}))
    fb = facebook(client, sleep)
    await fb.fetch("111")  # one call reads the page, its roles inside
    with pytest.raises(Exception, match="next request in 300s"):
        await fb.fetch("111")  # its next call would have to wait the 5 minutes
    snap = await fb.fetch("222")
    assert snap.platform_id == "222"
    assert sleep.delays == []  # page 222 never waited for page 111
    assert graph.routes["roles222"].call_count == 0  # roles come inside the page call


async def test_a_regain_time_of_zero_retries_in_seconds_not_a_minute(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    error = {"error": {"message": "(#4) Application request limit reached", "code": 4}}
    graph.get(f"{ROOT}/111").mock(
        side_effect=[
            httpx.Response(429, json=error, headers=usage_header("111", 100, 0)),
            httpx.Response(200, json=page([])),
        ]
    )
    await facebook(client, sleep).fetch("111")
    assert sleep.delays == [0.25]


async def test_a_retry_after_header_is_respected(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    error = {"error": {"message": "(#4) Application request limit reached", "code": 4}}
    graph.get(f"{ROOT}/111").mock(
        side_effect=[
            httpx.Response(429, json=error, headers={"Retry-After": "3"}),
            httpx.Response(200, json=page([])),
        ]
    )
    await facebook(client, sleep).fetch("111")
    assert sleep.delays == [3.0]


async def test_app_usage_holds_facebook_and_instagram_alike_through_one_shared_throttle(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    app_usage = {"X-App-Usage": json.dumps({"call_count": 95})}
    graph.get(f"{ROOT}/111").mock(
        return_value=httpx.Response(200, json=page([]), headers=app_usage)
    )
    graph.get(f"{ROOT}/{IG}").mock(
        return_value=httpx.Response(200, json={"id": IG, "username": "lincoln"}, headers=app_usage)
    )
    shared = GraphThrottle(sleep=sleep, clock=lambda: sleep.clock().timestamp())
    fb = facebook(client, sleep, throttle=shared)
    ig = graph_factory.instagram(
        client, base_url=BASE, system_token=SYSTEM, sleep=sleep, clock=sleep.clock, throttle=shared
    )
    await fb.fetch("111")
    await ig.fetch(IG)
    await fb.fetch("111")
    # Halfway from 90 % to 100 %: the Instagram call, then Facebook's next, each waited 30 s.
    assert sleep.delays == [30.0, 30.0]


def ig_comment(n: int, replies: Any = None, hours_old: float = 30) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": f"1795{n:013d}",
        "text": "hi",
        "timestamp": at(hours=hours_old),
        "username": f"parent{n}",
        "hidden": True,
    }
    if replies is not None:
        row["replies"] = replies
    return row


def ig_account(media: list[dict[str, Any]], after: str | None = None) -> dict[str, Any]:
    return {"id": IG, "username": "lincoln", "media": edge(media, after)}


def instagram(client: httpx.AsyncClient, sleep: Recorder, **options: Any) -> InstagramConnector:
    return graph_factory.instagram(
        client,
        base_url=BASE,
        system_token=SYSTEM,
        retry=RetryPolicy(jitter=lambda: 0.0),
        sleep=sleep,
        clock=sleep.clock,
        **options,
    )


async def test_instagram_follows_comment_and_reply_cursors_to_the_end(
    client: httpx.AsyncClient, sleep: Recorder
) -> None:
    thread = ig_comment(1, replies=edge([ig_comment(2)], "R1"))
    media = {
        "id": "17900000000000601",
        "timestamp": at(days=3),
        "comments_count": 4,
        "comments": edge([thread], "K1"),
    }
    with respx.mock(assert_all_called=True) as router:
        router.get(f"{ROOT}/{IG}").mock(return_value=httpx.Response(200, json=ig_account([media])))
        more = router.get(f"{ROOT}/17900000000000601/comments").mock(
            return_value=httpx.Response(200, json=edge([ig_comment(3)], None))
        )
        replies = router.get(f"{ROOT}/{thread['id']}/replies").mock(
            return_value=httpx.Response(200, json=edge([ig_comment(4)], None))
        )
        snap = await instagram(client, sleep).fetch(IG)
    assert more.call_count == replies.call_count == 1
    assert sorted(c.comment_id for c in snap.posts[0].comments) == sorted(
        ig_comment(n)["id"] for n in (1, 2, 3, 4)
    )
    cover = snap.coverage[Fact.COMMENTS]
    assert cover.complete and cover.read == 4
    assert cover.covered.endswith("on 1 media item published in the last 90 days")


async def test_instagram_comments_cut_by_the_budget_are_unknown(
    client: httpx.AsyncClient, sleep: Recorder
) -> None:
    media = {
        "id": "17900000000000601",
        "timestamp": at(days=3),
        "comments_count": 300,
        "comments": edge([ig_comment(1)], "K1"),
    }
    with respx.mock() as router:
        router.get(f"{ROOT}/{IG}").mock(return_value=httpx.Response(200, json=ig_account([media])))
        router.get(f"{ROOT}/17900000000000601/comments").mock(
            return_value=httpx.Response(200, json=edge([ig_comment(2)], "Kn"))
        )
        snap = await instagram(client, sleep, max_calls_per_account=3).fetch(IG)
    cover = snap.coverage[Fact.COMMENTS]
    assert cover.missing.startswith("read 3 of at least 300 comments and replies before")
    finding = comments_check.run(account(platform="instagram"), snap, options())
    assert finding.status == Status.UNKNOWN


async def test_a_post_unchanged_since_its_settled_read_is_not_paged_again(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    first = edge(fb_comments("111_1", 0, 50, 30), "C1", total=120)
    post = fb_post("111_1", 5, 2, first)
    graph.get(f"{ROOT}/111").mock(return_value=httpx.Response(200, json=page([post])))
    more = graph.get(f"{ROOT}/111_1/comments").mock(
        return_value=httpx.Response(200, json=edge(fb_comments("111_1", 50, 70, 40), None))
    )
    fb = facebook(client, sleep)
    snap = await fb.fetch_since("111", {})
    assert more.call_count == 1
    assert snap.sync == {"111_1": SyncMark(post["updated_time"], 120)}  # every comment liked
    again = await fb.fetch_since("111", snap.sync)
    assert more.call_count == 1  # updated_time unchanged: nothing new to read
    assert again.coverage[Fact.COMMENTS].complete
    assert again.coverage[Fact.COMMENTS].read == 120
    assert again.sync == snap.sync
    changed = {"111_1": SyncMark("2026-11-01T00:00:00+0000", 120)}
    await fb.fetch_since("111", changed)
    assert more.call_count == 2  # a new comment moved updated_time: read again


async def test_a_post_with_an_unsettled_comment_is_never_remembered(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    rows = fb_comments("111_1", 0, 2, 30)
    rows[1]["user_likes"] = False
    graph.get(f"{ROOT}/111").mock(
        return_value=httpx.Response(200, json=page([fb_post("111_1", 5, 2, edge(rows, None))]))
    )
    snap = await facebook(client, sleep).fetch_since("111", {})
    assert snap.sync == {}


async def test_instagram_skips_media_whose_comment_count_did_not_move(
    client: httpx.AsyncClient, sleep: Recorder
) -> None:
    media = {
        "id": "17900000000000601",
        "timestamp": at(days=3),
        "comments_count": 2,
        "comments": edge([ig_comment(1)], "K1"),
    }
    with respx.mock() as router:
        router.get(f"{ROOT}/{IG}").mock(return_value=httpx.Response(200, json=ig_account([media])))
        more = router.get(f"{ROOT}/17900000000000601/comments").mock(
            return_value=httpx.Response(200, json=edge([ig_comment(2)], None))
        )
        ig = instagram(client, sleep)
        snap = await ig.fetch_since(IG, {})
        assert snap.sync == {"17900000000000601": SyncMark("2", 2)}  # both hidden: settled
        again = await ig.fetch_since(IG, snap.sync)
    assert more.call_count == 1
    assert again.coverage[Fact.COMMENTS].complete
