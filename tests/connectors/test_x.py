"""XConnector against respx routes serving recorded-shape X API v2 replies."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx
from recorded import NOW, Recorder, recorded

from connectors.base import AuthFailed, Fact, NotFound, RateLimited, Unavailable
from connectors.http import RetryPolicy
from connectors.x import XConnector
from connectors.x_shapes import snowflake_time

fixture, reply = recorded("x")
BASE = "https://api.x.test"
TOKEN = "AAAAAAAAAAAAAAAAAAAAAfakeXbearerTOKENxxxxxxxxxxxxxxxxxxxxxxxxxx"
USER_ID = "1500000000000000501"
NEW_POST = "2123691564856246272"


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
        retry=options.pop("retry", RetryPolicy(jitter=lambda: 0.0, retry_after_cap=900)),
        sleep=sleep,
        clock=sleep.clock,
        **options,
    )


async def test_it_maps_the_user_profile_images_and_audience(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    snap = await connector(client, sleep).fetch("@LincolnElemPW")
    assert (snap.platform, snap.platform_id, snap.fetched_at) == ("x", "@LincolnElemPW", NOW)
    assert snap.name == "Lincoln Elementary"
    assert snap.about.startswith("Official account of Lincoln Elementary")
    assert snap.website == "https://lincoln.parkwest.k12.example"  # not the t.co link
    assert snap.banner_url.endswith("/1700000000")
    assert snap.picture_url.endswith("abcd_400x400.jpg")
    assert snap.audience == "public" and snap.url == "https://x.com/LincolnElemPW"
    assert not snap.exposes(Fact.ADMINS) and not snap.exposes(Fact.EMAILS)
    assert snap.exposes(Fact.COMMENTS) and snap.exposes(Fact.POSTS)
    params = api.routes["user"].calls.last.request.url.params
    assert "protected" in params["user.fields"] and "profile_banner_url" in params["user.fields"]


async def test_replies_answered_by_the_account_make_the_comments_fact_complete(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    snap = await connector(client, sleep).fetch("LincolnElemPW")
    newest = snap.posts[0]
    assert newest.post_id == NEW_POST
    (question,) = newest.comments  # the account's own answer is not a comment
    assert question.replied_by_account and question.author == "1400000000000000901"
    # Only the post with replies is searched, within 7 days; the query names its conversation.
    search = api.routes["search"].calls.last.request
    assert search.url.params["query"] == f"conversation_id:{NEW_POST}"
    assert api.routes["search"].call_count == 1


async def test_an_unanswered_reply_leaves_comments_unexposed_never_a_guess(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    body = fixture("search_answered.json")
    body["data"] = body["data"][1:]  # drop the account's answer
    api.routes["search"].mock(return_value=httpx.Response(200, json=body))
    snap = await connector(client, sleep).fetch("LincolnElemPW")
    reason = snap.unexposed[Fact.COMMENTS]
    assert "1 reply not answered by @LincolnElemPW" in reason
    assert "hidden or liked" in reason


async def test_a_post_with_replies_older_than_7_days_leaves_comments_unexposed(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    timeline = fixture("timeline.json")
    timeline["data"][2]["public_metrics"]["reply_count"] = 4  # the 20-day-old post
    api.routes["timeline"].mock(return_value=httpx.Response(200, json=timeline))
    snap = await connector(client, sleep).fetch("LincolnElemPW")
    assert "older than the 7 days X search reaches" in snap.unexposed[Fact.COMMENTS]


async def test_restricted_reply_settings_count_as_comments_off(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    timeline = fixture("timeline.json")
    for row in timeline["data"]:
        row["reply_settings"] = "following"
    api.routes["timeline"].mock(return_value=httpx.Response(200, json=timeline))
    snap = await connector(client, sleep).fetch("LincolnElemPW")
    assert snap.comment_setting == "restricted"
    assert all(p.comments_enabled is False for p in snap.posts)
    assert api.routes["search"].call_count == 0


async def test_reply_settings_are_read_per_post(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    snap = await connector(client, sleep).fetch("LincolnElemPW")
    assert [p.comments_enabled for p in snap.posts] == [True, False, True]  # mentionedUsers
    assert snap.comment_setting == "on"


async def test_a_protected_account_is_private_and_its_posts_are_not_read(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    user = fixture("user_by_username.json")
    user["data"]["protected"] = True
    api.routes["user"].mock(return_value=httpx.Response(200, json=user))
    snap = await connector(client, sleep).fetch("LincolnElemPW")
    assert snap.audience == "private"
    assert "protected" in snap.unexposed[Fact.COMMENTS]
    # The newest post id still dates the last post (X ids carry their time).
    assert snap.exposes(Fact.POSTS)
    assert snap.last_post_at == datetime(2026, 11, 20, 8, 15, tzinfo=UTC)
    assert api.routes["timeline"].call_count == 0
    del user["data"]["most_recent_tweet_id"]
    api.routes["user"].mock(return_value=httpx.Response(200, json=user))
    assert not (await connector(client, sleep).fetch("LincolnElemPW")).exposes(Fact.POSTS)


async def test_it_counts_calls_and_estimates_the_cost_of_the_reads(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    x = connector(client, sleep)
    await x.fetch("LincolnElemPW")
    assert x.x_calls == 3
    assert (x.users_read, x.posts_read) == (1, 5)  # 3 timeline posts + 2 replies
    assert x.estimated_cost_usd == pytest.approx(0.010 + 5 * 0.005)


async def test_an_unknown_user_answered_with_200_and_errors_is_not_found(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    api.get(f"{BASE}/2/users/by/username/NoSuchSchool").mock(
        return_value=reply("user_not_found.json")
    )
    with pytest.raises(NotFound, match="Could not find user"):
        await connector(client, sleep).fetch("NoSuchSchool")


async def test_a_429_waits_until_the_reset_then_retries(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    reset = str(int(NOW.timestamp()) + 420)
    headers = {"x-rate-limit-remaining": "0", "x-rate-limit-reset": reset}
    api.routes["user"].side_effect = [
        reply("error_429.json", 429, headers),
        reply("user_by_username.json"),
    ]
    snap = await connector(client, sleep).fetch("LincolnElemPW")
    assert snap.name == "Lincoln Elementary"
    assert sleep.delays == [420.0]


async def test_remaining_zero_makes_the_next_call_wait_for_the_reset(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    reset = str(int(NOW.timestamp()) + 300)
    api.routes["user"].mock(
        return_value=reply(
            "user_by_username.json",
            headers={"x-rate-limit-remaining": "0", "x-rate-limit-reset": reset},
        )
    )
    x = connector(client, sleep)
    await x.fetch("LincolnElemPW")
    assert sleep.delays == []  # other endpoints have their own windows
    await x.fetch("LincolnElemPW")
    assert sleep.delays == [300.0]


async def test_a_reset_further_than_the_wait_limit_is_rate_limited(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    reset = str(int(NOW.timestamp()) + 3600)
    headers = {"x-rate-limit-remaining": "0", "x-rate-limit-reset": reset}
    api.routes["user"].mock(return_value=reply("error_429.json", 429, headers))
    with pytest.raises(RateLimited) as caught:
        await connector(client, sleep).fetch("LincolnElemPW")
    assert caught.value.retry_after == 3600.0
    assert sleep.delays == []


async def test_a_rejected_bearer_token_is_auth_failed_without_the_token(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    api.routes["user"].mock(return_value=reply("error_401.json", 401))
    with pytest.raises(AuthFailed, match="X bearer token rejected") as caught:
        await connector(client, sleep).fetch("LincolnElemPW")
    assert TOKEN not in str(caught.value)
    assert api.routes["user"].call_count == 1  # permanent: not retried
    request = api.routes["user"].calls.last.request
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in str(request.url)


async def test_search_follows_next_token_within_the_budget(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    first = fixture("search_answered.json")
    first["data"] = first["data"][:1]
    first["meta"]["next_token"] = "b26v89c19zqg8o3fo7gesq314yb9l2l4ptqy"
    second = fixture("search_answered.json")
    second["data"] = second["data"][1:]
    api.routes["search"].side_effect = [
        httpx.Response(200, json=first),
        httpx.Response(200, json=second),
    ]
    snap = await connector(client, sleep).fetch("LincolnElemPW")
    assert snap.posts[0].comments[0].replied_by_account
    call = api.routes["search"].calls.last.request
    assert call.url.params["next_token"] == "b26v89c19zqg8o3fo7gesq314yb9l2l4ptqy"


@pytest.mark.parametrize(
    "damage",
    [
        lambda t: t["data"][0].pop("created_at"),
        lambda t: t["data"][0].pop("id"),
        lambda t: t.update(data="oops"),
    ],
    ids=["no time", "no id", "data not a list"],
)
async def test_a_malformed_timeline_is_unavailable(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder, damage: Any
) -> None:
    timeline = copy.deepcopy(fixture("timeline.json"))
    damage(timeline)
    api.routes["timeline"].mock(return_value=httpx.Response(200, json=timeline))
    with pytest.raises(Unavailable, match="malformed reply"):
        await connector(client, sleep).fetch("LincolnElemPW")


async def test_a_500_is_retried_and_malformed_json_is_unavailable(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    api.routes["user"].side_effect = [httpx.Response(503), reply("user_by_username.json")]
    assert (await connector(client, sleep).fetch("LincolnElemPW")).name
    api.routes["user"].side_effect = None
    api.routes["user"].mock(return_value=httpx.Response(200, text='{"data": {"id"'))
    with pytest.raises(Unavailable, match="malformed JSON"):
        await connector(client, sleep, retry=RetryPolicy(max_retries=0)).fetch("LincolnElemPW")


async def test_a_numeric_platform_id_is_looked_up_by_id(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    route = api.get(f"{BASE}/2/users/{USER_ID}").mock(return_value=reply("user_by_username.json"))
    await connector(client, sleep).fetch(USER_ID)
    assert route.call_count == 1


def test_snowflake_ids_carry_their_creation_time() -> None:
    assert snowflake_time(NEW_POST) == datetime(2026, 11, 20, 8, 15, tzinfo=UTC)
    assert snowflake_time("not-an-id") is None


async def test_it_reads_post_text_media_alt_text_and_the_accounts_own_replies(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    # Shape: X API v2 `attachments.media_keys` with `expansions=attachments.media_keys` and
    # `includes.media` (media.fields type, alt_text), docs.x.com/x-api/fundamentals/expansions
    timeline = copy.deepcopy(fixture("timeline.json"))
    timeline["data"][1]["attachments"] = {"media_keys": ["3_2123068710712246272"]}
    timeline["includes"] = {
        "media": [
            {"media_key": "3_2123068710712246272", "type": "photo", "alt_text": "Grade 2 class"}
        ]
    }
    api.routes["timeline"].mock(return_value=httpx.Response(200, json=timeline))
    snap = await connector(client, sleep).fetch("LincolnElemPW")
    assert snap.post_text_read is True
    newest, pictures, _welcome = snap.posts
    assert (newest.text, newest.has_media) == ("Book fair next week!", False)
    assert newest.own_replies == ("@JordanParent Tuesday, 3-6 pm.",)
    assert (pictures.has_media, pictures.alt_texts) == (True, ("Grade 2 class",))
    request = api.routes["timeline"].calls.last.request
    assert request.url.params["expansions"] == "attachments.media_keys"
    assert "alt_text" in request.url.params["media.fields"]


async def test_replies_beyond_search_leave_the_accounts_own_replies_unread(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    timeline = fixture("timeline.json")
    timeline["data"][2]["public_metrics"]["reply_count"] = 4  # the 20-day-old post
    api.routes["timeline"].mock(return_value=httpx.Response(200, json=timeline))
    snap = await connector(client, sleep).fetch("LincolnElemPW")
    assert snap.post_text_read is False
