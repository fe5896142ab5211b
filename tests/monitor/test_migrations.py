"""Alembic from the first table: upgrade from empty and from an older revision; refuse a stale database."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, inspect

from monitor.errors import UserError
from monitor.store.migrate import _config, current_revision, ensure_current, head_revision, upgrade


def test_a_fresh_database_is_upgraded_to_the_head_revision(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    ensure_current(engine)  # does not raise
    names = set(inspect(engine).get_table_names())
    assert {"accounts", "check_runs", "check_states", "lapses", "lapse_events", "outbox"} <= names


def test_a_database_behind_is_refused_until_it_is_upgraded(engine: Engine) -> None:
    command.downgrade(_config(engine), "0001")
    try:
        ensure_current(engine)
    except UserError as exc:
        assert "at revision 0001" in str(exc) and "socmon db upgrade" in str(exc)
    else:
        raise AssertionError("a database behind the code was accepted")
    upgrade(engine)
    ensure_current(engine)
    indexes = {ix["name"] for ix in inspect(engine).get_indexes("check_states")}
    assert "ix_check_states_status" in indexes
