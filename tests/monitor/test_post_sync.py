"""Per-post sync state: the cycle keeps each account's marks and hands them to the next read."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from store_factories import T0, account
from test_cycle import clean_snapshot, make_app

from checks.capabilities import checks_for
from connectors.base import AccountSnapshot, SyncMark, Unavailable
from monitor.cycle import run_cycle
from monitor.store.models import PostSync


@dataclass
class SyncingFake:
    """Hands back marks it was given plus one of its own; records what it was given."""

    snapshots: dict[str, AccountSnapshot]
    platform: str = "facebook"
    given: list[dict[str, SyncMark]] = field(default_factory=list)
    fail: bool = False

    async def fetch(self, platform_id: str) -> AccountSnapshot:
        return await self.fetch_since(platform_id, {})

    async def fetch_since(self, platform_id: str, known: Mapping[str, SyncMark]) -> AccountSnapshot:
        self.given.append(dict(known))
        if self.fail:
            raise Unavailable("Facebook unavailable")
        sync = {"post-1": SyncMark("2026-11-20T08:15:00+0000", 3)}
        return dataclasses.replace(self.snapshots[platform_id], sync=sync)


def stored(app_sessions: object) -> list[tuple[str, str, str, int]]:
    with app_sessions() as session:  # type: ignore[operator]
        rows = session.scalars(select(PostSync))
        return [(r.account_id, r.post_id, r.marker, r.comments) for r in rows]


def test_the_next_cycle_is_given_the_marks_the_last_complete_read_left(tmp_path: Path) -> None:
    acct = account("hillcrest-fb")
    app = make_app(tmp_path, [acct])
    fake = SyncingFake({acct.platform_id: clean_snapshot(acct)})
    asyncio.run(run_cycle(app, {"facebook": fake}, checks_for=lambda a: checks_for(a.platform)))
    assert stored(app.sessions) == [("hillcrest-fb", "post-1", "2026-11-20T08:15:00+0000", 3)]
    asyncio.run(run_cycle(app, {"facebook": fake}, checks_for=lambda a: checks_for(a.platform)))
    assert fake.given == [{}, {"post-1": SyncMark("2026-11-20T08:15:00+0000", 3, T0)}]


def test_a_post_skipped_for_a_day_is_read_in_full_again(tmp_path: Path) -> None:
    acct = account("hillcrest-fb")
    app = make_app(tmp_path, [acct])
    fake = SyncingFake({acct.platform_id: clean_snapshot(acct)})
    specs = {"checks_for": lambda a: checks_for(a.platform)}
    asyncio.run(run_cycle(app, {"facebook": fake}, **specs))  # type: ignore[arg-type]

    async def carry(platform_id: str, known: Mapping[str, SyncMark]) -> AccountSnapshot:
        fake.given.append(dict(known))  # skipped: the marks go on with their first read time
        return dataclasses.replace(clean_snapshot(acct), sync=dict(known))

    fake.fetch_since = carry  # type: ignore[method-assign]
    app.clock = lambda: T0 + timedelta(hours=12)
    asyncio.run(run_cycle(app, {"facebook": fake}, **specs))  # type: ignore[arg-type]
    app.clock = lambda: T0 + timedelta(hours=25)
    asyncio.run(run_cycle(app, {"facebook": fake}, **specs))  # type: ignore[arg-type]
    assert [list(g) for g in fake.given] == [[], ["post-1"], []]


def test_a_failed_read_keeps_the_stored_marks(tmp_path: Path) -> None:
    acct = account("hillcrest-fb")
    app = make_app(tmp_path, [acct])
    fake = SyncingFake({acct.platform_id: clean_snapshot(acct)})
    asyncio.run(run_cycle(app, {"facebook": fake}, checks_for=lambda a: checks_for(a.platform)))
    fake.fail = True
    asyncio.run(run_cycle(app, {"facebook": fake}, checks_for=lambda a: checks_for(a.platform)))
    assert [row[1] for row in stored(app.sessions)] == ["post-1"]


def test_a_read_that_settles_nothing_clears_the_accounts_marks(tmp_path: Path) -> None:
    acct = account("hillcrest-fb")
    app = make_app(tmp_path, [acct])
    fake = SyncingFake({acct.platform_id: clean_snapshot(acct)})
    asyncio.run(run_cycle(app, {"facebook": fake}, checks_for=lambda a: checks_for(a.platform)))

    async def nothing_settled(platform_id: str, known: Mapping[str, SyncMark]) -> AccountSnapshot:
        return clean_snapshot(acct)

    fake.fetch_since = nothing_settled  # type: ignore[method-assign]
    asyncio.run(run_cycle(app, {"facebook": fake}, checks_for=lambda a: checks_for(a.platform)))
    assert stored(app.sessions) == []
