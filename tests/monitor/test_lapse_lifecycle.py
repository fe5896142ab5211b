"""The lapse lifecycle on real databases (SQLite file and PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from store_factories import T0, finding

from monitor.lapses import LapseNotFound, expire_mutes, mute_lapse, record_findings
from monitor.store.db import session_factory, transaction
from monitor.store.models import CheckState, Lapse, LapseEvent

ACCT = "hillcrest-fb"


def apply(engine: Engine, status: str, at_hours: float = 0, detail: str = "") -> None:
    with transaction(session_factory(engine)) as s:
        record_findings(
            s, ACCT, [finding("two_admins", status, detail)], T0 + timedelta(hours=at_hours)
        )


def lapses(engine: Engine) -> list[Lapse]:
    with session_factory(engine)() as s:
        return list(s.scalars(select(Lapse).order_by(Lapse.id)))


def events(engine: Engine) -> list[str]:
    with session_factory(engine)() as s:
        return [e.kind for e in s.scalars(select(LapseEvent).order_by(LapseEvent.id))]


def test_it_opens_a_lapse_on_the_first_lapse_finding(engine: Engine) -> None:
    apply(engine, "lapse")
    [lapse] = lapses(engine)
    assert (lapse.status, lapse.opened_at, lapse.resolved_at) == ("open", T0, None)
    assert events(engine) == ["opened"]


def test_it_keeps_one_lapse_while_the_check_keeps_failing(engine: Engine) -> None:
    apply(engine, "lapse")
    apply(engine, "lapse", 1)
    apply(engine, "lapse", 2)
    [lapse] = lapses(engine)
    assert lapse.last_seen_at == T0 + timedelta(hours=2)
    assert events(engine) == ["opened"]


def test_it_records_a_change_event_when_the_detail_changes(engine: Engine) -> None:
    apply(engine, "lapse", 0, "acct: 1 comment.")
    apply(engine, "lapse", 1, "acct: 3 comments.")
    [lapse] = lapses(engine)
    assert lapse.detail == "acct: 3 comments."
    assert events(engine) == ["opened", "changed"]


def test_it_resolves_the_lapse_on_the_next_pass(engine: Engine) -> None:
    apply(engine, "lapse")
    apply(engine, "pass", 1)
    [lapse] = lapses(engine)
    assert (lapse.status, lapse.resolved_at) == ("resolved", T0 + timedelta(hours=1))
    assert events(engine) == ["opened", "resolved"]


def test_it_leaves_the_lapse_untouched_on_unknown(engine: Engine) -> None:
    apply(engine, "lapse")
    apply(engine, "unknown", 1)
    [lapse] = lapses(engine)
    assert (lapse.status, lapse.last_seen_at) == ("open", T0)
    assert events(engine) == ["opened"]


def test_unknown_never_opens_a_lapse(engine: Engine) -> None:
    apply(engine, "unknown")
    assert lapses(engine) == []


def test_it_opens_a_new_lapse_when_the_check_fails_again_after_resolving(engine: Engine) -> None:
    apply(engine, "lapse")
    apply(engine, "pass", 1)
    apply(engine, "lapse", 2)
    first, second = lapses(engine)
    assert (first.status, second.status) == ("resolved", "open")
    assert second.opened_at == T0 + timedelta(hours=2)


def test_it_keeps_the_current_state_of_each_check(engine: Engine) -> None:
    apply(engine, "lapse")
    apply(engine, "unknown", 1)
    with session_factory(engine)() as s:
        state = s.get(CheckState, (ACCT, "two_admins"))
    assert state is not None
    assert (state.status, state.since, state.checked_at) == (
        "unknown",
        T0 + timedelta(hours=1),
        T0 + timedelta(hours=1),
    )


def test_the_database_refuses_a_second_open_lapse_for_the_same_check(engine: Engine) -> None:
    apply(engine, "lapse")
    with pytest.raises(IntegrityError), transaction(session_factory(engine)) as s:
        s.add(
            Lapse(
                account_id=ACCT,
                check_id="two_admins",
                status="open",
                opened_at=T0,
                last_seen_at=T0,
                detail="dup",
                evidence={},
            )
        )


def test_a_muted_lapse_stays_recorded_and_comes_back_when_the_mute_expires(engine: Engine) -> None:
    apply(engine, "lapse")
    [lapse] = lapses(engine)
    until = (T0 + timedelta(days=2)).date()
    with transaction(session_factory(engine)) as s:
        mute_lapse(s, lapse.id, reason="page being rebuilt", by="c@cmsd82.ca", until=until, at=T0)
    apply(engine, "lapse", 24)  # still within the mute
    assert lapses(engine)[0].status == "muted"
    apply(engine, "lapse", 24 * 3)  # the day after `until`
    assert lapses(engine)[0].status == "open"
    assert events(engine) == ["opened", "muted", "unmuted"]


def test_expire_mutes_reopens_lapses_even_without_a_new_finding(engine: Engine) -> None:
    apply(engine, "lapse")
    [lapse] = lapses(engine)
    with transaction(session_factory(engine)) as s:
        mute_lapse(s, lapse.id, reason="r", by="c@cmsd82.ca", until=date(2026, 11, 24), at=T0)
    with transaction(session_factory(engine)) as s:
        assert expire_mutes(s, T0 + timedelta(days=1)) == []
        assert expire_mutes(s, T0 + timedelta(days=2)) == [lapse.id]
    assert lapses(engine)[0].status == "open"


def test_a_muted_lapse_resolves_when_the_check_passes(engine: Engine) -> None:
    apply(engine, "lapse")
    [lapse] = lapses(engine)
    with transaction(session_factory(engine)) as s:
        mute_lapse(s, lapse.id, reason="r", by="c@cmsd82.ca", until=date(2026, 12, 31), at=T0)
    apply(engine, "pass", 1)
    assert lapses(engine)[0].status == "resolved"


def test_muting_a_resolved_lapse_is_refused(engine: Engine) -> None:
    apply(engine, "lapse")
    apply(engine, "pass", 1)
    [lapse] = lapses(engine)
    with pytest.raises(LapseNotFound), transaction(session_factory(engine)) as s:
        mute_lapse(s, lapse.id, reason="r", by="c@cmsd82.ca", until=date(2026, 12, 31), at=T0)
