"""The no-API connector: an empty snapshot that leaves every fact unknown, never clean."""

from __future__ import annotations

from recorded import NOW

from connectors.base import Fact
from connectors.no_api import GROUPS_GONE, NoApiConnector


async def test_every_fact_is_unexposed_with_the_reason_and_the_clock_is_the_callers() -> None:
    snap = await NoApiConnector("facebook_group", GROUPS_GONE, lambda: NOW).fetch("g1")
    assert (snap.platform, snap.platform_id, snap.fetched_at) == ("facebook_group", "g1", NOW)
    assert dict(snap.unexposed) == {fact: GROUPS_GONE for fact in Fact}
    assert not any(snap.exposes(fact) for fact in Fact)
