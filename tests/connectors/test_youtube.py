"""YouTubeConnector against respx routes serving recorded-shape YouTube Data API replies."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from recorded import NOW, Recorder, recorded

from connectors.base import AuthFailed, Fact, NotFound, RateLimited, Unavailable
from connectors.http import RetryPolicy
from connectors.youtube import NO_OAUTH, YouTubeConnector, YouTubeCredentials
from connectors.youtube_quota import DailyQuota, until_pacific_midnight

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
ACCESS = "ya29.a0AfH6SMfakeACCESStokenxxxxxxxxxxxxxxxxxxxx"


def reply(name: str, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=fixture(name))


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        router.get(f"{API}/channels", name="channels").mock(return_value=reply("channel.json"))
        router.get(f"{API}/playlistItems", name="uploads").mock(return_value=reply("uploads.json"))

        def threads(request: httpx.Request) -> httpx.Response:
            held = request.url.params.get("moderationStatus") == "heldForReview"
            return reply("threads_held.json" if held else "threads_published.json")

        router.get(f"{API}/commentThreads", name="threads").mock(side_effect=threads)
        router.post(f"{BASE}/oauth2/v4/token", name="token").mock(return_value=reply("token.json"))
        yield router


def connector(client: httpx.AsyncClient, sleep: Recorder, **options: Any) -> YouTubeConnector:
    return YouTubeConnector(
        client,
        base_url=BASE,
        credentials=YouTubeCredentials(KEY, oauth=options.pop("oauth", OAUTH)),
        retry=options.pop("retry", RetryPolicy(jitter=lambda: 0.0)),
        sleep=sleep,
        clock=sleep.clock,
        **options,
    )


async def test_it_maps_the_channel_banner_picture_and_latest_upload(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    snap = await connector(client, sleep).fetch(CHANNEL)
    assert (snap.platform, snap.platform_id, snap.fetched_at) == ("youtube", CHANNEL, NOW)
    assert snap.name == "Lincoln Elementary"
    assert snap.about.startswith("Videos from Lincoln Elementary")
    assert snap.website == "https://lincoln.parkwest.k12.example"  # from the description
    assert snap.banner_url == "https://yt3.googleusercontent.com/lincoln-banner"
    assert snap.picture_url.endswith("=s800")
    assert snap.audience == "public"
    assert snap.url == "https://www.youtube.com/@lincolnelementarypw"
    assert snap.last_post_at == datetime(2026, 11, 19, 16, 0, tzinfo=UTC)
    assert set(snap.unexposed) == {Fact.EMAILS, Fact.ADMINS, Fact.COMMENT_SETTING}
    channels = api.routes["channels"].calls.last.request.url.params
    assert channels["part"] == "snippet,brandingSettings,status,contentDetails"
    assert channels["key"] == KEY  # YouTube takes API keys only as `key`
    uploads = api.routes["uploads"].calls.last.request.url.params
    assert uploads["playlistId"] == "UUlincolnelementarypw01"


async def test_comments_are_answered_liked_or_held_and_keep_to_their_videos(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    snap = await connector(client, sleep).fetch(CHANNEL)
    newest, older, gone = snap.posts
    assert [c.comment_id for c in newest.comments] == ["UgxAAA1", "UgxCCC3"]
    answered, held = newest.comments
    assert answered.replied_by_account and not answered.held_for_review
    assert held.held_for_review
    assert older.comments == ()
    # A thread on a video outside the latest uploads: its own post, no newer than the uploads.
    assert gone.post_id == "vidGONE0003" and gone.created_at <= older.created_at
    (liked,) = gone.comments
    assert liked.liked_by_account
    assert snap.last_post_at == newest.created_at
    statuses = [c.request.url.params["moderationStatus"] for c in api.routes["threads"].calls]
    assert statuses == ["published", "heldForReview"]


async def test_comment_threads_use_the_owners_access_token_refreshed_once(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    yt = connector(client, sleep)
    await yt.fetch(CHANNEL)
    await yt.fetch(CHANNEL)
    assert api.routes["token"].call_count == 1
    form = dict(
        pair.split("=", 1)
        for pair in api.routes["token"].calls.last.request.content.decode().split("&")
    )
    assert form["grant_type"] == "refresh_token"
    threads = api.routes["threads"].calls.last.request
    assert threads.headers["Authorization"] == f"Bearer {ACCESS}"
    assert "key" not in threads.url.params
    assert yt.youtube_calls == 8 and yt.quota.used == 8  # 4 list calls per channel


async def test_without_a_refresh_token_comments_are_unexposed(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    snap = await connector(client, sleep, oauth=None).fetch(CHANNEL)
    assert snap.unexposed[Fact.COMMENTS] == NO_OAUTH
    assert api.routes["threads"].call_count == 0 and api.routes["token"].call_count == 0


async def test_a_revoked_refresh_token_is_auth_failed(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    api.routes["token"].mock(return_value=reply("token_invalid_grant.json", 400))
    with pytest.raises(AuthFailed, match="refresh token rejected") as caught:
        await connector(client, sleep).fetch(CHANNEL)
    assert OAUTH["refresh_token"] not in str(caught.value)


async def test_a_credential_that_is_not_the_owners_leaves_comments_unexposed(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    forbidden = {
        "error": {"code": 403, "message": "Forbidden", "errors": [{"reason": "forbidden"}]}
    }
    api.routes["threads"].side_effect = None
    api.routes["threads"].mock(return_value=httpx.Response(403, json=forbidden))
    snap = await connector(client, sleep).fetch(CHANNEL)
    assert "channel owner's" in snap.unexposed[Fact.COMMENTS]
    assert snap.name == "Lincoln Elementary"


async def test_an_invalid_key_is_auth_failed_and_the_key_is_never_in_the_message(
    api: respx.MockRouter,
    client: httpx.AsyncClient,
    sleep: Recorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    echo = fixture("error_key_invalid.json")
    echo["error"]["message"] += f" (key {KEY})"
    api.routes["channels"].mock(return_value=httpx.Response(400, json=echo))
    with caplog.at_level(logging.DEBUG, logger="connectors"), pytest.raises(AuthFailed) as caught:
        await connector(client, sleep).fetch(CHANNEL)
    assert "API key not valid" in str(caught.value)
    assert KEY not in str(caught.value)
    assert KEY not in caplog.text


async def test_quota_exceeded_is_rate_limited_until_midnight_pacific(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    api.routes["channels"].mock(return_value=reply("error_quota_exceeded.json", 403))
    yt = connector(client, sleep)
    with pytest.raises(RateLimited) as caught:
        await yt.fetch(CHANNEL)
    assert caught.value.retry_after == 3600.0  # 23:00 Pacific -> midnight
    assert api.routes["channels"].call_count == 1
    with pytest.raises(RateLimited):
        await yt.fetch(CHANNEL)
    assert api.routes["channels"].call_count == 1  # nothing more is sent today


async def test_it_stops_before_the_daily_quota_without_calling(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    yt = connector(client, sleep, daily_quota=6)
    await yt.fetch(CHANNEL)  # 4 units
    with pytest.raises(RateLimited, match="of 6 units reached") as caught:
        await yt.fetch(CHANNEL)
    assert caught.value.retry_after == 3600.0
    assert yt.quota.used == 6 and api.routes["threads"].call_count == 2
    sleep.now += timedelta(hours=1, seconds=1)  # a new Pacific day
    await yt.fetch(CHANNEL)
    assert yt.quota.used == 4


def test_the_daily_count_is_kept_in_a_file_for_the_same_pacific_day(tmp_path: Path) -> None:
    clock = Recorder()
    path = tmp_path / "quota.json"
    DailyQuota(100, clock.clock, path).charge(7)
    assert DailyQuota(100, clock.clock, path).used == 7
    clock.now += timedelta(hours=2)
    assert DailyQuota(100, clock.clock, path).used == 0


def test_pacific_midnight_accounts_for_daylight_saving() -> None:
    # 2026-11-01 is the end of PDT: that Pacific day is 25 hours long.
    start = datetime(2026, 11, 1, 7, 0, tzinfo=UTC)  # 00:00 PDT
    assert until_pacific_midnight(start) == 25 * 3600


async def test_a_missing_channel_is_not_found_and_a_500_is_retried(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    api.routes["channels"].side_effect = [httpx.Response(503), reply("channel.json")]
    assert (await connector(client, sleep).fetch(CHANNEL)).name
    api.routes["channels"].side_effect = None
    api.routes["channels"].mock(return_value=httpx.Response(200, json={"items": []}))
    with pytest.raises(NotFound):
        await connector(client, sleep).fetch(CHANNEL)


async def test_comment_threads_follow_page_tokens(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    first = fixture("threads_published.json")
    first["items"] = first["items"][:1]
    first["nextPageToken"] = "QURTSl9pMkp"
    second = fixture("threads_published.json")
    second["items"] = second["items"][1:]
    api.routes["threads"].side_effect = [
        httpx.Response(200, json=first),
        httpx.Response(200, json=second),
        reply("threads_held.json"),
    ]
    snap = await connector(client, sleep).fetch(CHANNEL)
    assert sum(len(p.comments) for p in snap.posts) == 3
    assert api.routes["threads"].calls[1].request.url.params["pageToken"] == "QURTSl9pMkp"


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("uploads", {"items": [{"contentDetails": {"videoPublishedAt": "2026-11-01T00:00:00Z"}}]}),
        ("uploads", {"items": [{"contentDetails": {"videoId": "v1"}}]}),
        ("channels", {"items": [{"snippet": {}}]}),
        ("channels", {"items": "oops"}),
    ],
    ids=["upload without video", "upload without time", "channel without id", "items not list"],
)
async def test_a_malformed_reply_is_unavailable(
    api: respx.MockRouter,
    client: httpx.AsyncClient,
    sleep: Recorder,
    route: str,
    body: dict[str, Any],
) -> None:
    api.routes[route].mock(return_value=httpx.Response(200, json=body))
    with pytest.raises(Unavailable, match="malformed"):
        await connector(client, sleep).fetch(CHANNEL)


async def test_a_private_channel_is_private(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    channel = fixture("channel.json")
    channel["items"][0]["status"]["privacyStatus"] = "private"
    api.routes["channels"].mock(return_value=httpx.Response(200, json=channel))
    assert (await connector(client, sleep).fetch(CHANNEL)).audience == "private"
    del channel["items"][0]["status"]
    api.routes["channels"].mock(return_value=httpx.Response(200, json=channel))
    assert (await connector(client, sleep).fetch(CHANNEL)).audience == "public"


async def test_it_reads_video_titles_descriptions_and_the_channels_own_replies(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    # Shape: playlistItems `snippet` (title, description, resourceId.videoId), one quota unit
    # whatever the parts, developers.google.com/youtube/v3/docs/playlistItems#resource
    uploads = fixture("uploads.json")
    uploads["items"][0]["snippet"] = {
        "publishedAt": "2026-11-19T16:00:00Z",
        "channelId": CHANNEL,
        "title": "Winter concert 2026",
        "description": "The Grade 5 choir sings.",
        "resourceId": {"kind": "youtube#video", "videoId": "vidNEW00001"},
    }
    api.routes["uploads"].mock(return_value=httpx.Response(200, json=uploads))
    snap = await connector(client, sleep).fetch(CHANNEL)
    assert snap.post_text_read is True
    concert = next(p for p in snap.posts if p.post_id == "vidNEW00001")
    assert concert.text == "Winter concert 2026\nThe Grade 5 choir sings."
    assert concert.has_media is True
    assert concert.own_replies == ("Thank you!",)
    params = api.routes["uploads"].calls.last.request.url.params
    assert params["part"] == "snippet,contentDetails"


async def test_without_the_owners_oauth_the_channels_replies_count_as_unread(
    api: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    snap = await connector(client, sleep, oauth=None).fetch(CHANNEL)
    assert snap.post_text_read is False
