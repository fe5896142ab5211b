"""InstagramConnector against respx routes serving recorded-shape Instagram Graph replies."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import graph_factory
import httpx
import pytest
import respx
from recorded import NOW, Recorder, recorded

from connectors.base import AuthFailed, Fact, NotFound, Unavailable
from connectors.http import RetryPolicy
from connectors.instagram import InstagramConnector
from connectors.instagram_media import account_fields

fixture = recorded("instagram")[0]
BASE = "https://graph.test"
ROOT = f"{BASE}/v26.0"
IG = "17841400000000501"
TOKEN = "EAAGfakeSYSTEMtokenxxxxxxxxxxxxxxxxxxxxxx"


@pytest.fixture
def graph() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        router.get(f"{ROOT}/{IG}", name="account").mock(
            return_value=httpx.Response(200, json=fixture("account_full.json"))
        )
        yield router


def connector(client: httpx.AsyncClient, sleep: Recorder, **options: Any) -> InstagramConnector:
    return graph_factory.instagram(
        client,
        base_url=BASE,
        system_token=TOKEN,
        retry=options.pop("retry", RetryPolicy(jitter=lambda: 0.0)),
        sleep=sleep,
        clock=sleep.clock,
        **options,
    )


async def test_it_maps_the_profile_and_the_picture_without_a_banner(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    snap = await connector(client, sleep).fetch(IG)
    assert (snap.platform, snap.platform_id, snap.fetched_at) == ("instagram", IG, NOW)
    assert snap.name == "Lincoln Elementary"
    assert snap.about.startswith("Official Instagram of Lincoln Elementary")
    assert snap.website == "https://lincoln.parkwest.k12.example"
    assert snap.picture_url.endswith("profile_501.jpg") and snap.banner_url == ""
    assert snap.exposes(Fact.IMAGES)  # the picture exists; Instagram simply has no banner
    assert snap.audience == "public" and snap.url == "https://www.instagram.com/lincoln_pwsd"
    assert set(snap.unexposed) == {Fact.EMAILS, Fact.ADMINS}
    assert snap.last_post_at == datetime(2026, 11, 20, 8, 15, tzinfo=UTC)


async def test_one_call_reads_profile_media_and_comments_with_the_token_in_the_header(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    ig = connector(client, sleep)
    await ig.fetch(IG)
    request = graph.routes["account"].calls.last.request
    assert request.url.params["fields"] == account_fields(10, 50)
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in str(request.url)
    assert ig.graph_calls == 1


async def test_a_reply_by_the_account_marks_the_comment_answered(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    snap = await connector(client, sleep).fetch(IG)
    first, second = snap.posts
    assert first.comments_enabled is True and second.comments_enabled is False
    by_id = {c.comment_id: c for c in first.comments}
    assert list(by_id) == ["17950000000000701", "17950000000000703", "17950000000000704"]
    assert by_id["17950000000000701"].replied_by_account
    assert by_id["17950000000000701"].author == "jordan.parent"
    assert not by_id["17950000000000703"].replied_by_account  # someone else's reply: to review
    assert by_id["17950000000000704"].hidden
    assert snap.comment_setting == "on"


async def test_comments_are_off_when_every_recent_media_disables_them(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    account = fixture("account_full.json")
    account["media"]["data"][0]["is_comment_enabled"] = False
    graph.routes["account"].mock(return_value=httpx.Response(200, json=account))
    snap = await connector(client, sleep).fetch(IG)
    assert snap.comment_setting == "off"


async def test_an_account_without_media_has_no_last_post_and_no_comment_setting(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    account = fixture("account_full.json")
    del account["media"]
    graph.routes["account"].mock(return_value=httpx.Response(200, json=account))
    snap = await connector(client, sleep).fetch(IG)
    assert snap.posts == () and snap.last_post_at is None
    assert not snap.exposes(Fact.COMMENT_SETTING)


async def test_without_the_username_the_comments_are_unexposed_not_unanswered(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    account = fixture("account_full.json")
    del account["username"]
    graph.routes["account"].mock(return_value=httpx.Response(200, json=account))
    snap = await connector(client, sleep).fetch(IG)
    assert snap.unexposed[Fact.COMMENTS] == "Instagram did not return the account's username"


async def test_it_follows_media_paging_on_its_own_base_url(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    account = fixture("account_full.json")
    account["media"]["paging"]["next"] = f"https://graph.facebook.com/v26.0/{IG}/media?after=M2"
    more = {"data": [{"id": "17900000000000603", "timestamp": "2026-11-01T10:00:00+0000"}]}
    graph.routes["account"].mock(return_value=httpx.Response(200, json=account))
    media = graph.get(f"{ROOT}/{IG}/media").mock(return_value=httpx.Response(200, json=more))
    snap = await connector(client, sleep, max_posts=3).fetch(IG)
    assert [p.post_id for p in snap.posts][-1] == "17900000000000603"
    call = media.calls.last.request
    assert call.url.host == "graph.test"
    assert (call.url.params["after"], call.url.params["limit"]) == ("QVFIUm2", "3")


async def test_a_graph_rate_limit_without_a_regain_time_is_retried_in_seconds(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    graph.routes["account"].side_effect = [
        httpx.Response(400, json=fixture("error_rate_limited_4.json")),
        httpx.Response(200, json=fixture("account_full.json")),
    ]
    snap = await connector(client, sleep).fetch(IG)
    assert snap.name == "Lincoln Elementary"
    assert sleep.delays == [0.25]  # half a second's backoff, jitter pinned to 0


async def test_an_expired_token_is_auth_failed_and_not_retried(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    graph.routes["account"].mock(
        return_value=httpx.Response(400, json=fixture("error_190_expired.json"))
    )
    with pytest.raises(AuthFailed, match="token expired"):
        await connector(client, sleep).fetch(IG)
    assert graph.routes["account"].call_count == 1


async def test_an_unknown_account_is_not_found(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    graph.routes["account"].mock(return_value=httpx.Response(404, json={}))
    with pytest.raises(NotFound):
        await connector(client, sleep).fetch(IG)


@pytest.mark.parametrize(
    "damage",
    [
        lambda a: a.pop("id"),
        lambda a: a["media"]["data"][0].pop("timestamp"),
        lambda a: a["media"]["data"][0]["comments"]["data"][0].pop("id"),
        lambda a: a["media"]["data"][0]["comments"]["data"][0]["replies"].update(data=1),
        lambda a: a["media"].update(data="oops"),
    ],
    ids=["no id", "no media time", "no comment id", "replies not a list", "data not a list"],
)
async def test_a_malformed_reply_is_unavailable_never_a_clean_snapshot(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder, damage: Any
) -> None:
    account = copy.deepcopy(fixture("account_full.json"))
    damage(account)
    graph.routes["account"].mock(return_value=httpx.Response(200, json=account))
    with pytest.raises(Unavailable, match="malformed reply"):
        await connector(client, sleep).fetch(IG)


async def test_it_reads_captions_and_the_accounts_own_replies(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    # Shape: IG Media `caption` and `media_type` (IMAGE | VIDEO | CAROUSEL_ALBUM),
    # developers.facebook.com/docs/instagram-platform/reference/instagram-media
    account = fixture("account_full.json")
    account["media"]["data"][0] |= {"caption": "Book fair next week!", "media_type": "IMAGE"}
    graph.routes["account"].mock(return_value=httpx.Response(200, json=account))
    snap = await connector(client, sleep).fetch(IG)
    assert snap.post_text_read is True
    first, second = snap.posts
    assert (first.text, first.has_media, first.own_replies) == (
        "Book fair next week!", True, ("Next Tuesday!",),
    )  # fmt: skip
    assert (second.text, second.has_media, second.own_replies) == ("", True, ())


async def test_without_the_username_the_posts_text_counts_as_unread(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    account = fixture("account_full.json")
    del account["username"]
    graph.routes["account"].mock(return_value=httpx.Response(200, json=account))
    snap = await connector(client, sleep).fetch(IG)
    assert snap.post_text_read is False
