"""monitor.health: owned pages vs the directory and credential health, recorded as lapses."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import respx
from sqlalchemy import select
from store_factories import T0, account

from monitor.context import App
from monitor.directory import sync_accounts
from monitor.health import check_health, credential_status
from monitor.platforms.instagram import InstagramConfig
from monitor.platforms.youtube import YouTubeConfig
from monitor.registry import Account
from monitor.settings import Settings
from monitor.store.db import make_engine, session_factory, transaction
from monitor.store.migrate import upgrade
from monitor.store.models import CheckRun, CheckState, Cycle, Lapse

ROOT = "https://graph.test/v26.0"
BUSINESS = "300000000000082"
TOKEN = "test-system-token-value"
ENV = {"SOCMON_FACEBOOK_TOKEN": TOKEN}
SCOPES = [
    "pages_show_list",
    "pages_read_engagement",
    "pages_read_user_content",
    "pages_manage_metadata",
    "business_management",
]


def make_app(tmp_path: Path, accounts: list[Account]) -> App:
    settings = Settings.model_validate(
        {
            "district": {
                "name": "CMSD82",
                "signature_texts": ["CMSD82"],
                "email_domains": ["cmsd82.ca"],
                "it_contact": "it@cmsd82.ca",
            },
            "state_dir": tmp_path,
            "platforms": {
                "facebook": {
                    "base_url": "https://graph.test",
                    "api_version": "v26.0",
                    "token_secret": "SOCMON_FACEBOOK_TOKEN",
                    "business_id": BUSINESS,
                    "max_retries": 0,
                },
                "x": {"base_url": "https://x.test", "token_secret": "SOCMON_X_TOKEN"},
            },
        }
    )
    engine = make_engine(settings.db_url)
    upgrade(engine)
    return App(settings, engine, session_factory(engine), accounts, clock=lambda: T0)


@pytest.fixture
def graph() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        router.get(f"{ROOT}/debug_token").mock(
            return_value=httpx.Response(
                200, json={"data": {"is_valid": True, "expires_at": 0, "scopes": SCOPES}}
            )
        )
        yield router


ACCOUNTS = [
    account("hillcrest-fb", platform_id="111"),
    account("bayview-fb", platform_id="222"),
]


def owned(*pages: tuple[str, str]) -> httpx.Response:
    return httpx.Response(200, json={"data": [{"id": i, "name": n} for i, n in pages]})


def new_cycle(app: App, runs: Sequence[tuple[str, str, str]] = ()) -> int:
    """A cycle row with (account id, outcome, error kind) runs, accounts synced."""
    with transaction(app.sessions) as session:
        sync_accounts(session, app.accounts, T0)
        cycle = Cycle(started_at=T0)
        session.add(cycle)
        session.flush()
        for account_id, outcome, kind in runs:
            session.add(
                CheckRun(
                    cycle_id=cycle.id,
                    account_id=account_id,
                    started_at=T0,
                    outcome=outcome,
                    error_kind=kind,
                    error=f"{kind} error" if kind else "",
                )
            )
        return cycle.id


def states(app: App) -> dict[tuple[str, str], tuple[str, str]]:
    with app.sessions() as session:
        return {
            (s.account_id, s.check_id): (s.status, s.detail)
            for s in session.scalars(select(CheckState))
        }


def open_lapses(app: App) -> set[tuple[str, str]]:
    with app.sessions() as session:
        query = select(Lapse).where(Lapse.status == "open")
        return {(lp.account_id, lp.check_id) for lp in session.scalars(query)}


def test_it_opens_registered_lapses_for_an_unregistered_and_a_no_longer_owned_page(
    tmp_path: Path, graph: respx.MockRouter
) -> None:
    app = make_app(tmp_path, ACCOUNTS)
    graph.get(f"{ROOT}/{BUSINESS}/owned_pages").mock(
        return_value=owned(("111", "Hillcrest"), ("999", "Hillcrest PAC"))
    )
    asyncio.run(check_health(app, new_cycle(app), ENV))
    assert open_lapses(app) == {
        ("bayview-fb", "registered"),
        ("unregistered-facebook-999", "registered"),
    }
    assert states(app)[("hillcrest-fb", "registered")][0] == "pass"


def test_a_registered_lapse_resolves_once_the_page_is_registered(
    tmp_path: Path, graph: respx.MockRouter
) -> None:
    app = make_app(tmp_path, ACCOUNTS)
    route = graph.get(f"{ROOT}/{BUSINESS}/owned_pages")
    route.mock(return_value=owned(("111", "H"), ("222", "B"), ("999", "PAC")))
    asyncio.run(check_health(app, new_cycle(app), ENV))
    assert open_lapses(app) == {("unregistered-facebook-999", "registered")}
    app.accounts = [*ACCOUNTS, account("pac-fb", platform_id="999")]
    asyncio.run(check_health(app, new_cycle(app), ENV))
    assert open_lapses(app) == set()


def test_a_listing_failure_leaves_registered_unknown_and_opens_nothing(
    tmp_path: Path, graph: respx.MockRouter
) -> None:
    app = make_app(tmp_path, ACCOUNTS)
    graph.get(f"{ROOT}/{BUSINESS}/owned_pages").mock(
        return_value=httpx.Response(500, json={"error": {"code": 2, "message": "down"}})
    )
    asyncio.run(check_health(app, new_cycle(app), ENV))
    found = states(app)
    assert found[("hillcrest-fb", "registered")][0] == "unknown"
    assert found[("bayview-fb", "registered")][0] == "unknown"
    assert open_lapses(app) == set()


def test_a_token_expiring_soon_is_an_it_lapse_shown_by_credential_status(
    tmp_path: Path, graph: respx.MockRouter
) -> None:
    app = make_app(tmp_path, ACCOUNTS)
    graph.get(f"{ROOT}/{BUSINESS}/owned_pages").mock(return_value=owned(("111", "H"), ("222", "B")))
    expires = int((T0 + timedelta(days=9)).timestamp())
    graph.get(f"{ROOT}/debug_token").mock(
        return_value=httpx.Response(
            200, json={"data": {"is_valid": True, "expires_at": expires, "scopes": SCOPES}}
        )
    )
    asyncio.run(check_health(app, new_cycle(app), ENV))
    assert open_lapses(app) == {("credential-facebook", "connector_health")}
    with app.sessions() as session:
        [status] = credential_status(session)
    assert (status.platform, status.status) == ("facebook", "lapse")
    assert "expires on 2026-12-02, in 9 days" in status.detail
    assert status.expires_at is not None and status.expires_at.startswith("2026-12-02")
    assert TOKEN not in status.detail


def test_an_auth_failure_in_the_cycle_opens_a_lapse_on_that_platforms_credential(
    tmp_path: Path, graph: respx.MockRouter
) -> None:
    x_account = account("hillcrest-x", platform="x", platform_id="hillcrest")
    app = make_app(tmp_path, [*ACCOUNTS, x_account])
    graph.get(f"{ROOT}/{BUSINESS}/owned_pages").mock(return_value=owned(("111", "H"), ("222", "B")))
    cycle = new_cycle(app, [("hillcrest-fb", "ok", ""), ("hillcrest-x", "failed", "auth")])
    asyncio.run(check_health(app, cycle, ENV))
    assert open_lapses(app) == {("credential-x", "connector_health")}
    found = states(app)
    assert found[("credential-facebook", "connector_health")][0] == "pass"
    assert "refused for 1 account" in found[("credential-x", "connector_health")][1]


def test_a_spent_x_usage_cap_in_the_cycle_opens_a_lapse_for_it(
    tmp_path: Path, graph: respx.MockRouter
) -> None:
    x_account = account("hillcrest-x", platform="x", platform_id="hillcrest")
    app = make_app(tmp_path, [*ACCOUNTS, x_account])
    graph.get(f"{ROOT}/{BUSINESS}/owned_pages").mock(return_value=owned(("111", "H"), ("222", "B")))
    cycle = new_cycle(app, [("hillcrest-fb", "ok", ""), ("hillcrest-x", "failed", "usage_cap")])
    asyncio.run(check_health(app, cycle, ENV))
    assert open_lapses(app) == {("credential-x", "connector_health")}
    assert (
        "hit its usage cap: 1 account unread"
        in states(app)[("credential-x", "connector_health")][1]
    )


def test_connector_health_lists_youtube_channels_without_a_grant_of_their_own(
    tmp_path: Path, graph: respx.MockRouter
) -> None:
    from monitor.youtube_grants import save_grant

    granted = account("bayview-yt", platform="youtube", platform_id="UCbayview")
    ungranted = account("hillcrest-yt", platform="youtube", platform_id="UChillcrest")
    app = make_app(tmp_path, [*ACCOUNTS, granted, ungranted])
    x = app.settings.platforms["x"].model_dump()
    youtube = YouTubeConfig.model_validate({**x, "base_url": "https://yt.test"})
    platforms = {**app.settings.platforms, "youtube": youtube}
    app.settings = app.settings.model_copy(update={"platforms": platforms})
    save_grant(tmp_path / "youtube-grants", "UCbayview", "1//grant", T0)
    graph.get(f"{ROOT}/{BUSINESS}/owned_pages").mock(return_value=owned(("111", "H"), ("222", "B")))
    asyncio.run(check_health(app, new_cycle(app, [("hillcrest-fb", "ok", "")]), ENV))
    detail = states(app)[("credential-youtube", "connector_health")][1]
    assert "lacks the channel's own grant for 1 channel (hillcrest-yt)" in detail


def test_connector_health_names_the_permission_the_instagram_token_lacks(
    tmp_path: Path, graph: respx.MockRouter
) -> None:
    ig_account = account("hillcrest-ig", platform="instagram", platform_id="17841400000000001")
    app = make_app(tmp_path, [*ACCOUNTS, ig_account])
    facebook = app.settings.platforms["facebook"].model_dump(exclude={"business_id"})
    instagram = InstagramConfig.model_validate(facebook)
    platforms = {**app.settings.platforms, "instagram": instagram}
    app.settings = app.settings.model_copy(update={"platforms": platforms})
    graph.get(f"{ROOT}/{BUSINESS}/owned_pages").mock(return_value=owned(("111", "H"), ("222", "B")))
    ig_scopes = ["instagram_basic", "pages_read_engagement", *SCOPES]
    graph.routes[0].mock(  # debug_token: the same system token, without instagram_manage_comments
        return_value=httpx.Response(
            200, json={"data": {"is_valid": True, "expires_at": 0, "scopes": ig_scopes}}
        )
    )
    asyncio.run(check_health(app, new_cycle(app, [("hillcrest-ig", "ok", "")]), ENV))
    detail = states(app)[("credential-instagram", "connector_health")][1]
    assert "lacks the permission instagram_manage_comments" in detail
