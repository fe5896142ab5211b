"""The two 2026 clock changes in the district's zone (America/Vancouver): 8 March and 1 November.

The scheduler's triggers move forward in real time through both nights (the repeated
01:00 hour fires once per real hour, the skipped 02:00 hour not at all), status measures
"two intervals" in elapsed time, and the digest fires once at 07:00 district time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from daemon_helpers import upgraded_app, write_config

from monitor.settings import Schedule
from monitor.store.db import transaction
from monitor.store.models import Cycle
from notifications.service import due_periods
from socmon.daemon.jobs import check_trigger, digest_trigger, next_fire
from socmon.status import build_status

TZ = ZoneInfo("America/Vancouver")
# 00:00 local on each night, in UTC: the changes happen at 02:00 local.
SPRING = datetime(2026, 3, 8, 8, 0, tzinfo=UTC)  # 02:00 PST becomes 03:00 PDT
FALL = datetime(2026, 11, 1, 7, 0, tzinfo=UTC)  # 02:00 PDT becomes 01:00 PST
NIGHTS = [pytest.param(SPRING, id="2026-03-08"), pytest.param(FALL, id="2026-11-01")]


def _fires(every: int, start: datetime, hours: int = 6) -> list[datetime]:
    """Fire times as the scheduler asks for them: previous fire time, now just after it."""
    trigger = check_trigger(Schedule(check_every_minutes=every, first_hour=0, last_hour=23), TZ)
    fires: list[datetime] = []
    prev, now = None, start
    for _ in range(hours * 60):  # bounded: a trigger stuck on one time fails, not hangs
        nxt = trigger.get_next_fire_time(prev, now)
        assert nxt is not None
        fires.append(nxt.astimezone(UTC))
        prev, now = nxt, nxt + timedelta(milliseconds=50)
        if now >= start + timedelta(hours=hours):
            return fires
    raise AssertionError(f"the trigger never got past {fires[-1]:%H:%MZ}")


@pytest.mark.parametrize("every", [30, 60])
@pytest.mark.parametrize("night", NIGHTS)
def test_the_check_trigger_moves_forward_in_real_time_through_the_night(
    night: datetime, every: int
) -> None:
    fires = _fires(every, night)

    gaps = {(b - a) for a, b in pairwise(fires)}
    local_hours = [f.astimezone(TZ).hour for f in fires]
    assert fires == sorted(set(fires))  # strictly forward: the catch-up loop always ends
    assert gaps == {timedelta(minutes=every)}  # one check per interval of real time
    if night == FALL:
        assert local_hours.count(1) == 2 * 60 // every  # 01:00 happens twice, checked twice
    else:
        assert 2 not in local_hours  # 02:00 does not exist that night


@pytest.mark.parametrize("night", NIGHTS)
def test_a_fire_time_asked_again_just_after_it_is_never_answered_with_itself(
    night: datetime,
) -> None:
    trigger = check_trigger(Schedule(check_every_minutes=60, first_hour=0, last_hour=23), TZ)
    for fire in _fires(60, night):
        again = trigger.get_next_fire_time(fire, fire + timedelta(milliseconds=50))
        assert again is not None and again > fire


def _status_at(tmp_path: Path, last: datetime, now: datetime) -> bool:
    app = upgraded_app(write_config(tmp_path, first_hour=0, last_hour=23), clock=lambda: now)
    with transaction(app.sessions) as session:
        session.add(
            Cycle(started_at=last - timedelta(minutes=2), finished_at=last, accounts_total=0)
        )
    return build_status(app, now).stale


@pytest.mark.parametrize("minutes", [75, 90, 105, 120, 135, 150])
@pytest.mark.parametrize("night", NIGHTS)
def test_status_turns_stale_after_two_hours_of_elapsed_time_whatever_the_clocks_do(
    tmp_path: Path, night: datetime, minutes: int
) -> None:
    last = night + timedelta(minutes=minutes)  # a cycle finished around the change

    fresh = _status_at(tmp_path / "a", last, last + timedelta(hours=1, minutes=59))
    stale = _status_at(tmp_path / "b", last, last + timedelta(hours=3))

    assert (fresh, stale) == (False, True)


@pytest.mark.parametrize(
    ("night", "expected"),
    [
        pytest.param(SPRING, datetime(2026, 3, 8, 14, 0, tzinfo=UTC), id="2026-03-08 07:00 PDT"),
        pytest.param(FALL, datetime(2026, 11, 1, 15, 0, tzinfo=UTC), id="2026-11-01 07:00 PST"),
    ],
)
def test_the_daily_digest_fires_once_at_seven_district_time_on_the_day_of_the_change(
    tmp_path: Path, night: datetime, expected: datetime
) -> None:
    app = upgraded_app(write_config(tmp_path))
    trigger = digest_trigger(app.settings)

    first = next_fire(trigger, night - timedelta(hours=9))  # from the evening before
    assert first is not None
    second = next_fire(trigger, first)

    assert first == expected
    assert second is not None and second - first == timedelta(hours=24)  # real hours: one day
    assert ("daily", expected.astimezone(TZ).date().isoformat()) in due_periods(app.settings, first)
    assert not any(
        kind == "daily" and period == str(first.astimezone(TZ).date())
        for kind, period in due_periods(app.settings, first - timedelta(minutes=1))
    )
