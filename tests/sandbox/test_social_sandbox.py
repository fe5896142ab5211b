"""The Instagram, X and YouTube imitations over real HTTP on 127.0.0.1, and the connectors on them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.base import Connector, Fact, RateLimited
from connectors.http import RetryPolicy
from connectors.instagram import account_fields
from connectors.x import XConnector
from connectors.youtube import YouTubeConnector
from monitor.registry import load_registry
from sandbox.demo import DEMO_EXPECTED, DOMAIN, SOCIAL_PLANTED, SYSTEM_TOKEN, demo_world
from sandbox.server import SandboxServer
from sandbox.social import (
    X_TOKEN,
    YOUTUBE_CLIENT_ID,
    YOUTUBE_CLIENT_SECRET,
    YOUTUBE_KEY,
    YOUTUBE_REFRESH,
)
from sandbox.world import World
from tests.connectors import graph_factory

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
REGISTRY = Path(__file__).resolve().parents[2] / "config" / "accounts.example.yaml"
HILLCREST_IG = "17841400000000001"
BAYVIEW_YT = "UCbayviewsecondary82cmsd"
OAUTH = {
    "client_id": YOUTUBE_CLIENT_ID,
    "client_secret": YOUTUBE_CLIENT_SECRET,
    "refresh_token": YOUTUBE_REFRESH,
}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def world() -> World:
    found = demo_world(NOW)
    found.social.clock = lambda: NOW
    return found


@pytest.fixture
def server(world: World) -> Iterator[SandboxServer]:
    with SandboxServer(world) as running:
        yield running


@pytest.fixture
def client(server: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url) as http:
        yield http


def test_instagram_serves_the_account_with_media_comments_and_replies(
    client: httpx.Client,
) -> None:
    reply = client.get(
        f"/v26.0/{HILLCREST_IG}",
        params={"fields": account_fields(2, 5)},
        headers=bearer(SYSTEM_TOKEN),
    )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["username"] == "hillcrest_cmsd82" and "banner" not in body
    first = body["media"]["data"][0]
    assert first["is_comment_enabled"] is True
    ask = first["comments"]["data"][0]
    assert ask["replies"]["data"][0]["username"] == "hillcrest_cmsd82"
    assert "next" in body["media"]["paging"]  # 3 media, 2 asked for
    assert "x-app-usage" in reply.headers


def test_instagram_refuses_a_token_in_the_query_and_an_unknown_field(client: httpx.Client) -> None:
    in_query = client.get(f"/v26.0/{HILLCREST_IG}", params={"access_token": SYSTEM_TOKEN})
    assert in_query.json()["error"]["code"] == 190
    unknown = client.get(
        f"/v26.0/{HILLCREST_IG}", params={"fields": "emails"}, headers=bearer(SYSTEM_TOKEN)
    )
    assert unknown.json()["error"]["code"] == 100


def test_x_serves_the_user_with_rate_limit_headers(client: httpx.Client) -> None:
    reply = client.get(
        "/2/users/by/username/bayviewsecondary",
        params={"user.fields": "description,protected,profile_banner_url"},
        headers=bearer(X_TOKEN),
    )
    data = reply.json()["data"]
    assert (data["username"], data["protected"]) == ("BayviewSecondary", False)
    assert reply.headers["x-rate-limit-limit"] == "300"
    assert reply.headers["x-rate-limit-remaining"] == "299"
    assert int(reply.headers["x-rate-limit-reset"]) == int(NOW.timestamp()) + 900


def test_x_answers_a_spent_window_with_429_problem_json(client: httpx.Client, world: World) -> None:
    world.social.x_remaining["users"] = 0
    reply = client.get("/2/users/by/username/BayviewSecondary", headers=bearer(X_TOKEN))
    assert reply.status_code == 429
    assert reply.json() == {
        "title": "Too Many Requests",
        "detail": "Too Many Requests",
        "type": "about:blank",
        "status": 429,
    }
    assert reply.headers["x-rate-limit-remaining"] == "0"


def test_x_unknown_users_are_200_with_errors_and_a_bad_token_is_401(client: httpx.Client) -> None:
    missing = client.get("/2/users/by/username/nobody", headers=bearer(X_TOKEN))
    assert missing.status_code == 200
    assert missing.json()["errors"][0]["type"].endswith("resource-not-found")
    wrong = client.get("/2/users/by/username/BayviewSecondary", headers=bearer("nope"))
    assert wrong.status_code == 401 and wrong.json()["title"] == "Unauthorized"


def test_x_search_finds_replies_of_the_named_conversations_only(
    client: httpx.Client, world: World
) -> None:
    user = world.social.x_user_by_name("BayviewSecondary")
    assert user is not None
    post = user.posts[1]
    reply = client.get(
        "/2/tweets/search/recent",
        params={"query": f"conversation_id:{post.id}", "tweet.fields": "author_id,conversation_id"},
        headers=bearer(X_TOKEN),
    )
    rows = reply.json()["data"]
    assert {r["conversation_id"] for r in rows} == {post.id} and len(rows) == 2


def test_youtube_needs_the_key_and_answers_quota_exceeded_when_spent(
    client: httpx.Client, world: World
) -> None:
    no_key = client.get("/youtube/v3/channels", params={"part": "snippet", "id": BAYVIEW_YT})
    assert no_key.status_code == 403
    ok = client.get(
        "/youtube/v3/channels", params={"part": "snippet", "id": BAYVIEW_YT, "key": YOUTUBE_KEY}
    )
    assert ok.json()["items"][0]["snippet"]["title"] == "Bayview Secondary Media"
    world.social.youtube_quota_left = 0
    spent = client.get(
        "/youtube/v3/channels", params={"part": "snippet", "id": BAYVIEW_YT, "key": YOUTUBE_KEY}
    )
    assert spent.status_code == 403
    assert spent.json()["error"]["errors"][0]["reason"] == "quotaExceeded"


def test_youtube_comment_threads_need_an_access_token_from_the_refresh_token(
    client: httpx.Client,
) -> None:
    params = {"part": "snippet", "allThreadsRelatedToChannelId": BAYVIEW_YT}
    assert client.get("/youtube/v3/commentThreads", params=params).status_code == 401
    bad = client.post(
        "/oauth2/v4/token", data={**OAUTH, "grant_type": "refresh_token", "refresh_token": "x"}
    )
    assert (bad.status_code, bad.json()["error"]) == (400, "invalid_grant")
    token = client.post("/oauth2/v4/token", data={**OAUTH, "grant_type": "refresh_token"})
    access = token.json()["access_token"]
    held = client.get(
        "/youtube/v3/commentThreads",
        params={**params, "moderationStatus": "heldForReview"},
        headers=bearer(access),
    )
    (thread,) = held.json()["items"]
    assert thread["snippet"]["topLevelComment"]["snippet"]["moderationStatus"] == "heldForReview"


def test_stats_count_the_social_calls_beside_the_graph_ones(client: httpx.Client) -> None:
    client.get("/2/users/by/username/BayviewSecondary", headers=bearer(X_TOKEN))
    client.get("/youtube/v3/channels", params={"id": BAYVIEW_YT, "key": YOUTUBE_KEY})
    stats = client.get("/_sandbox/stats").json()
    assert stats["total"] == 0  # the Graph counters are unchanged
    assert stats["social"]["calls"] == {"x_user": 1, "youtube_channels": 1}
    assert stats["social"]["total"] == 2


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _fetch_all(base_url: str) -> dict[str, Any]:
    retry = RetryPolicy(max_retries=0)
    async with httpx.AsyncClient() as http:
        ig = graph_factory.instagram(
            http, base_url=base_url, system_token=SYSTEM_TOKEN, retry=retry, clock=lambda: NOW
        )
        x = XConnector(
            http, base_url=base_url, bearer_token=X_TOKEN, retry=retry, clock=lambda: NOW
        )
        yt = YouTubeConnector(
            http,
            base_url=base_url,
            api_key=YOUTUBE_KEY,
            oauth=OAUTH,
            retry=retry,
            clock=lambda: NOW,
        )
        by_platform: dict[str, Connector] = {"instagram": ig, "x": x, "youtube": yt}
        found = {}
        for account in load_registry(REGISTRY, [DOMAIN]):
            if account.id in SOCIAL_PLANTED:
                found[account.id] = await by_platform[account.platform].fetch(account.platform_id)
        return found


def test_the_connectors_read_every_demo_account_with_its_planted_problem(
    server: SandboxServer,
) -> None:
    snaps = run(_fetch_all(server.base_url))
    assert set(snaps) == set(SOCIAL_PLANTED)
    assert all(DEMO_EXPECTED[a] >= checks for a, checks in SOCIAL_PLANTED.items())
    thornhill = snaps["thornhill-elementary-ig"]
    assert "District 82" not in thornhill.about and thornhill.comment_setting == "off"
    assert "District 82" in snaps["hillcrest-elementary-ig"].about
    stale = snaps["glacier-ridge-secondary-x"]
    assert stale.last_post_at is not None and NOW - stale.last_post_at > timedelta(days=30)
    assert snaps["bayview-secondary-x"].exposes(Fact.COMMENTS)  # every reply answered
    planted = snaps["riverside-elementary-yt"]
    open_comments = [
        c
        for p in planted.posts
        for c in p.comments
        if not (c.replied_by_account or c.liked_by_account or c.held_for_review)
    ]
    assert [c.author for c in open_comments] == ["Carla Reyes"]
    for snap in snaps.values():
        assert not snap.exposes(Fact.ADMINS) and not snap.exposes(Fact.EMAILS)


def test_the_x_connector_reports_a_far_window_reset_as_rate_limited(
    server: SandboxServer, world: World
) -> None:
    world.social.x_remaining["users"] = 0
    world.social.x_reset_at = int(NOW.timestamp()) + 5000  # too far to wait inside one fetch

    async def fetch() -> None:
        async with httpx.AsyncClient() as http:
            x = XConnector(http, base_url=server.base_url, bearer_token=X_TOKEN, clock=lambda: NOW)
            await x.fetch("BayviewSecondary")

    with pytest.raises(RateLimited) as caught:
        run(fetch())
    assert caught.value.retry_after == 5000.0


async def test_an_x_app_over_its_monthly_cap_stops_at_the_first_call(
    server: SandboxServer, world: World
) -> None:
    from connectors.base import UsageCapReached

    world.social.x_capped = True
    async with httpx.AsyncClient() as http:
        x = XConnector(http, base_url=server.base_url, bearer_token=X_TOKEN, clock=lambda: NOW)
        x_accounts = [u.username for u in world.social.x_users.values()]
        for handle in x_accounts[:2]:
            with pytest.raises(UsageCapReached, match="the X monthly read cap is reached"):
                await x.fetch(handle)
    assert world.social.calls["x_user"] == 1  # no retry, and nothing more once capped
