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
from sandbox.busy import CROWDED, THREAD, busy_page
from sandbox.server import SandboxServer
from sandbox.world import World
from tests.checks.check_factories import account, options

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
    return FacebookConnector(
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
        with pytest.raises(RateLimited):
            await fb.fetch(BUSY)
        quiet = await fb.fetch(QUIET)
    assert quiet.platform_id == QUIET
    assert waits == []
