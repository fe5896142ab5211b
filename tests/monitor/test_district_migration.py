"""Migration 0017: the old pseudo-account rows become district-wide rows, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine, select
from store_factories import T0

from checks.base import Finding, Status
from checks.district import DistrictFinding, Subject
from monitor.lapses import record_district
from monitor.store.db import session_factory, transaction
from monitor.store.migrate import _config, upgrade
from monitor.store.models import CheckState, DistrictState, Lapse, LapseEvent, UTCDateTime

BEFORE = "0003"  # the revision before district scope
PAGE = "100000000000099"


def _table(name: str, *columns: tuple[str, Any]) -> sa.TableClause:
    return sa.table(name, *(sa.column(c, t) for c, t in columns))


LAPSES = _table(
    "lapses",
    ("account_id", sa.String), ("check_id", sa.String), ("status", sa.String),
    ("opened_at", UTCDateTime()), ("last_seen_at", UTCDateTime()), ("detail", sa.Text),
    ("evidence", sa.JSON), ("muted_by", sa.String), ("mute_reason", sa.Text),
)  # fmt: skip
EVENTS = _table(
    "lapse_events",
    ("lapse_id", sa.Integer), ("account_id", sa.String), ("check_id", sa.String),
    ("at", UTCDateTime()), ("kind", sa.String), ("actor", sa.String), ("note", sa.Text),
    ("detail", sa.Text),
)  # fmt: skip
STATES = _table(
    "check_states",
    ("account_id", sa.String), ("check_id", sa.String), ("status", sa.String),
    ("detail", sa.Text), ("evidence", sa.JSON), ("since", UTCDateTime()),
    ("checked_at", UTCDateTime()),
)  # fmt: skip


def _old_rows(engine: Engine) -> None:
    """What a database before 0017 held: pseudo-accounts and per-account stand-ins."""
    lapse = {
        "status": "open",
        "opened_at": T0,
        "last_seen_at": T0,
        "muted_by": "",
        "mute_reason": "",
    }
    state = {"since": T0, "checked_at": T0}
    with engine.begin() as conn:
        for account_id, check_id, evidence in (
            ("credential-facebook", "connector_health", {"platform": "facebook"}),
            (f"unregistered-facebook-{PAGE}", "registered", {"page_id": PAGE}),
            ("hillcrest-fb", "two_admins", {}),
        ):
            conn.execute(
                LAPSES.insert().values(
                    account_id=account_id,
                    check_id=check_id,
                    detail="old",
                    evidence=evidence,
                    **lapse,
                )
            )
            lapse_id = conn.execute(
                select(sa.column("id"))
                .select_from(sa.table("lapses"))
                .where(sa.column("account_id") == account_id)
            ).scalar_one()
            conn.execute(
                EVENTS.insert().values(
                    lapse_id=lapse_id, account_id=account_id, check_id=check_id, at=T0,
                    kind="opened", actor="socmon", note="", detail="old",
                )
            )  # fmt: skip
        for account_id, check_id, status, detail in (
            ("credential-facebook", "connector_health", "lapse", "the token expired."),
            (f"unregistered-facebook-{PAGE}", "registered", "lapse", "not in the directory."),
            ("hillcrest-fb", "connector_health", "unknown", "checked once per cycle."),
            ("hillcrest-fb", "registered", "unknown", "ownership is compared once per cycle."),
            ("bayview-fb", "registered", "pass", "the page is owned by the business."),
            ("hillcrest-fb", "two_admins", "lapse", "only 1 admin."),
        ):
            conn.execute(
                STATES.insert().values(
                    account_id=account_id, check_id=check_id, status=status, detail=detail,
                    evidence={}, **state,
                )
            )  # fmt: skip


def test_old_pseudo_account_rows_become_district_wide_rows(engine: Engine) -> None:
    command.downgrade(_config(engine), BEFORE)
    _old_rows(engine)
    upgrade(engine)
    with session_factory(engine)() as s:
        lapses = {
            (lp.scope, lp.account_id, lp.platform, lp.subject, lp.check_id)
            for lp in s.scalars(select(Lapse))
        }
        assert lapses == {
            ("district", "", "facebook", "facebook", "connector_health"),
            ("district", "", "facebook", PAGE, "registered"),
            ("account", "hillcrest-fb", "", "", "two_admins"),
        }
        events = {(e.account_id, e.check_id) for e in s.scalars(select(LapseEvent))}
        assert events == {
            ("", "connector_health"),
            ("", "registered"),
            ("hillcrest-fb", "two_admins"),
        }
        district = {
            (d.check_id, d.platform, d.subject): d.status for d in s.scalars(select(DistrictState))
        }
        assert district == {
            ("connector_health", "facebook", "facebook"): "lapse",
            ("registered", "facebook", PAGE): "lapse",
        }
        # The per-account stand-ins (always unknown) are gone; real verdicts stay.
        states = {(c.account_id, c.check_id): c.status for c in s.scalars(select(CheckState))}
        assert states == {
            ("bayview-fb", "registered"): "pass",
            ("hillcrest-fb", "two_admins"): "lapse",
        }


def test_a_migrated_district_lapse_keeps_its_lifecycle_one_open_lapse_then_resolved(
    engine: Engine,
) -> None:
    command.downgrade(_config(engine), BEFORE)
    _old_rows(engine)
    upgrade(engine)
    page = Subject.page("facebook", PAGE)
    later = T0 + timedelta(days=1)
    sessions = session_factory(engine)
    still = DistrictFinding(
        page, Finding("registered", Status.LAPSE, "still not in the directory.")
    )
    with transaction(sessions) as s:
        changes = record_district(s, [still], later)
    assert changes.opened == []  # the migrated lapse is the open one: no duplicate
    passed = DistrictFinding(page, Finding("registered", Status.PASS, "now registered."))
    with transaction(sessions) as s:
        changes = record_district(s, [passed], later)
    assert len(changes.resolved) == 1
    with sessions() as s:
        (lapse,) = s.scalars(select(Lapse).where(Lapse.check_id == "registered")).all()
        assert (lapse.status, lapse.subject, lapse.detail) == (
            "resolved",
            PAGE,
            "still not in the directory.",
        )


def test_downgrading_turns_district_rows_back_into_pseudo_accounts(engine: Engine) -> None:
    command.downgrade(_config(engine), BEFORE)
    _old_rows(engine)
    upgrade(engine)
    command.downgrade(_config(engine), BEFORE)
    with engine.connect() as conn:
        ids = set(conn.execute(sa.text("SELECT account_id FROM lapses")).scalars())
        states = set(conn.execute(sa.text("SELECT account_id FROM check_states")).scalars())
    assert ids == {"credential-facebook", f"unregistered-facebook-{PAGE}", "hillcrest-fb"}
    assert {"credential-facebook", f"unregistered-facebook-{PAGE}"} <= states
    upgrade(engine)
