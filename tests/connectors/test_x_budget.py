"""X: the monthly usage cap stops reads at once, the call budget bounds a busy account, resources bill once a day.

The cap reply follows X API v2's UsageCapExceededProblem (title `UsageCapExceeded`,
type `https://api.twitter.com/2/problems/usage-capped`, as in the xdevplatform OpenAPI
spec and docs.x.com/x-api/fundamentals/post-cap); pagination follows
docs.x.com/x-api/fundamentals/pagination (`meta.next_token`, `pagination_token`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import respx
from recorded import Recorder, recorded

from checks.base import Status
from checks.comments import comments as comments_check
from connectors.base import Fact, UsageCapReached
from connectors.http import RetryPolicy
from connectors.options import ReadOptions
from connectors.x import XConnector
from tests.checks.check_factories import account, options

fixture, reply = recorded("x")
BASE = "https://api.x.test"
TOKEN = "AAAAAAAAAAAAAAAAAAAAAfakeXbearerTOKENxxxxxxxxxxxxxxxxxxxxxxxxxx"
USER_ID = "1500000000000000501"
HEALTHY = {"x-rate-limit-limit": "300", "x-rate-limit-remaining": "299"}


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        router.get(f"{BASE}/2/users/by/username/LincolnElemPW", name="user").mock(
            return_value=reply("user_by_username.json")
        )
        router.get(f"{BASE}/2/users/{USER_ID}/tweets", name="timeline").mock(
            return_value=reply("timeline.json")
        )
        router.get(f"{BASE}/2/tweets/search/recent", name="search").mock(
            return_value=reply("search_answered.json")
        )
        yield router


def connector(client: httpx.AsyncClient, sleep: Recorder, **options: Any) -> XConnector:
    return XConnector(
        client,
        base_url=BASE,
        bearer_token=TOKEN,
        retry=RetryPolicy(jitter=lambda: 0.0, retry_after_cap=900),
        sleep=sleep,
        clock=sleep.clock,
        **options,
    )


async def test_a_spent_usage_cap_stops_x_reads_at_once_without_retrying(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    api.routes["user"].mock(return_value=reply("error_usage_cap.json", 429, headers=HEALTHY))
    x = connector(client, sleep)
    with pytest.raises(UsageCapReached, match="the X monthly read cap is reached"):
        await x.fetch("LincolnElemPW")
    with pytest.raises(UsageCapReached):
        await x.fetch("LincolnElemPW")
    assert api.routes["user"].call_count == 1  # no retry, and nothing more this cycle
    assert sleep.delays == []


async def test_an_ordinary_429_is_still_a_rate_limit_with_a_wait(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    reset = str(int((sleep.now + timedelta(seconds=30)).timestamp()))
    api.routes["user"].side_effect = [
        reply("error_429.json", 429, headers={"x-rate-limit-reset": reset}),
        reply("user_by_username.json"),
    ]
    snap = await connector(client, sleep).fetch("LincolnElemPW")
    assert snap.name == "Lincoln Elementary"
    assert sleep.delays == [30.0]


async def test_replies_cut_by_the_call_budget_make_comments_unknown(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    first = fixture("search_answered.json")
    first["meta"]["next_token"] = "b26v89c19zqg8o3fo7gesq314yb9l2l4ptqy"
    api.routes["search"].mock(return_value=httpx.Response(200, json=first))
    snap = await connector(client, sleep, read=ReadOptions(max_calls_per_account=3)).fetch(
        "LincolnElemPW"
    )
    assert api.routes["search"].call_count == 1
    assert snap.unexposed[Fact.COMMENTS] == (
        "replies not all read: the per-account budget of 3 calls ran out"
    )
    assert not snap.coverage[Fact.COMMENTS].complete
    finding = comments_check.run(account(platform="x"), snap, options())
    assert finding.status == Status.UNKNOWN


async def test_a_complete_read_says_what_it_covered(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    snap = await connector(client, sleep).fetch("LincolnElemPW")
    cover = snap.coverage[Fact.COMMENTS]
    assert cover.complete
    assert cover.covered.endswith("on 3 posts read from the timeline")


async def test_the_timeline_is_paged_while_its_posts_are_inside_the_search_window(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    first = fixture("timeline.json")
    first["data"] = first["data"][:1]
    first["meta"]["next_token"] = "7140dibdnow9c7btw3z2vwioavpvutgzrzm9icis4ndix"
    rest = fixture("timeline.json")
    rest["data"] = rest["data"][1:]
    api.routes["timeline"].side_effect = [
        httpx.Response(200, json=first),
        httpx.Response(200, json=rest),
    ]
    snap = await connector(client, sleep).fetch("LincolnElemPW")
    assert len(snap.posts) == 3
    asked = api.routes["timeline"].calls.last.request.url.params
    assert asked["pagination_token"] == "7140dibdnow9c7btw3z2vwioavpvutgzrzm9icis4ndix"


async def test_a_resource_read_twice_in_a_day_is_billed_once(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    x = connector(client, sleep)
    await x.fetch("LincolnElemPW")
    once = (x.users_read, x.posts_read, x.estimated_cost_usd)
    await x.fetch("LincolnElemPW")
    assert (x.users_read, x.posts_read, x.estimated_cost_usd) == once
    await sleep(86400)  # the next UTC day: X charges again
    await x.fetch("LincolnElemPW")
    assert x.users_read == 2 * once[0]


async def test_a_post_whose_reply_count_did_not_move_is_not_searched_again(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    x = connector(client, sleep)
    snap = await x.fetch_since("LincolnElemPW", {})
    assert api.routes["search"].call_count == 1
    assert snap.sync  # every reply was answered by the account: settled
    again = await x.fetch_since("LincolnElemPW", snap.sync)
    assert api.routes["search"].call_count == 1
    assert again.exposes(Fact.COMMENTS)
    assert again.sync == snap.sync


async def test_an_old_post_settled_before_no_longer_makes_comments_unknown(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    x = connector(client, sleep)
    snap = await x.fetch_since("LincolnElemPW", {})
    await sleep(10 * 86400)  # the answered post is now older than search reaches
    assert not (await x.fetch_since("LincolnElemPW", {})).exposes(Fact.COMMENTS)
    assert (await x.fetch_since("LincolnElemPW", snap.sync)).exposes(Fact.COMMENTS)
