"""BusinessGraph: owned_pages paging and debug_token, against respx routes in Graph's shapes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import httpx
import pytest
import respx

from connectors.base import AuthFailed, Unavailable
from connectors.http import RetryPolicy
from connectors.ownership import BusinessGraph, OwnedPage, TokenInfo

BASE = "https://graph.test"
ROOT = f"{BASE}/v26.0"
BUSINESS = "300000000000082"
TOKEN = "short-system-token"  # short on purpose: the generic 32-char scrubber misses it
EXPIRES = 1_742_000_000  # 2025-03-15T00:53:20Z


async def no_sleep(seconds: float) -> None:
    return None


@pytest.fixture
def graph() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


@pytest.fixture
async def business() -> AsyncIterator[BusinessGraph]:
    async with httpx.AsyncClient() as client:
        yield BusinessGraph(
            client,
            base_url=BASE,
            system_token=TOKEN,
            retry=RetryPolicy(max_retries=1, jitter=lambda: 0.0),
            sleep=no_sleep,
        )


def owned_reply(request: httpx.Request) -> httpx.Response:
    if request.url.params.get("after") == "CUR2":
        return httpx.Response(200, json={"data": [{"id": "333", "name": "Hillcrest PAC"}]})
    return httpx.Response(
        200,
        json={
            "data": [{"id": "111", "name": "Hillcrest"}, {"id": "222", "name": "Bayview"}],
            # `next` names another host and carries a token: only the cursor is followed.
            "paging": {
                "cursors": {"before": "CUR1", "after": "CUR2"},
                "next": "https://evil.test/next?access_token=stolen&after=CUR2",
            },
        },
    )


async def test_it_lists_every_owned_page_across_result_pages(
    graph: respx.MockRouter, business: BusinessGraph
) -> None:
    route = graph.get(f"{ROOT}/{BUSINESS}/owned_pages").mock(side_effect=owned_reply)
    pages = await business.owned_pages(BUSINESS)
    assert pages == [
        OwnedPage("111", "Hillcrest"),
        OwnedPage("222", "Bayview"),
        OwnedPage("333", "Hillcrest PAC"),
    ]
    assert route.call_count == 2
    first = route.calls[0].request
    assert first.url.params["fields"] == "id,name" and first.url.params["limit"] == "100"
    assert first.headers["authorization"] == f"Bearer {TOKEN}"
    assert all(call.request.url.host == "graph.test" for call in route.calls)


async def test_a_listing_that_keeps_failing_raises_unavailable(
    graph: respx.MockRouter, business: BusinessGraph
) -> None:
    graph.get(f"{ROOT}/{BUSINESS}/owned_pages").mock(
        return_value=httpx.Response(500, json={"error": {"code": 2, "message": "try later"}})
    )
    with pytest.raises(Unavailable):
        await business.owned_pages(BUSINESS)


async def test_a_rejected_system_token_on_the_listing_is_an_auth_failure(
    graph: respx.MockRouter, business: BusinessGraph
) -> None:
    graph.get(f"{ROOT}/{BUSINESS}/owned_pages").mock(
        return_value=httpx.Response(
            400, json={"error": {"code": 190, "error_subcode": 463, "message": "expired"}}
        )
    )
    with pytest.raises(AuthFailed, match="token expired"):
        await business.owned_pages(BUSINESS)


def debug_reply(data: dict[str, object]) -> httpx.Response:
    return httpx.Response(200, json={"data": data})


async def test_debug_token_reads_expiry_data_access_and_scopes(
    graph: respx.MockRouter, business: BusinessGraph
) -> None:
    route = graph.get(f"{ROOT}/debug_token").mock(
        return_value=debug_reply(
            {
                "app_id": "1",
                "type": "SYSTEM_USER",
                "is_valid": True,
                "expires_at": EXPIRES,
                "data_access_expires_at": 0,
                "scopes": ["pages_show_list", "pages_read_engagement"],
            }
        )
    )
    info = await business.debug_token()
    assert info == TokenInfo(
        is_valid=True,
        expires_at=datetime(2025, 3, 15, 0, 53, 20, tzinfo=UTC),
        data_access_expires_at=None,
        scopes=("pages_show_list", "pages_read_engagement"),
    )
    # The real API wants the inspected token in the query; the caller's in the header.
    assert route.calls[0].request.url.params["input_token"] == TOKEN
    assert "access_token" not in route.calls[0].request.url.params


async def test_debug_token_reports_a_revoked_token_as_invalid_without_echoing_it(
    graph: respx.MockRouter, business: BusinessGraph
) -> None:
    graph.get(f"{ROOT}/debug_token").mock(
        return_value=debug_reply(
            {
                "is_valid": False,
                "scopes": [],
                "error": {"code": 190, "message": f"The session of {TOKEN} was invalidated"},
            }
        )
    )
    info = await business.debug_token()
    assert info.is_valid is False
    assert TOKEN not in info.error and "[redacted]" in info.error


async def test_a_token_graph_refuses_outright_is_invalid_and_the_message_is_scrubbed(
    graph: respx.MockRouter, business: BusinessGraph, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    graph.get(f"{ROOT}/debug_token").mock(
        return_value=httpx.Response(
            400, json={"error": {"code": 190, "message": f"Malformed access token {TOKEN}"}}
        )
    )
    info = await business.debug_token()
    assert info.is_valid is False
    assert TOKEN not in info.error
    assert TOKEN not in caplog.text


async def test_a_debug_token_outage_is_raised_without_the_token(
    graph: respx.MockRouter, business: BusinessGraph
) -> None:
    graph.get(f"{ROOT}/debug_token").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(Unavailable) as caught:
        await business.debug_token()
    assert TOKEN not in str(caught.value)
    assert caught.value.__cause__ is None or TOKEN not in str(caught.value.__cause__)


async def test_against_the_demo_sandbox_the_business_owns_the_pac_page_but_not_eagle_point() -> (
    None
):
    from sandbox.business import DEMO_UNREGISTERED_PAGE
    from sandbox.demo import SCHOOLS, SYSTEM_TOKEN, demo_world
    from sandbox.server import SandboxServer

    unowned = next(s.page_id for s in SCHOOLS if s.account_id == "eagle-point-elementary-fb")
    with SandboxServer(demo_world(datetime(2026, 11, 23, tzinfo=UTC))) as server:
        async with httpx.AsyncClient() as client:
            sandbox = BusinessGraph(client, base_url=server.base_url, system_token=SYSTEM_TOKEN)
            owned = {p.page_id for p in await sandbox.owned_pages("300000000000082")}
            info = await sandbox.debug_token()
    assert DEMO_UNREGISTERED_PAGE[0] in owned
    assert unowned not in owned
    assert len(owned) == len(SCHOOLS)  # 13 listed pages plus the PAC page
    assert info.is_valid and info.expires_at is None and "business_management" in info.scopes
