"""The sandbox over real HTTP on 127.0.0.1: endpoints, paging, limits, faults, tokens, stats."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from sandbox.demo import SYSTEM_TOKEN, demo_world, page_token
from sandbox.server import SandboxServer
from sandbox.world import World, synthetic_token

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
V = "v26.0"
RIVERSIDE = "100000000000004"  # planted: an unanswered 3-day-old comment
SUMMIT = "100000000000005"  # planted: principal is an editor
NORTHSHORE = "100000000000013"  # roles forbidden
EAGLE_POINT = "100000000000014"  # missing from /me/accounts
HILLCREST = "100000000000001"
PAGE_FIELDS = (
    "id,name,about,description,website,emails,link,is_published,cover{{source}},picture{{url}},"
    "posts.limit({n}){{id,created_time,permalink_url,comments.limit({m}).filter(stream)"
    "{{id,from,message,created_time,is_hidden,user_likes,parent{{id}}}}}}"
)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def world() -> World:
    return demo_world(NOW)


@pytest.fixture
def client(world: World) -> Iterator[httpx.Client]:
    with SandboxServer(world) as server, httpx.Client(base_url=server.base_url) as http:
        yield http


def get_page(client: httpx.Client, page_id: str, n: int = 10, m: int = 50) -> httpx.Response:
    fields = PAGE_FIELDS.format(n=n, m=m)
    return client.get(
        f"/{V}/{page_id}", params={"fields": fields}, headers=auth(page_token(page_id))
    )


def error_of(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()["error"]
    return body


def test_me_accounts_pages_through_every_listed_page_and_the_last_page_has_no_next() -> None:
    with SandboxServer(World.synthetic(250, NOW)) as server, httpx.Client() as http:
        url: str | None = f"{server.base_url}/{V}/me/accounts?fields=id,name,access_token&limit=100"
        sizes, ids = [], []
        while url:
            reply = http.get(url, headers=auth(SYSTEM_TOKEN)).json()
            sizes.append(len(reply["data"]))
            ids += [row["id"] for row in reply["data"]]
            assert all(row["access_token"] == synthetic_token(row["id"]) for row in reply["data"])
            url = reply["paging"].get("next")
    assert sizes == [100, 100, 50]
    assert len(set(ids)) == 250


def test_me_accounts_leaves_out_the_page_the_system_user_no_longer_manages(
    client: httpx.Client,
) -> None:
    reply = client.get(f"/{V}/me/accounts?fields=id,name,access_token", headers=auth(SYSTEM_TOKEN))
    ids = {row["id"] for row in reply.json()["data"]}
    assert HILLCREST in ids
    assert EAGLE_POINT not in ids
    assert "next" not in reply.json()["paging"]


def test_the_page_call_honours_the_posts_and_comments_limits(client: httpx.Client) -> None:
    full = get_page(client, HILLCREST).json()
    limited = get_page(client, HILLCREST, n=2, m=3).json()
    assert len(full["posts"]["data"]) == 3
    assert len(full["posts"]["data"][0]["comments"]["data"]) == 5
    assert len(limited["posts"]["data"]) == 2
    assert "next" in limited["posts"]["paging"]
    assert all(len(post["comments"]["data"]) == 3 for post in limited["posts"]["data"])
    assert full["posts"]["data"][0]["created_time"].endswith("+0000")


def test_the_page_object_has_the_profile_images_and_contact_email(client: httpx.Client) -> None:
    page = get_page(client, HILLCREST).json()
    assert page["name"] == "Hillcrest Elementary"
    assert "Coast Mountains School District 82" in page["about"]
    assert page["emails"] == ["hillcrest.office@cmsd82.ca"]
    assert page["is_published"] is True
    assert client.get(page["cover"]["source"]).headers["content-type"] == "image/jpeg"
    assert page["picture"]["data"]["url"].endswith(".jpg")


def test_emails_and_empty_texts_are_left_out_like_graph_does(
    client: httpx.Client, world: World
) -> None:
    page = world.page(HILLCREST)
    assert page is not None
    page.emails, page.website = [], ""
    body = get_page(client, HILLCREST).json()
    assert "emails" not in body
    assert "website" not in body


def test_replies_come_only_with_filter_stream_and_carry_their_parent(client: httpx.Client) -> None:
    fields = "posts.limit(1){comments{id,from,parent{id}}}"
    top = client.get(
        f"/{V}/{HILLCREST}", params={"fields": fields}, headers=auth(page_token(HILLCREST))
    )
    stream = get_page(client, HILLCREST, n=1).json()["posts"]["data"][0]["comments"]["data"]
    top_rows = top.json()["posts"]["data"][0]["comments"]["data"]
    replies = [c for c in stream if "parent" in c]
    assert len(replies) == 1 and replies[0]["from"]["id"] == HILLCREST
    assert all("parent" not in c for c in top_rows)
    assert len(top_rows) == len(stream) - 1


def test_the_planted_comment_is_three_days_old_and_nobody_handled_it(client: httpx.Client) -> None:
    posts = get_page(client, RIVERSIDE).json()["posts"]["data"]
    comments = [c for post in posts for c in post["comments"]["data"]]
    old = [c for c in comments if c["created_time"] == "2026-11-20T12:00:00+0000"]
    assert len(old) == 1
    assert old[0]["is_hidden"] is False and old[0]["user_likes"] is False
    assert not [c for c in comments if c.get("parent", {}).get("id") == old[0]["id"]]


def test_the_posts_next_link_serves_the_remaining_posts(client: httpx.Client) -> None:
    first = get_page(client, HILLCREST, n=1).json()["posts"]
    rest = client.get(first["paging"]["next"], headers=auth(page_token(HILLCREST))).json()
    assert [p["id"] for p in rest["data"]] == [f"{HILLCREST}_2"]
    assert "next" in rest["paging"]


def test_roles_list_tasks_and_an_editor_lacks_manage(client: httpx.Client) -> None:
    reply = client.get(
        f"/{V}/{SUMMIT}/roles?fields=id,name,tasks", headers=auth(page_token(SUMMIT))
    )
    tasks = {row["id"]: row["tasks"] for row in reply.json()["data"]}
    assert "MANAGE" not in tasks["200000000000005"]  # the principal
    assert sum("MANAGE" in t for t in tasks.values()) == 2


def test_a_roles_forbidden_page_answers_403_with_the_permission_error(
    client: httpx.Client, world: World
) -> None:
    headers = auth(page_token(NORTHSHORE))
    roles = client.get(f"/{V}/{NORTHSHORE}/roles?fields=id,name,tasks", headers=headers)
    users = client.get(
        f"/{V}/{NORTHSHORE}/assigned_users",
        params={"business": world.business_id, "fields": "id,name,tasks"},
        headers=headers,
    )
    for reply in (roles, users):
        assert reply.status_code == 403
        assert error_of(reply)["code"] == 200
        assert "pages_manage_metadata" in error_of(reply)["message"]
    assert get_page(client, NORTHSHORE).status_code == 200


def test_the_page_call_expands_roles_and_assigned_users_with_limit_and_business_modifiers(
    client: httpx.Client, world: World
) -> None:
    # Field expansion: an edge's parameters as `.name(value)` modifiers, nested `{}` fields
    # (developers.facebook.com/docs/graph-api/guides/field-expansion).
    fields = (
        f"id,roles.limit(2){{id,tasks}},"
        f"assigned_users.business({world.business_id}).limit(5){{id,name,tasks}}"
    )
    reply = client.get(
        f"/{V}/{HILLCREST}", params={"fields": fields}, headers=auth(page_token(HILLCREST))
    )
    body = reply.json()
    assert reply.status_code == 200
    assert len(body["roles"]["data"]) == 2 and set(body["roles"]["data"][0]) == {"id", "tasks"}
    assert len(body["assigned_users"]["data"]) == 3
    assert "next" not in body["assigned_users"]["paging"]
    # The cut edge names its continuation; following the cursor reads the rest.
    after = body["roles"]["paging"]["cursors"]["after"]
    assert f"/{HILLCREST}/roles?" in body["roles"]["paging"]["next"]
    rest = client.get(
        f"/{V}/{HILLCREST}/roles",
        params={"fields": "id,tasks", "limit": "2", "after": after},
        headers=auth(page_token(HILLCREST)),
    ).json()
    assert [r["id"] for r in rest["data"]] == [r["id"] for r in body["assigned_users"]["data"]][2:]
    assert "next" not in rest["paging"]


def test_a_refused_role_edge_refuses_the_whole_expanded_page_request(
    client: httpx.Client, world: World
) -> None:
    headers = auth(page_token(NORTHSHORE))
    expanded = client.get(
        f"/{V}/{NORTHSHORE}", params={"fields": "id,name,roles{id,tasks}"}, headers=headers
    )
    assert expanded.status_code == 403 and error_of(expanded)["code"] == 200
    plain = client.get(f"/{V}/{NORTHSHORE}", params={"fields": "id,name"}, headers=headers)
    assert plain.status_code == 200
    wrong = client.get(
        f"/{V}/{HILLCREST}",
        params={"fields": "id,assigned_users.business(1){id}"},
        headers=auth(page_token(HILLCREST)),
    )
    assert wrong.status_code == 400 and error_of(wrong)["code"] == 100


def test_assigned_users_needs_the_districts_business_id(client: httpx.Client, world: World) -> None:
    headers = auth(page_token(HILLCREST))
    path = f"/{V}/{HILLCREST}/assigned_users"
    good = client.get(path, params={"business": world.business_id}, headers=headers)
    missing = client.get(path, headers=headers)
    assert len(good.json()["data"]) == 3
    assert missing.status_code == 400 and error_of(missing)["code"] == 100


def test_a_planted_500_fails_once_then_the_page_answers(client: httpx.Client, world: World) -> None:
    world.fail_next.append((500, None))
    first, second = get_page(client, HILLCREST), get_page(client, HILLCREST)
    assert first.status_code == 500 and error_of(first)["code"] == 2
    assert second.status_code == 200


def test_a_planted_throttle_reports_usage_at_100_percent(
    client: httpx.Client, world: World
) -> None:
    world.fail_next.append((429, 4))
    throttled, after = get_page(client, HILLCREST), get_page(client, HILLCREST)
    assert throttled.status_code == 429 and error_of(throttled)["code"] == 4
    assert json.loads(throttled.headers["x-app-usage"])["call_count"] == 100
    usage = json.loads(throttled.headers["x-business-use-case-usage"])
    assert usage[HILLCREST][0]["call_count"] == 100
    assert json.loads(after.headers["x-app-usage"])["call_count"] == world.usage_percent


def test_a_page_fault_hits_only_that_page(client: httpx.Client, world: World) -> None:
    world.fail_next_for[SUMMIT] = [(400, 190)]
    other, expired = get_page(client, HILLCREST), get_page(client, SUMMIT)
    assert other.status_code == 200
    assert expired.status_code == 400
    assert (error_of(expired)["code"], error_of(expired)["error_subcode"]) == (190, 463)


def test_a_token_in_the_query_string_is_refused(client: httpx.Client) -> None:
    reply = client.get(f"/{V}/me/accounts", params={"access_token": SYSTEM_TOKEN})
    assert reply.status_code == 400
    assert error_of(reply)["code"] == 190
    assert "Authorization header" in error_of(reply)["message"]


def test_a_wrong_token_is_code_190_and_another_pages_token_is_210(client: httpx.Client) -> None:
    wrong = client.get(f"/{V}/me/accounts", headers=auth("not-a-token"))
    borrowed = client.get(f"/{V}/{SUMMIT}?fields=id", headers=auth(page_token(HILLCREST)))
    assert (wrong.status_code, error_of(wrong)["code"], error_of(wrong)["error_subcode"]) == (
        400,
        190,
        463,
    )
    assert error_of(borrowed)["code"] == 210


def test_an_unknown_page_is_code_100_unsupported_get(client: httpx.Client) -> None:
    reply = client.get(f"/{V}/999?fields=id", headers=auth(page_token(HILLCREST)))
    assert reply.status_code == 400
    assert error_of(reply)["code"] == 100
    assert error_of(reply)["message"].startswith("Unsupported get request. Object with ID '999'")


def test_an_unknown_field_is_refused_like_graph(client: httpx.Client) -> None:
    reply = client.get(
        f"/{V}/{HILLCREST}?fields=id,secret_sauce", headers=auth(page_token(HILLCREST))
    )
    assert error_of(reply)["code"] == 100
    assert "secret_sauce" in error_of(reply)["message"]


def test_every_reply_carries_both_usage_headers(client: httpx.Client) -> None:
    for reply in (get_page(client, HILLCREST), client.get(f"/{V}/me/accounts")):
        assert json.loads(reply.headers["x-app-usage"])["call_count"] == 5
        assert "x-business-use-case-usage" in reply.headers


def test_stats_count_the_calls_per_endpoint_kind(client: httpx.Client, world: World) -> None:
    client.get(f"/{V}/me/accounts", headers=auth(SYSTEM_TOKEN))
    get_page(client, HILLCREST)
    get_page(client, SUMMIT)
    client.get(f"/{V}/{SUMMIT}/roles", headers=auth(page_token(SUMMIT)))
    stats = client.get("/_sandbox/stats").json()
    assert stats["calls"] == {
        "me_accounts": 1, "page": 2, "roles": 1, "assigned_users": 0, "posts": 0, "comments": 0,
    }  # fmt: skip
    assert stats["total"] == 4 and stats["errors"] == 0


def test_a_synthetic_world_of_10000_pages_builds_pages_only_when_asked() -> None:
    world = World.synthetic(10_000, NOW)
    assert len(world.listed_ids()) == 10_000
    assert world.pages == {}
    page = world.page("500000000009999")
    assert page is not None and len(page.posts) == 3
    assert world.token_owner(page.token) == page.id
    assert world.page("500000000010000") is None
    assert len(world.pages) == 1


def test_the_command_line_prints_its_url_serves_and_exits_0_on_sigterm() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", "0", "--pages", "3", "--fail-next", "503"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("SANDBOX_URL=http://127.0.0.1:")
        base = line.removeprefix("SANDBOX_URL=")
        first = httpx.get(f"{base}/{V}/me/accounts", headers=auth(SYSTEM_TOKEN))
        second = httpx.get(f"{base}/{V}/me/accounts", headers=auth(SYSTEM_TOKEN))
        assert (first.status_code, len(second.json()["data"])) == (503, 3)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
