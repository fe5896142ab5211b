"""Busy Pages over real HTTP: every comment read, the second read incremental, a throttled Page alone held."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from checks.base import Status
from checks.comments import comments as comments_check
from connectors.base import Fact, RateLimited
from connectors.facebook import FacebookConnector
from connectors.http import RetryPolicy
from connectors.options import ReadOptions
from sandbox.busy import CROWDED, THREAD, busy_page
from sandbox.server import SandboxServer
from sandbox.world import World
from tests.checks.check_factories import account, options
from tests.connectors import graph_factory

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
QUIET, BUSY = "500000000000000", "500000000000001"


@pytest.fixture
def world() -> World:
    return World.synthetic(3, NOW)


@pytest.fixture
def server(world: World) -> Iterator[SandboxServer]:
    with SandboxServer(world) as running:
        yield running


def connector(http: httpx.AsyncClient, base_url: str, **options: object) -> FacebookConnector:
    return graph_factory.facebook(
        http,
        base_url=base_url,
        system_token="sandbox-system-token",
        retry=RetryPolicy(max_retries=0),
        clock=lambda: NOW,
        **options,  # type: ignore[arg-type]
    )


async def test_a_busy_page_is_read_to_its_last_comment_and_its_unread_lapse_is_found(
    server: SandboxServer, world: World
) -> None:
    world.add(busy_page(1, BUSY, NOW, unhandled_late=True))
    async with httpx.AsyncClient() as http:
        fb = connector(http, server.base_url, max_calls_per_account=200)
        quiet = await fb.fetch(QUIET)
        busy = await fb.fetch(BUSY)
    assert quiet.coverage[Fact.COMMENTS].complete
    cover = busy.coverage[Fact.COMMENTS]
    assert cover.complete, cover.missing
    assert cover.read >= CROWDED + THREAD + 1
    finding = comments_check.run(account(), busy, options())
    # The oldest of 600 comments: beyond the 50 a read without paging (oldest first) saw.
    assert finding.status == Status.LAPSE
    assert finding.evidence["comment_ids"] == [f"{BUSY}_1_c0"]


async def test_the_second_read_of_an_unchanged_busy_page_skips_its_comments(
    server: SandboxServer, world: World
) -> None:
    world.add(busy_page(1, BUSY, NOW))
    async with httpx.AsyncClient() as http:
        fb = connector(http, server.base_url, max_calls_per_account=200)
        await fb.load_page_tokens()
        start = fb.graph_calls
        first = await fb.fetch_since(BUSY, {})
        first_calls = fb.graph_calls - start
        second = await fb.fetch_since(BUSY, first.sync)
        second_calls = fb.graph_calls - start - first_calls
    assert second.coverage[Fact.COMMENTS].complete
    assert second.coverage[Fact.COMMENTS].read == first.coverage[Fact.COMMENTS].read
    assert second_calls < first_calls / 2


async def test_a_busy_page_over_its_budget_is_unknown_and_says_why(
    server: SandboxServer, world: World
) -> None:
    world.add(busy_page(1, BUSY, NOW))
    async with httpx.AsyncClient() as http:
        busy = await connector(http, server.base_url, max_calls_per_account=4).fetch(BUSY)
    assert not busy.coverage[Fact.COMMENTS].complete
    finding = comments_check.run(account(), busy, options())
    assert finding.status == Status.UNKNOWN
    assert "the per-account budget of 4 calls ran out" in finding.detail


async def test_a_throttled_page_is_held_alone_and_the_others_are_read_without_waiting(
    server: SandboxServer, world: World
) -> None:
    world.throttled_pages[BUSY] = 5
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async with httpx.AsyncClient() as http:
        fb = connector(http, server.base_url, sleep=sleep)
        await fb.fetch(BUSY)  # one call: its reply says the Page's usage is spent
        with pytest.raises(RateLimited):
            await fb.fetch(BUSY)  # the Page's next call would wait 5 minutes: not here
        quiet = await fb.fetch(QUIET)
    assert quiet.platform_id == QUIET
    assert waits == []


async def test_busy_instagram_youtube_and_x_accounts_are_read_to_the_end(
    server: SandboxServer, world: World
) -> None:
    from connectors.x import XConnector
    from connectors.youtube import YouTubeConnector
    from sandbox.busy import busy_channel, busy_instagram, busy_x_user
    from sandbox.social import (
        X_TOKEN,
        YOUTUBE_CLIENT_ID,
        YOUTUBE_CLIENT_SECRET,
        YOUTUBE_KEY,
        YOUTUBE_REFRESH,
    )

    social = world.social
    social.clock = lambda: NOW
    social.instagram["17841400000000777"] = busy_instagram("17841400000000777", QUIET, NOW)
    social.youtube["UCbusyschool0000000000777"] = busy_channel("UCbusyschool0000000000777", NOW)
    social.x_users["1500000000000000777"] = busy_x_user("1500000000000000777", NOW)
    oauth = {
        "client_id": YOUTUBE_CLIENT_ID,
        "client_secret": YOUTUBE_CLIENT_SECRET,
        "refresh_token": YOUTUBE_REFRESH,
    }
    async with httpx.AsyncClient() as http:
        common = {"base_url": server.base_url, "clock": lambda: NOW}
        ig = graph_factory.instagram(
            http, system_token="sandbox-system-token", max_calls_per_account=200, **common
        )
        yt = YouTubeConnector(
            http,
            api_key=YOUTUBE_KEY,
            oauth=oauth,
            read=ReadOptions(max_calls_per_account=200),
            **common,
        )
        x = XConnector(
            http, bearer_token=X_TOKEN, read=ReadOptions(max_calls_per_account=200), **common
        )
        insta = await ig.fetch("17841400000000777")
        tube = await yt.fetch("UCbusyschool0000000000777")
        tweets = await x.fetch("BusySchool")
    assert insta.coverage[Fact.COMMENTS].complete
    assert insta.coverage[Fact.COMMENTS].read == 300 + 120
    assert tube.coverage[Fact.COMMENTS].complete
    assert tube.coverage[Fact.COMMENTS].read == 80 + 150  # 145 replies beyond the 5 carried
    assert tweets.exposes(Fact.COMMENTS)  # all 250 replies found and answered
    assert sum(len(p.comments) for p in tweets.posts) == 250
    assert len(tweets.posts) == 35  # the timeline paged back through the week
