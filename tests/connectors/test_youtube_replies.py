"""YouTube reads every reply (comments.list?parentId=) and every thread in the horizon, within a budget.

Shapes follow the YouTube Data API v3 reference: commentThreads.list (`snippet.totalReplyCount`,
`replies.comments`, `nextPageToken`) and comments.list with `parentId`
(developers.google.com/youtube/v3/docs/comments/list); the implementation guide says a thread
"doesn't necessarily contain all replies" (developers.google.com/youtube/v3/guides/implementation/comments).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx
from recorded import Recorder, recorded

from checks.base import Status
from checks.comments import comments as comments_check
from connectors.base import Fact
from connectors.http import RetryPolicy
from connectors.options import ReadOptions
from connectors.youtube import YouTubeConnector
from tests.checks.check_factories import account, options

fixture = recorded("youtube")[0]
BASE = "https://yt.test"
API = f"{BASE}/youtube/v3"
CHANNEL = "UClincolnelementarypw01"
KEY = "AIzaSyFAKEkeyForTestsOnlyxxxxxxxxxxxxxxx"
OAUTH = {
    "client_id": "123.apps.googleusercontent.com",
    "client_secret": "GOCSPX-fakeclientsecretxx",
    "refresh_token": "1//0fakeREFRESHtokenxxxxxxxxxxxxxxxx",
}
EMPTY = {"kind": "youtube#commentThreadListResponse", "items": []}


def reply_comment(n: int, liked: bool = True) -> dict[str, Any]:
    """One reply resource as comments.list returns it."""
    return {
        "kind": "youtube#comment",
        "id": f"UgxAAA1.p{n}",
        "snippet": {
            "parentId": "UgxAAA1",
            "textOriginal": "me too",
            "authorDisplayName": f"@parent{n}",
            "authorChannelId": {"value": f"UCparent{n:016d}"},
            "viewerRating": "like" if liked else "none",
            "publishedAt": "2026-11-19T20:00:00Z",
            "updatedAt": "2026-11-19T20:00:00Z",
        },
    }


def busy_thread(total: int) -> dict[str, Any]:
    thread: dict[str, Any] = copy.deepcopy(fixture("threads_published.json")["items"][0])
    thread["snippet"]["totalReplyCount"] = total
    return thread


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        router.get(f"{API}/channels", name="channels").mock(
            return_value=httpx.Response(200, json=fixture("channel.json"))
        )
        router.get(f"{API}/playlistItems", name="uploads").mock(
            return_value=httpx.Response(200, json=fixture("uploads.json"))
        )
        router.post(f"{BASE}/oauth2/v4/token", name="token").mock(
            return_value=httpx.Response(200, json=fixture("token.json"))
        )
        yield router


def connector(client: httpx.AsyncClient, sleep: Recorder, **options: Any) -> YouTubeConnector:
    return YouTubeConnector(
        client,
        base_url=BASE,
        api_key=KEY,
        oauth=OAUTH,
        retry=RetryPolicy(jitter=lambda: 0.0),
        sleep=sleep,
        clock=sleep.clock,
        **options,
    )


def threads_route(api: respx.MockRouter, published: dict[str, Any]) -> respx.Route:
    def threads(request: httpx.Request) -> httpx.Response:
        held = request.url.params.get("moderationStatus") == "heldForReview"
        return httpx.Response(200, json=EMPTY if held else published)

    return api.get(f"{API}/commentThreads", name="threads").mock(side_effect=threads)


async def test_replies_beyond_those_a_thread_carries_are_listed_by_parent_id(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    threads_route(api, {"items": [busy_thread(total=4)]})
    listed = api.get(f"{API}/comments").mock(
        side_effect=[
            httpx.Response(
                200, json={"items": [reply_comment(1), reply_comment(2)], "nextPageToken": "T2"}
            ),
            httpx.Response(200, json={"items": [reply_comment(3), reply_comment(4, liked=False)]}),
        ]
    )
    snap = await connector(client, sleep).fetch(CHANNEL)
    asked = listed.calls[0].request.url.params
    assert (asked["parentId"], asked["part"]) == ("UgxAAA1", "snippet")
    assert listed.calls[1].request.url.params["pageToken"] == "T2"
    ids = {c.comment_id for p in snap.posts for c in p.comments}
    assert {"UgxAAA1.p1", "UgxAAA1.p4"} <= ids
    cover = snap.coverage[Fact.COMMENTS]
    assert cover.complete and cover.read == 5
    finding = comments_check.run(account(platform="youtube"), snap, options())
    assert finding.status == Status.LAPSE  # r4 is neither liked nor answered
    assert "UgxAAA1.p4" in finding.evidence["comment_ids"]  # type: ignore[operator]


async def test_a_thread_carrying_all_its_replies_costs_no_extra_call(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    threads_route(api, fixture("threads_published.json"))
    listed = api.get(f"{API}/comments")
    snap = await connector(client, sleep).fetch(CHANNEL)
    assert listed.call_count == 0
    assert snap.coverage[Fact.COMMENTS].complete


async def test_replies_cut_by_the_budget_make_comments_unknown(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    threads_route(api, {"items": [busy_thread(total=300)]})
    api.get(f"{API}/comments").mock(
        return_value=httpx.Response(
            200, json={"items": [reply_comment(1)], "nextPageToken": "again"}
        )
    )
    snap = await connector(client, sleep, read=ReadOptions(max_calls_per_account=5)).fetch(CHANNEL)
    cover = snap.coverage[Fact.COMMENTS]
    assert not cover.complete
    assert cover.missing.startswith("read 3 of at least 301 comments and replies before")
    finding = comments_check.run(account(platform="youtube"), snap, options())
    assert finding.status == Status.UNKNOWN


async def test_threads_are_paged_until_one_falls_outside_the_horizon(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    old = copy.deepcopy(fixture("threads_published.json")["items"][1])
    old["snippet"]["topLevelComment"]["snippet"]["publishedAt"] = "2026-01-01T00:00:00Z"
    old["snippet"]["topLevelComment"]["snippet"]["updatedAt"] = "2026-01-01T00:00:00Z"
    page = {"items": [fixture("threads_published.json")["items"][0], old], "nextPageToken": "N"}
    route = threads_route(api, page)
    snap = await connector(client, sleep).fetch(CHANNEL)
    assert route.call_count == 2  # one page of published threads, one of held ones
    assert snap.coverage[Fact.COMMENTS].covered.startswith(
        "all 2 comments and replies on 1 comment thread active in the last 90 days"
    )


async def test_a_thread_unchanged_since_its_settled_read_is_not_listed_again(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    thread = busy_thread(total=2)
    threads_route(api, {"items": [thread]})
    answer = reply_comment(1)
    answer["snippet"]["authorChannelId"]["value"] = CHANNEL  # the channel answered the comment
    listed = api.get(f"{API}/comments").mock(
        return_value=httpx.Response(200, json={"items": [answer, reply_comment(2)]})
    )
    youtube = connector(client, sleep)
    snap = await youtube.fetch_since(CHANNEL, {})
    assert listed.call_count == 1
    assert list(snap.sync) == ["UgxAAA1"]  # answered, and the other reply liked: settled
    again = await youtube.fetch_since(CHANNEL, snap.sync)
    assert listed.call_count == 1
    assert again.coverage[Fact.COMMENTS].complete
