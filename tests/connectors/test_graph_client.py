"""The one Graph client: paging by cursor on our own host, the horizon stop, listings, scrubbing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from connectors.base import AuthFailed, Unavailable
from connectors.budget import CallBudget
from connectors.graph_client import GraphClient
from connectors.http import RetryPolicy

BASE = "https://graph.test"
ROOT = f"{BASE}/v26.0"
TOKEN = "short-token"  # short on purpose: the generic 32-char scrubber would miss it


def rows(*ids: str, after: str | None = None) -> dict[str, Any]:
    """An edge; `next` names another host (Graph's links carry the token), only the cursor counts."""
    out: dict[str, Any] = {"data": [{"id": i} for i in ids]}
    if after:
        out["paging"] = {"cursors": {"after": after}, "next": f"https://elsewhere/x?after={after}"}
    return out


def graph(client: httpx.AsyncClient) -> GraphClient:
    return GraphClient(client, base_url=BASE, retry=RetryPolicy(max_retries=0))


async def test_more_follows_the_cursor_on_our_own_host_until_the_last_page(
    client: httpx.AsyncClient,
) -> None:
    with respx.mock() as router:
        route = router.get(f"{ROOT}/1/roles").mock(
            side_effect=[
                httpx.Response(200, json=rows("b", after="C2")),
                httpx.Response(200, json=rows("c")),
            ]
        )
        found, whole = await graph(client).more(
            "1/roles", {"fields": "id"}, rows("a", after="C1"), TOKEN, CallBudget(5), "1"
        )
    assert (found, whole) == ([{"id": "b"}, {"id": "c"}], True)
    assert [c.request.url.params["after"] for c in route.calls] == ["C1", "C2"]
    assert route.calls[0].request.url.host == "graph.test"


async def test_more_stops_when_the_last_row_leaves_the_horizon_or_the_budget_runs_out(
    client: httpx.AsyncClient,
) -> None:
    with respx.mock() as router:
        route = router.get(f"{ROOT}/1/posts").mock(
            return_value=httpx.Response(200, json=rows("old", after="C2"))
        )
        gc = graph(client)
        found, whole = await gc.more(
            "1/posts", {}, rows("new", after="C1"), TOKEN, CallBudget(5), "1",
            while_last=lambda row: row["id"] != "old",
        )  # fmt: skip
        assert (found, whole, route.call_count) == ([{"id": "old"}], True, 1)
        spent = CallBudget(1)
        spent.take()
        _, whole = await gc.more("1/posts", {}, rows("new", after="C1"), TOKEN, spent, "1")
    assert whole is False and route.call_count == 1


async def test_every_row_reads_a_listing_and_refuses_an_endless_one(
    client: httpx.AsyncClient,
) -> None:
    with respx.mock() as router:
        router.get(f"{ROOT}/me/accounts").mock(
            side_effect=lambda request: httpx.Response(
                200, json=rows("p", after=str(int(request.url.params.get("after", "0")) + 1))
            )
        )
        with pytest.raises(Unavailable, match="more than 3 result pages"):
            await graph(client).every_row("me/accounts", {}, TOKEN, max_pages=3)


async def test_a_token_graph_echoes_never_reaches_the_error_message(
    client: httpx.AsyncClient,
) -> None:
    echo = {"error": {"message": f"Invalid token {TOKEN}", "code": 190, "error_subcode": 467}}
    with respx.mock() as router:
        router.get(f"{ROOT}/me/accounts").mock(return_value=httpx.Response(400, json=echo))
        with pytest.raises(AuthFailed) as caught:
            await graph(client).get("me/accounts", {}, TOKEN)
    assert TOKEN not in str(caught.value) and "[redacted]" in str(caught.value)
    assert caught.value.subcode == 467
