"""The demo district and config/accounts.example.yaml describe the same accounts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.registry import Account, load_registry
from sandbox.demo import (
    ATTESTATION_VALID_DAYS,
    CHECK_IDS,
    DEMO_ATTESTATIONS,
    DEMO_EXPECTED,
    DEMO_IMAGES,
    DEMO_NOT_OWNED,
    DEMO_UNKNOWN,
    DISTRICT,
    DOMAIN,
    SOCIAL_PLANTED,
    demo_world,
)
from sandbox.world import Page, World

REGISTRY = Path(__file__).resolve().parents[2] / "config" / "accounts.example.yaml"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def registry() -> list[Account]:
    """The Facebook accounts (the other platforms are checked in test_social_sandbox.py)."""
    return [a for a in load_registry(REGISTRY, [DOMAIN]) if a.platform == "facebook"]


def page_of(world: World, account: Account) -> Page:
    page = world.page(account.platform_id)
    assert page is not None, account.id
    return page


def test_the_example_registry_lists_exactly_the_demo_pages() -> None:
    world = demo_world(NOW)
    accounts = registry()
    assert {a.platform_id for a in accounts} == set(world.page_ids())
    everything = load_registry(REGISTRY, [DOMAIN])
    assert {a.id for a in everything} == set(DEMO_EXPECTED)
    assert {a.id for a in everything} - {a.id for a in accounts} == set(SOCIAL_PLANTED)


def test_only_the_unowned_page_is_missing_from_me_accounts() -> None:
    world = demo_world(NOW)
    by_id = {a.id: a.platform_id for a in registry()}
    missing = {account for account, page_id in by_id.items() if page_id not in world.listed_ids()}
    assert missing == DEMO_NOT_OWNED


def test_expected_lapses_and_unknowns_name_only_real_checks() -> None:
    assert all(checks <= CHECK_IDS for checks in DEMO_EXPECTED.values())
    assert set(DEMO_UNKNOWN) <= set(DEMO_EXPECTED)
    assert all(checks <= CHECK_IDS for checks in DEMO_UNKNOWN.values())
    planted = [account for account, checks in DEMO_EXPECTED.items() if checks]
    clean = [a for a, checks in DEMO_EXPECTED.items() if not checks and a not in DEMO_UNKNOWN]
    social_planted = [a for a, checks in SOCIAL_PLANTED.items() if checks]
    overdue = [
        a
        for a in SOCIAL_PLANTED
        if a not in DEMO_ATTESTATIONS or DEMO_ATTESTATIONS[a][1] > ATTESTATION_VALID_DAYS
    ]
    assert len(planted) == 9 + len(set(social_planted) | set(overdue))
    assert len(clean) == 3  # the social accounts all have work_email unknown


def test_the_principal_is_a_manage_admin_except_where_that_is_the_planted_problem() -> None:
    world = demo_world(NOW)
    for account in registry():
        page = page_of(world, account)
        managers = {role.user_id for role in page.roles if "MANAGE" in role.tasks}
        principal_ok = account.principals[0].user_id in managers
        assert principal_ok == ("principal_admin" not in DEMO_EXPECTED[account.id]), account.id
        two_ok = len(managers) >= 2
        assert two_ok == ("two_admins" not in DEMO_EXPECTED[account.id]), account.id


def test_signature_email_and_privacy_match_the_planted_problems() -> None:
    world = demo_world(NOW)
    for account in registry():
        page = page_of(world, account)
        expected = DEMO_EXPECTED[account.id]
        logo = {DEMO_IMAGES.get(f"{page.id}-{image}.jpg") for image in ("cover", "picture")}
        signed = DISTRICT in f"{page.name}\n{page.about}\n{page.description}" or "district" in logo
        assert signed == ("signature" not in expected), account.id
        work = all(email.endswith("@" + DOMAIN) for email in page.emails) and bool(page.emails)
        assert work == ("work_email" not in expected), account.id
        too_public = account.audience == "private" and page.is_published
        assert too_public == ("privacy" in expected), account.id


def test_freshness_and_comments_match_the_planted_problems() -> None:
    world = demo_world(NOW)
    for account in registry():
        page = page_of(world, account)
        expected = DEMO_EXPECTED[account.id]
        newest = max(post.created_time for post in page.posts)
        assert (NOW - newest > timedelta(days=30)) == ("freshness" in expected), account.id
        answered = {c.parent_id for p in page.posts for c in p.comments if c.from_id == page.id}
        overdue = [
            c
            for p in page.posts
            for c in p.comments
            if NOW - c.created_time > timedelta(hours=24)
            and not (c.is_hidden or c.user_likes or c.id in answered or c.from_id == page.id)
        ]
        assert bool(overdue) == ("comments" in expected), account.id


def test_the_demo_moves_with_the_clock() -> None:
    later = NOW + timedelta(days=100)
    first, second = demo_world(NOW), demo_world(later)
    for page_id in first.page_ids():
        a, b = first.page(page_id), second.page(page_id)
        assert a is not None and b is not None
        assert [p.created_time + timedelta(days=100) for p in a.posts] == [
            p.created_time for p in b.posts
        ]
        assert a.token == b.token
