"""FacebookConnector against respx routes serving recorded-shape Graph replies.

The page call expands the role edges in its `fields=` (Graph API field expansion guide,
developers.facebook.com/docs/graph-api/guides/field-expansion: `.limit(N)` on an edge, nested
`{...}` sub-fields, one request); the people come from the Page Roles and Page Assigned Users
references (developers.facebook.com/docs/graph-api/reference/page/roles,
.../reference/page/assigned_users: `id`, `name`, `tasks`, `business` parameter). A refused
role edge refuses the whole expanded request, so the connector falls back to separate calls.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import graph_factory
import httpx
import pytest
import respx
from recorded import NOW, Recorder, recorded

from connectors.base import (
    AuthFailed,
    ConnectorError,
    Fact,
    NotFound,
    PermissionMissing,
    RateLimited,
    Unavailable,
)
from connectors.facebook import FacebookConnector, RolesApart
from connectors.facebook_page import admin_fields, page_fields
from connectors.graph import classify_graph_error
from connectors.http import RetryPolicy
from connectors.parsing import parse_time

fixture, reply = recorded("facebook")
BASE = "https://graph.test"
ROOT = f"{BASE}/v26.0"
SYSTEM_TOKEN = "EAAGfakeSYSTEMtokenxxxxxxxxxxxxxxxxxxxxxx"
TOKEN_111 = "EAAGfakePAGEtoken111xxxxxxxxxxxxxxxxxxxx"
TOKEN_222 = "EAAGfakePAGEtoken222xxxxxxxxxxxxxxxxxxxx"
ALL_TOKENS = (SYSTEM_TOKEN, TOKEN_111, TOKEN_222)


@pytest.fixture
def graph() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:

        def accounts(request: httpx.Request) -> httpx.Response:
            after = request.url.params.get("after")
            return reply("me_accounts_page2.json" if after else "me_accounts_page1.json")

        router.get(f"{ROOT}/me/accounts", name="accounts").mock(side_effect=accounts)
        router.get(f"{ROOT}/111", name="page111").mock(return_value=reply("page_full.json"))
        router.get(f"{ROOT}/111/roles", name="roles111").mock(return_value=reply("roles.json"))
        router.get(f"{ROOT}/222", name="page222").mock(return_value=reply("page_no_comments.json"))
        router.get(f"{ROOT}/222/roles", name="roles222").mock(return_value=reply("roles.json"))
        yield router


def connector(client: httpx.AsyncClient, sleep: Recorder, **options: Any) -> FacebookConnector:
    return graph_factory.facebook(
        client,
        base_url=BASE,
        system_token=SYSTEM_TOKEN,
        retry=options.pop("retry", RetryPolicy(jitter=lambda: 0.0)),
        sleep=sleep,
        clock=sleep.clock,
        **options,
    )


async def test_it_maps_a_full_page_to_the_right_snapshot(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    snap = await connector(client, sleep).fetch("111")
    assert (snap.platform, snap.platform_id, snap.fetched_at) == ("facebook", "111", NOW)
    assert snap.name == "Lincoln Elementary School"
    assert snap.about.startswith("Official page of Lincoln Elementary")
    assert snap.description.startswith("Go Lions!")
    assert snap.website == "https://lincoln.parkwest.k12.example"
    assert snap.emails == ("office@parkwest.k12.example",)
    assert snap.banner_url.endswith("cover_111.jpg")
    assert snap.picture_url.endswith("picture_111.jpg")
    assert snap.url == "https://www.facebook.com/LincolnElementaryPW"
    assert (snap.audience, snap.published, snap.comment_setting) == ("public", True, "")
    assert dict(snap.unexposed) == {
        Fact.COMMENT_SETTING: "Facebook has no readable per-page comment switch"
    }
    assert snap.last_post_at == datetime(2026, 11, 20, 8, 15, tzinfo=UTC)


async def test_it_lists_only_people_with_the_manage_task_as_admins(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    snap = await connector(client, sleep).fetch("111")
    assert [(a.user_id, a.name, a.role) for a in snap.admins] == [
        ("7001", "Pat Principal", "admin"),
        ("7002", "Alex Assistant-Principal", "admin"),
    ]
    assert snap.exposes(Fact.ADMINS)


async def test_it_marks_comments_hidden_liked_and_replied_by_the_page(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    snap = await connector(client, sleep).fetch("111")
    first, second = snap.posts
    assert (first.post_id, second.post_id) == ("111_901", "111_902")
    assert first.comments_enabled is None
    assert first.permalink.endswith("/posts/901")
    by_id = {c.comment_id: c for c in first.comments}
    # The page's own reply 901_2 is not a comment to review; it answers 901_1.
    assert list(by_id) == ["901_1", "901_3", "901_4", "901_5", "901_6"]
    assert by_id["901_1"].replied_by_account and not by_id["901_1"].liked_by_account
    assert by_id["901_1"].author == "Jordan Parent"
    assert by_id["901_1"].text == "When is the book fair?"
    assert by_id["901_1"].created_at == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    assert by_id["901_3"].hidden and not by_id["901_3"].replied_by_account
    assert by_id["901_4"].liked_by_account and not by_id["901_4"].hidden
    assert by_id["901_5"].author == "Sam Parent"  # a reply by someone else still needs review
    assert not any([by_id["901_5"].replied_by_account, by_id["901_5"].by_account])
    assert by_id["901_6"].author == ""  # no `from`: still a comment
    (own,) = second.comments
    assert own.by_account and own.author == "Lincoln Elementary School"


async def test_it_maps_a_page_without_comments_emails_or_cover(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    snap = await connector(client, sleep).fetch("222")
    assert snap.emails == () and snap.exposes(Fact.EMAILS)
    assert snap.banner_url == "" and snap.website == ""
    assert (snap.audience, snap.published) == ("private", False)
    assert [p.comments for p in snap.posts] == [()]
    assert snap.last_post_at == datetime(2026, 10, 1, 17, 45, tzinfo=UTC)


async def test_a_page_without_posts_has_no_last_post_time(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    page = fixture("page_full.json")
    del page["posts"]  # Graph leaves empty edges out
    graph.routes["page111"].mock(return_value=httpx.Response(200, json=page))
    snap = await connector(client, sleep).fetch("111")
    assert snap.posts == () and snap.last_post_at is None


async def test_it_follows_me_accounts_paging_with_the_cursor_on_its_own_base_url(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    tokens = await connector(client, sleep).load_page_tokens()
    assert tokens == {"111": TOKEN_111, "222": TOKEN_222}
    first, second = graph.routes["accounts"].calls
    assert first.request.url.params["fields"] == "id,name,access_token"
    assert first.request.url.params["limit"] == "100"
    assert second.request.url.host == "graph.test"  # not graph.facebook.com from `next`
    assert second.request.url.params["after"] == "QVFIUmFmdGVyMTExZAZD"
    assert first.request.headers["Authorization"] == f"Bearer {SYSTEM_TOKEN}"


async def test_it_reads_the_after_cursor_from_next_when_cursors_are_missing(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    page1 = fixture("me_accounts_page1.json")
    del page1["paging"]["cursors"]
    graph.routes["accounts"].side_effect = [
        httpx.Response(200, json=page1),
        reply("me_accounts_page2.json"),
    ]
    tokens = await connector(client, sleep).load_page_tokens()
    assert set(tokens) == {"111", "222"}
    assert graph.routes["accounts"].calls[1].request.url.params["after"] == "QVFIUmFmdGVyMTExZAZD"


async def test_it_reads_each_page_with_its_own_token(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    fb = connector(client, sleep)
    await fb.fetch("111")
    await fb.fetch("222")
    for name, token in [("page111", TOKEN_111), ("page222", TOKEN_222)]:
        assert graph.routes[name].calls.last.request.headers["Authorization"] == f"Bearer {token}"
    page_call = graph.routes["page111"].calls.last.request
    assert page_call.url.params["fields"] == f"{page_fields(10, 50)},{admin_fields('')}"
    assert page_call.url.params["fields"].endswith(",roles.limit(100){id,name,tasks}")
    assert graph.routes["roles111"].call_count == 0  # the roles came inside the page call


def refuse_roles(graph: respx.MockRouter, page: str = "111", name: str = "page_full.json") -> None:
    """Graph's answer when the role edge is refused: the whole expanded request fails."""

    def answer(request: httpx.Request) -> httpx.Response:
        if "roles" in request.url.params["fields"]:
            return reply("roles_no_permission_error.json", 403)
        return reply(name)

    graph.routes[f"page{page}"].mock(side_effect=answer)
    graph.routes[f"roles{page}"].mock(return_value=reply("roles_no_permission_error.json", 403))


async def test_it_makes_exactly_one_graph_call_per_quiet_page_in_steady_state(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    fb = connector(client, sleep)
    await fb.fetch("111")
    assert fb.graph_calls == 3  # two /me/accounts pages, once, then the page with its roles
    await fb.fetch("222")
    await fb.fetch("111")
    assert fb.graph_calls == 5
    assert graph.routes["accounts"].call_count == 2


async def test_with_a_business_id_assigned_users_still_come_in_the_one_page_call(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    page = fixture("page_full.json") | {"assigned_users": fixture("assigned_users.json")}
    graph.routes["page111"].mock(return_value=httpx.Response(200, json=page))
    fb = connector(client, sleep, business_id="880001")
    await fb.load_page_tokens()
    snap = await fb.fetch("111")
    assert fb.graph_calls == 3
    assert [a.user_id for a in snap.admins] == ["7001", "7002", "7005"]
    fields = graph.routes["page111"].calls.last.request.url.params["fields"]
    assert "assigned_users.business(880001).limit(100){id,name,tasks}" in fields


async def test_an_expanded_role_edge_with_a_next_cursor_is_followed_to_its_end(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    page = fixture("page_full.json")
    page["roles"]["paging"]["next"] = f"{ROOT}/111/roles?after=QVFIUjcwMDQZD"
    graph.routes["page111"].mock(return_value=httpx.Response(200, json=page))
    rest = {"data": [{"id": "7009", "name": "Sam Secretary", "tasks": ["MANAGE"]}]}
    graph.routes["roles111"].mock(return_value=httpx.Response(200, json=rest))
    snap = await connector(client, sleep).fetch("111")
    assert [a.user_id for a in snap.admins] == ["7001", "7002", "7009"]
    asked = graph.routes["roles111"].calls.last.request.url.params
    assert (asked["after"], asked["fields"]) == ("QVFIUjcwMDQZD", "id,name,tasks")


async def test_an_expanded_role_edge_cut_short_by_the_budget_leaves_admins_unknown(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    page = fixture("page_full.json")
    page["roles"]["paging"]["next"] = f"{ROOT}/111/roles?after=QVFIUjcwMDQZD"
    graph.routes["page111"].mock(return_value=httpx.Response(200, json=page))
    snap = await connector(client, sleep, max_calls_per_account=1).fetch("111")
    assert snap.admins == ()
    assert snap.unexposed[Fact.ADMINS].startswith("page roles read only in part")
    assert graph.routes["roles111"].call_count == 0


async def test_a_page_missing_from_me_accounts_is_not_found(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    with pytest.raises(NotFound, match="page 333 is not managed by the district's system user"):
        await connector(client, sleep).fetch("333")


async def test_it_retries_a_429_then_uses_the_200_after_the_regain_time(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    usage = json.dumps(
        {
            "111": [
                {
                    "type": "pages",
                    "call_count": 100,
                    "total_cputime": 10,
                    "total_time": 10,
                    "estimated_time_to_regain_access": 1,
                }
            ]
        }
    )
    graph.routes["page111"].side_effect = [
        reply("error_rate_limited_4.json", 429, headers={"X-Business-Use-Case-Usage": usage}),
        reply("page_full.json"),
    ]
    snap = await connector(client, sleep).fetch("111")
    assert snap.name == "Lincoln Elementary School"
    assert graph.routes["page111"].call_count == 2
    # The error's retry_after and the usage hold both say a minute: waited once.
    assert sleep.delays == [60.0]


async def test_it_retries_a_500_then_returns_the_snapshot(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    graph.routes["page111"].side_effect = [
        reply("error_1_unknown.json", 500),
        reply("page_full.json"),
    ]
    snap = await connector(client, sleep).fetch("111")
    assert len(snap.admins) == 2
    assert sleep.delays == [0.25]


async def test_it_recovers_from_a_timeout(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    graph.routes["page111"].side_effect = [httpx.ReadTimeout("slow"), reply("page_full.json")]
    snap = await connector(client, sleep).fetch("111")
    assert snap.posts


async def test_it_raises_unavailable_when_timeouts_exhaust_the_retries(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    graph.routes["page111"].side_effect = httpx.ConnectTimeout("down")
    with pytest.raises(Unavailable, match="timed out"):
        await connector(client, sleep, retry=RetryPolicy(max_retries=2)).fetch("111")
    assert graph.routes["page111"].call_count == 3
    assert len(sleep.delays) == 2


async def test_an_expired_token_raises_auth_failed_after_one_token_reload_and_no_retries(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    graph.routes["page111"].mock(return_value=reply("error_190_expired.json", 400))
    with pytest.raises(AuthFailed, match="token expired") as caught:
        await connector(client, sleep).fetch("111")
    assert (caught.value.code, caught.value.subcode, caught.value.permanent) == (190, 463, True)
    assert graph.routes["page111"].call_count == 2  # old token, then the reloaded one
    assert graph.routes["accounts"].call_count == 4  # /me/accounts (2 pages) loaded twice
    assert sleep.delays == []


async def test_a_rejected_page_token_is_replaced_by_a_reloaded_one(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    graph.routes["page111"].side_effect = [
        reply("error_190_expired.json", 400),
        reply("page_full.json"),
    ]
    snap = await connector(client, sleep).fetch("111")
    assert snap.name == "Lincoln Elementary School"


async def test_a_roles_permission_error_leaves_admins_unexposed_and_the_rest_good(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    refuse_roles(graph)
    snap = await connector(client, sleep).fetch("111")
    assert snap.admins == ()
    assert snap.unexposed[Fact.ADMINS] == "the token lacks permission to read page roles"
    assert snap.name == "Lincoln Elementary School" and len(snap.posts) == 2
    assert graph.routes["accounts"].call_count == 2  # a permission error is not a bad token
    # The refused expanded call, the page alone, then /roles apart (refused again).
    assert (graph.routes["page111"].call_count, graph.routes["roles111"].call_count) == (2, 1)


async def test_the_separate_calls_fallback_is_remembered_so_no_later_cycle_pays_the_refusal(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    refuse_roles(graph)
    apart = RolesApart()  # held by the process; each cycle builds a new connector
    await connector(client, sleep, roles_apart=apart).fetch("111")
    fb = connector(client, sleep, roles_apart=apart)
    await fb.load_page_tokens()
    snap = await fb.fetch("111")
    assert fb.graph_calls == 4  # two /me/accounts pages, the page alone, /roles
    assert "roles" not in graph.routes["page111"].calls.last.request.url.params["fields"]
    assert snap.unexposed[Fact.ADMINS] == "the token lacks permission to read page roles"
    await fb.fetch("222")  # another page still reads its roles in the one call
    assert graph.routes["roles222"].call_count == 0 and "222" not in apart


async def test_a_permission_error_not_about_roles_still_fails_the_page_and_is_not_remembered(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    graph.routes["page111"].mock(return_value=reply("roles_no_permission_error.json", 403))
    apart = RolesApart()
    with pytest.raises(PermissionMissing):
        await connector(client, sleep, roles_apart=apart).fetch("111")
    assert "111" not in apart
    assert graph.routes["roles111"].call_count == 0


async def test_any_other_roles_error_fails_the_whole_fetch(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    graph.routes["page111"].mock(return_value=reply("error_100_not_found.json", 404))
    with pytest.raises(NotFound):
        await connector(client, sleep).fetch("111")
    refuse_roles(graph)  # and read apart: a /roles that is not a permission error
    graph.routes["roles111"].mock(return_value=reply("error_100_not_found.json", 404))
    with pytest.raises(NotFound):
        await connector(client, sleep).fetch("111")


async def test_read_apart_it_merges_assigned_users_when_a_business_id_is_set(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    apart = RolesApart()
    apart.add("111")  # a page whose role edges Graph refused in the page call earlier
    graph.routes["roles111"].mock(return_value=reply("roles.json"))
    route = graph.get(f"{ROOT}/111/assigned_users").mock(return_value=reply("assigned_users.json"))
    snap = await connector(client, sleep, business_id="880001", roles_apart=apart).fetch("111")
    assert [a.user_id for a in snap.admins] == ["7001", "7002", "7005"]
    assert route.calls.last.request.url.params["business"] == "880001"
    assert route.calls.last.request.url.params["fields"] == "id,name,tasks"


async def test_malformed_json_is_unavailable(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    graph.routes["page111"].mock(return_value=httpx.Response(200, text='{"id": "111", "na'))
    with pytest.raises(Unavailable, match="malformed JSON"):
        await connector(client, sleep, retry=RetryPolicy(max_retries=1)).fetch("111")


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.pop("id"),
        lambda p: p["posts"]["data"][0].pop("created_time"),
        lambda p: p["posts"]["data"][0]["comments"]["data"][0].pop("id"),
        lambda p: p["posts"].update(data="oops"),
        lambda p: p["posts"]["data"][1].update(created_time="yesterday"),
    ],
    ids=["no page id", "no post time", "no comment id", "data not a list", "bad time"],
)
async def test_a_reply_missing_required_fields_is_unavailable_never_a_clean_snapshot(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder, damage: Any
) -> None:
    page = copy.deepcopy(fixture("page_full.json"))
    damage(page)
    graph.routes["page111"].mock(return_value=httpx.Response(200, json=page))
    with pytest.raises(Unavailable, match="malformed reply"):
        await connector(client, sleep).fetch("111")


async def test_high_usage_slows_the_next_request_in_proportion(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    usage = json.dumps({"call_count": 95, "total_cputime": 20, "total_time": 30})
    graph.routes["page111"].mock(
        return_value=reply("page_full.json", headers={"X-App-Usage": usage})
    )
    fb = connector(client, sleep)
    await fb.load_page_tokens()
    await fb.fetch("111")
    assert sleep.delays == []  # the page call itself went out at once
    await fb.fetch("222")
    assert sleep.delays == [30.0]  # halfway from 90 % to 100 % of a 60 s ceiling
    assert fb.throttle.active


async def test_usage_back_to_normal_stops_the_slowdown(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    high = json.dumps({"call_count": 95})
    low = json.dumps({"call_count": 10})
    graph.routes["page111"].mock(
        return_value=reply("page_full.json", headers={"X-App-Usage": high})
    )
    graph.routes["page222"].mock(
        return_value=reply("page_no_comments.json", headers={"X-App-Usage": low})
    )
    fb = connector(client, sleep)
    await fb.fetch("111")
    await fb.fetch("222")
    await fb.fetch("111")
    await fb.fetch("222")
    assert sleep.delays == [30.0, 30.0]  # each page 222 call waited for page 111's high reply
    assert not fb.throttle.active


async def test_usage_at_the_limit_with_a_long_regain_time_is_rate_limited_without_calling(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    usage = json.dumps({"111": [{"call_count": 100, "estimated_time_to_regain_access": 30}]})
    graph.routes["page111"].mock(
        return_value=reply("page_full.json", headers={"X-Business-Use-Case-Usage": usage})
    )
    fb = connector(client, sleep)
    await fb.fetch("111")  # the page with its roles: one call, answered before the limit
    with pytest.raises(RateLimited) as caught:
        await fb.fetch("111")  # the next cycle's call would have to wait 30 minutes
    assert caught.value.retry_after == 1800.0
    assert graph.routes["page111"].call_count == 1  # the second call never went out
    assert sleep.delays == []


async def test_it_follows_post_and_comment_cursors_to_the_end_newest_first(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    page = fixture("page_full.json")
    page["posts"]["paging"]["next"] = (
        f"https://evil.example/v26.0/111/posts?after=P2&access_token={TOKEN_111}"
    )
    page["posts"]["data"][1]["comments"]["paging"]["next"] = "https://graph.facebook.com/x?after=C2"
    more_posts = {"data": [{"id": "111_903", "created_time": "2026-11-10T10:00:00+0000"}]}
    more_comments = {
        "data": [
            {
                "id": "902_2",
                "created_time": "2026-11-19T10:00:00+0000",
                "from": {"id": "5009", "name": "Late Parent"},
            }
        ]
    }
    graph.routes["page111"].mock(return_value=httpx.Response(200, json=page))
    posts = graph.get(f"{ROOT}/111/posts").mock(return_value=httpx.Response(200, json=more_posts))
    comments = graph.get(f"{ROOT}/111_902/comments").mock(
        return_value=httpx.Response(200, json=more_comments)
    )
    snap = await connector(client, sleep, max_posts=3, max_comments=5).fetch("111")
    assert [p.post_id for p in snap.posts] == ["111_901", "111_902", "111_903"]
    assert [c.comment_id for c in snap.posts[1].comments] == ["902_1", "902_2"]
    assert posts.calls.last.request.url.host == "graph.test"
    assert posts.calls.last.request.url.params["after"] == "QVFIUnBvc3QyZAZD"
    assert posts.calls.last.request.url.params["limit"] == "3"
    asked = comments.calls.last.request.url.params
    assert (asked["filter"], asked["order"]) == ("stream", "reverse_chronological")
    assert asked["after"] == "MQZDZD"
    assert snap.coverage[Fact.COMMENTS].complete


async def test_the_page_call_asks_for_comments_newest_first_with_their_total(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    await connector(client, sleep).fetch("111")
    fields = graph.routes["page111"].calls.last.request.url.params["fields"]
    assert "comments.limit(50).order(reverse_chronological).filter(stream).summary(true)" in fields
    assert "updated_time" in fields


async def test_when_the_call_budget_is_spent_the_comments_coverage_says_what_was_left(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    page = fixture("page_full.json")
    page["posts"]["paging"]["next"] = f"{ROOT}/111/posts?after=P2"
    endless = {
        "data": [{"id": "111_9xx", "created_time": "2026-11-10T10:00:00+0000"}],
        "paging": {"cursors": {"after": "P3"}, "next": f"{ROOT}/111/posts?after=P3"},
    }
    graph.routes["page111"].mock(return_value=httpx.Response(200, json=page))
    posts = graph.get(f"{ROOT}/111/posts").mock(return_value=httpx.Response(200, json=endless))
    fb = connector(client, sleep, max_posts=100, max_calls_per_account=4)
    snap = await fb.fetch("111")
    assert posts.call_count == 3  # the page with its roles + 3 pages of posts = the budget of 4
    cover = snap.coverage[Fact.COMMENTS]
    assert not cover.complete
    assert cover.missing.endswith("the per-account budget of 4 calls ran out")
    assert snap.exposes(Fact.ADMINS)  # the roles were read before the comments


async def test_tokens_never_appear_in_request_urls_or_error_messages(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    echo = {
        "error": {
            "message": f"Invalid OAuth access token {TOKEN_111}",
            "code": 190,
            "error_subcode": 467,
            "type": "OAuthException",
        }
    }
    graph.routes["page111"].mock(return_value=httpx.Response(400, json=echo))
    fb = connector(client, sleep)
    await fb.fetch("222")
    with pytest.raises(AuthFailed) as caught:
        await fb.fetch("111")
    assert "token invalid" in str(caught.value)
    assert all(token not in str(caught.value) for token in ALL_TOKENS)
    assert graph.calls.call_count > 0
    for call in graph.calls:
        assert all(token not in str(call.request.url) for token in ALL_TOKENS)


@pytest.mark.parametrize(
    ("status", "body", "headers", "expected"),
    [
        (200, {"id": "1"}, {}, None),
        (400, {"error": {"code": 190, "error_subcode": 458}}, {}, AuthFailed),
        (400, {"error": {"code": 10}}, {}, PermissionMissing),
        (403, {"error": {"code": 299}}, {}, PermissionMissing),
        (400, {"error": {"code": 17}}, {}, RateLimited),
        (400, {"error": {"code": 80001}}, {}, RateLimited),
        (429, {}, {}, RateLimited),
        (400, {"error": {"code": 100, "message": "Object does not exist"}}, {}, NotFound),
        (404, {}, {}, NotFound),
        (503, {}, {}, Unavailable),
        (500, {"error": {"code": 2}}, {}, Unavailable),
        (
            400,
            {"error": {"code": 100, "message": "Tried accessing nonexisting field"}},
            {},
            ConnectorError,
        ),
    ],
)
def test_classify_graph_error_maps_codes_to_typed_errors(
    status: int, body: Any, headers: dict[str, str], expected: type[ConnectorError] | None
) -> None:
    error = classify_graph_error(httpx.Response(status, json=body, headers=headers))
    if expected is None:
        assert error is None
        return
    assert type(error) is expected
    if expected is ConnectorError:
        assert error.permanent


def test_classify_names_the_subcode_meaning_and_reads_the_regain_time() -> None:
    expired = classify_graph_error(httpx.Response(400, json=fixture("error_190_expired.json")))
    assert isinstance(expired, AuthFailed) and "token expired" in str(expired)
    usage = json.dumps({"111": [{"call_count": 100, "estimated_time_to_regain_access": 5}]})
    limited = classify_graph_error(
        httpx.Response(
            400,
            json=fixture("error_rate_limited_4.json"),
            headers={"X-Business-Use-Case-Usage": usage},
        )
    )
    assert isinstance(limited, RateLimited) and limited.retry_after == 300.0
    plain = classify_graph_error(httpx.Response(400, json=fixture("error_rate_limited_4.json")))
    # No regain time: the retry backs off seconds with jitter, never a made-up minute.
    assert isinstance(plain, RateLimited) and plain.retry_after is None
    told = classify_graph_error(
        httpx.Response(429, json=fixture("error_rate_limited_4.json"), headers={"Retry-After": "7"})
    )
    assert isinstance(told, RateLimited) and told.retry_after == 7.0


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-20T08:15:00+0000",
        "2026-11-20T08:15:00Z",
        "2026-11-20T03:15:00-0500",
        "2026-11-20T08:15:00",
    ],
)
def test_graph_times_parse_to_aware_utc(text: str) -> None:
    assert parse_time(text, "test") == datetime(2026, 11, 20, 8, 15, tzinfo=UTC)


async def test_a_rejected_system_token_says_so(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    graph.routes["accounts"].mock(return_value=reply("error_190_expired.json", 400))
    with pytest.raises(AuthFailed, match=r"^system user token: .*token expired") as caught:
        await connector(client, sleep).fetch("111")
    assert caught.value.subcode == 463
    assert graph.routes["page111"].call_count == 0


async def test_a_page_reply_without_is_published_leaves_the_audience_unexposed(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    page = fixture("page_full.json")
    del page["is_published"]
    graph.routes["page111"].mock(return_value=httpx.Response(200, json=page))
    snap = await connector(client, sleep).fetch("111")
    assert snap.audience == ""
    assert not snap.exposes(Fact.AUDIENCE)


async def test_it_reads_what_the_posts_say_their_media_and_the_pages_own_replies(
    graph: respx.MockRouter, client: httpx.AsyncClient, sleep: Recorder
) -> None:
    # Shape: Graph API page post `message` and `attachments` (StoryAttachment: media_type,
    # description, subattachments), developers.facebook.com/docs/graph-api/reference/story-attachment
    graph.routes["page111"].mock(return_value=reply("page_post_texts.json"))
    snap = await connector(client, sleep).fetch("111")
    assert snap.post_text_read is True
    art, concert, reminder = snap.posts
    assert art.text == "Our Grade 4 art show opens on Friday!"
    assert (art.has_media, art.alt_texts) == (
        True,
        ("Two students hang their paintings in the gym.",),
    )
    assert (concert.has_media, concert.alt_texts) == (True, ("The choir sings the finale.",))
    assert (reminder.has_media, reminder.alt_texts) == (False, ())
    assert reminder.own_replies == ("Yes, the daycare is open as usual.",)
    assert [c.comment_id for c in reminder.comments] == ["111_703_1"]
    assert "message,attachments{media_type,description" in page_fields(10, 50)
