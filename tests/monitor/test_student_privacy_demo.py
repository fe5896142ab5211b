"""After a whole demo, no roster name is anywhere: database, logs, report, outbox, web pages."""

from __future__ import annotations

import csv
import email
import email.policy
import os
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from checks.names import COMMON_WORD_NAMES
from monitor.registry import load_registry
from monitor.store.db import make_engine, session_factory, transaction
from monitor.store.models import CheckState, User
from sandbox.students import STUDENT_PLANTED
from socmon.demo import DEMO_ROSTER, EXAMPLES
from socmon.web.app import create_app
from socmon.web.auth import hash_password

PASSWORD = "correct horse battery staple"


def _plain(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def roster_names() -> set[str]:
    """Every name in the example roster a leak would show: full names, surnames, first names.

    Words that are also a registry staff member's name (the demo's principal who shares a
    student's name) or everyday words ("hope") are left out: they are in the files for
    another reason.
    """
    registry = load_registry(EXAMPLES / "accounts.example.yaml", ("cmsd82.ca",))
    staff_words = {w.casefold() for a in registry for p in a.principals for w in p.name.split()}
    names: set[str] = set()
    with DEMO_ROSTER.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            words = [
                row["first_name"],
                row["last_name"],
                row["preferred_name"],
                f"{row['first_name']} {row['last_name']}",
            ]
            for word in filter(None, words):
                parts = {w.casefold() for w in word.split()}
                if parts & staff_words or parts <= COMMON_WORD_NAMES:
                    continue
                names |= {word, _plain(word)}
                names |= {w for w in word.split("-") if len(w) > 3}
    return names


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """One `socmon demo` run as a separate process, logging at DEBUG."""
    state = tmp_path_factory.mktemp("demo") / "state"
    env = {**os.environ, "SOCMON_LOG_LEVEL": "DEBUG"}
    done = subprocess.run(
        [sys.executable, "-m", "socmon", "demo", "--state-dir", str(state)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    yield state, done.stdout + done.stderr


def _leaks(blob: str, names: set[str]) -> list[str]:
    folded = blob.casefold()
    return sorted(n for n in names if n.casefold() in folded)


def test_the_example_roster_has_names_to_look_for() -> None:
    names = roster_names()
    assert {"Thornbury", "Okonkwo", "Marchand", "Maya Thornbury"} <= names


def test_the_demo_finds_the_planted_students_by_id(demo: tuple[Path, str]) -> None:
    state, output = demo
    engine = make_engine(f"sqlite:///{state / 'socmon.db'}")
    with session_factory(engine)() as session:
        lapsing = {
            row.account_id: row.evidence
            for row in session.scalars(
                select(CheckState).where(
                    CheckState.check_id == "student_privacy", CheckState.status == "lapse"
                )
            )
        }
    engine.dispose()
    assert set(lapsing) == STUDENT_PLANTED
    ids = {f["student_id"] for e in lapsing.values() for f in e["findings"]}
    assert ids == {"S-20001", "S-20002", "S-20003", "S-20005", "S-20006", "S-20007"}
    assert "[student S-20001]" in str(lapsing["riverside-elementary-fb"])
    assert "students beyond their consent" in output


RIVERSIDE_POST = "https://www.facebook.com/100000000000004/posts/s1"


def test_the_digest_shows_the_lapse_with_the_posts_link_in_text_and_html(
    demo: tuple[Path, str],
) -> None:
    state, _ = demo
    digests = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in (state / "outbox").glob("*.eml")
    ]
    riverside = [m for m in digests if "Riverside Elementary" in str(m.get_body(("plain",)))]
    assert riverside
    for message in riverside:
        for kind in ("plain", "html"):
            body = message.get_body((kind,))
            assert body is not None
            text = body.get_content()
            assert "Posts respect students' consent" in text.replace("&#39;", "'")
            assert RIVERSIDE_POST in text and "S-20001" in text


def test_no_roster_name_is_in_the_database_logs_report_or_outbox(
    demo: tuple[Path, str],
) -> None:
    state, output = demo
    names = roster_names()
    files = [p for p in state.rglob("*") if p.is_file()]
    assert any(p.suffix == ".eml" for p in files)
    assert any(p.name.startswith("socmon.db") for p in files)
    for path in files:
        blob = path.read_bytes().decode("utf-8", errors="replace")
        assert _leaks(blob, names) == [], path
    assert "DEBUG" in output or "level=debug" in output.lower()
    assert _leaks(output, names) == []


def test_no_roster_name_is_on_the_web_pages(demo: tuple[Path, str]) -> None:
    state, _ = demo
    from socmon.demo import demo_settings

    settings = demo_settings(state, "http://127.0.0.1:9")
    # Served over plain http in the test: no secure-only cookies.
    settings = settings.model_copy(
        update={"web": settings.web.model_copy(update={"public_url": "http://127.0.0.1"})}
    )
    engine = make_engine(settings.db_url)
    sessions = session_factory(engine)
    with transaction(sessions) as session:
        session.add(
            User(
                email="comms@cmsd82.ca",
                role="comms",
                password_hash=hash_password(PASSWORD),
                created_at=datetime.now(UTC),
            )
        )
    app = create_app(
        settings, sessions, lambda: datetime.now(UTC), SecretStr("demo-web-secret-for-the-test")
    )
    names = roster_names()
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=True) as client:
        login = client.get("/login").text
        token = login.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        client.post(
            "/login",
            data={"email": "comms@cmsd82.ca", "password": PASSWORD, "csrf": token, "next": "/"},
        )
        pages = ["/", "/lapses.csv", "/directory"]
        pages += [f"/accounts/{account_id}" for account_id in sorted(STUDENT_PLANTED)]
        for page in pages:
            response = client.get(page)
            assert response.status_code == 200, page
            assert _leaks(response.text, names) == [], page
        account_page = client.get("/accounts/riverside-elementary-fb").text
        assert "students beyond their consent" in account_page
        assert RIVERSIDE_POST in account_page
    engine.dispose()
