"""Shared fixtures: real databases (a SQLite file; PostgreSQL on 127.0.0.1:5432 when it answers)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from monitor.store.db import make_engine
from monitor.store.migrate import upgrade

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _pg_available() -> str | None:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN.replace("+psycopg", ""), connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"no PostgreSQL server answers on 127.0.0.1:5432 ({exc.__class__.__name__})"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database, dropped afterwards."""
    import psycopg

    reason = _pg_available()
    if reason:
        pytest.skip(reason)
    name = f"socmon_test_{uuid.uuid4().hex[:10]}"
    admin = PG_ADMIN.replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An upgraded database of each kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'socmon.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    eng = make_engine(url)
    upgrade(eng)
    yield eng
    eng.dispose()
