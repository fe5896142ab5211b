"""`socmon connect youtube`: Google's device flow against the sandbox, one 0600 grant per channel."""

from __future__ import annotations

import asyncio
import json
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from store_factories import account

from connectors.base import Fact
from connectors.http import RetryPolicy
from connectors.youtube import YouTubeConnector, YouTubeCredentials
from monitor.context import App
from monitor.errors import UserError
from monitor.grant import GrantFailed, connect_youtube
from monitor.settings import Settings
from monitor.store.db import make_engine, session_factory
from monitor.youtube_grants import load_grants, save_grant
from sandbox.demo import demo_world
from sandbox.server import SandboxServer
from sandbox.social import YOUTUBE_CLIENT_ID, YOUTUBE_CLIENT_SECRET, YOUTUBE_KEY
from sandbox.world import World

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
BAYVIEW = "UCbayviewsecondary82cmsd"
CLIENT = json.dumps({"client_id": YOUTUBE_CLIENT_ID, "client_secret": YOUTUBE_CLIENT_SECRET})
ENV = {"SOCMON_YOUTUBE_CLIENT": CLIENT, "SOCMON_YOUTUBE_KEY": YOUTUBE_KEY}


class Sleeper:
    """Injected sleep: records the poll intervals, never waits."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def world() -> World:
    found = demo_world(NOW)
    found.social.clock = lambda: NOW
    return found


@pytest.fixture
def server(world: World) -> Iterator[SandboxServer]:
    with SandboxServer(world) as running:
        yield running


def make_app(tmp_path: Path, base_url: str) -> App:
    settings = Settings.model_validate(
        {
            "district": {
                "name": "CMSD82",
                "signature_texts": ["CMSD82"],
                "email_domains": ["cmsd82.ca"],
            },
            "state_dir": tmp_path,
            "platforms": {
                "youtube": {
                    "base_url": base_url,
                    "oauth_url": base_url,
                    "token_secret": "SOCMON_YOUTUBE_KEY",
                    "oauth_client_secret": "SOCMON_YOUTUBE_CLIENT",
                }
            },
        }
    )
    accounts = [
        account("bayview-yt", platform="youtube", platform_id=BAYVIEW),
        account("hillcrest-fb", platform_id="500000000000001"),
    ]
    engine = make_engine(settings.db_url)
    return App(settings, engine, session_factory(engine), accounts, clock=lambda: NOW)


def test_the_device_flow_stores_the_channels_grant_readable_by_its_owner_only(
    tmp_path: Path, server: SandboxServer, world: World
) -> None:
    world.social.youtube_device_approver = BAYVIEW
    shown: list[str] = []
    sleep = Sleeper()
    app = make_app(tmp_path, server.base_url)
    path = asyncio.run(connect_youtube(app, "bayview-yt", show=shown.append, env=ENV, sleep=sleep))
    assert "enter the code SBOX-0001" in shown[0] and "/_sandbox/device" in shown[0]
    assert sleep.delays == [5, 5]  # pending once, then granted, at Google's interval
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_grants(path.parent) == {BAYVIEW: f"1//sandbox-grant-{BAYVIEW}"}
    assert all("sandbox-grant" not in line for line in shown)  # the token is never shown


def test_a_grant_for_another_channel_is_refused_and_nothing_is_stored(
    tmp_path: Path, server: SandboxServer, world: World
) -> None:
    world.social.youtube_device_approver = "UChillcrestelementary82cm"
    app = make_app(tmp_path, server.base_url)
    with pytest.raises(GrantFailed, match="the grant is for channel UChillcrestelementary82cm"):
        asyncio.run(
            connect_youtube(app, "bayview-yt", show=lambda _: None, env=ENV, sleep=Sleeper())
        )
    assert load_grants(tmp_path / "youtube-grants") == {}


def test_a_declined_grant_stores_nothing(
    tmp_path: Path, server: SandboxServer, world: World
) -> None:
    world.social.youtube_device_approver = ""
    app = make_app(tmp_path, server.base_url)
    with pytest.raises(GrantFailed, match="declined"):
        asyncio.run(
            connect_youtube(app, "bayview-yt", show=lambda _: None, env=ENV, sleep=Sleeper())
        )
    assert not (tmp_path / "youtube-grants").exists()


@pytest.mark.parametrize(
    ("account_id", "wrong"),
    [("nobody", "no such account"), ("hillcrest-fb", "is a facebook account, not YouTube")],
)
def test_an_unknown_or_non_youtube_account_is_a_user_error(
    tmp_path: Path, account_id: str, wrong: str
) -> None:
    app = make_app(tmp_path, "http://127.0.0.1:9")
    with pytest.raises(UserError, match=wrong):
        asyncio.run(connect_youtube(app, account_id, show=lambda _: None, env=ENV))


def test_a_corrupt_grant_file_is_skipped_not_fatal(tmp_path: Path) -> None:
    folder = tmp_path / "youtube-grants"
    save_grant(folder, BAYVIEW, "1//good", NOW)
    (folder / "UCbroken.json").write_text("{not json")
    assert load_grants(folder) == {BAYVIEW: "1//good"}


async def test_each_channel_is_read_with_its_own_grant_and_a_channel_without_one_is_unknown(
    server: SandboxServer, world: World
) -> None:
    world.social.youtube_grants[f"1//sandbox-grant-{BAYVIEW}"] = BAYVIEW
    async with httpx.AsyncClient() as http:
        youtube = YouTubeConnector(
            http,
            base_url=server.base_url,
            credentials=YouTubeCredentials(
                YOUTUBE_KEY,
                client={"client_id": YOUTUBE_CLIENT_ID, "client_secret": YOUTUBE_CLIENT_SECRET},
                grants={BAYVIEW: f"1//sandbox-grant-{BAYVIEW}"},
            ),
            retry=RetryPolicy(max_retries=0),
            clock=lambda: NOW,
        )
        granted = await youtube.fetch(BAYVIEW)
        others = [c for c in world.social.youtube if c != BAYVIEW]
        ungranted = await youtube.fetch(others[0])
    assert granted.exposes(Fact.COMMENTS)
    assert granted.coverage[Fact.COMMENTS].complete
    assert not ungranted.exposes(Fact.COMMENTS)
    assert "socmon connect youtube" in ungranted.unexposed[Fact.COMMENTS]
