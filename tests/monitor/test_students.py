"""`socmon students`: the roster import (validated, hashed, all or nothing), status, resolve."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from checks.names import Roster
from monitor.roster_store import NO_ROSTER, load_roster
from monitor.store.db import make_engine, session_factory, transaction
from monitor.store.models import (
    CheckState,
    LapseEvent,
    PrivacyResolution,
    RosterImport,
    StudentNameKey,
    StudentRow,
)
from socmon.cli import main

KEY = "test-roster-key-0123456789abcdef"
TOML = """
state_dir = "state"
registry = "accounts.yaml"
[district]
name = "Coast Mountains School District 82"
signature_texts = ["Coast Mountains School District 82"]
email_domains = ["cmsd82.ca"]
[platforms.facebook]
base_url = "http://127.0.0.1:9"
token_secret = "SOCMON_FACEBOOK_TOKEN"
"""
REGISTRY = """accounts:
  - id: hillcrest-fb
    platform: facebook
    platform_id: "100"
    school: Hillcrest Elementary
    managers: [j.smith@cmsd82.ca]
    principals: [{name: Ann Lee}]
  - id: bayview-fb
    platform: facebook
    platform_id: "200"
    school: Bayview Secondary
    managers: [j.smith@cmsd82.ca]
"""
HEADER = "student_id,first_name,last_name,preferred_name,school,consent\n"
GOOD = (
    HEADER
    + "S-1,Quentin,Farrowdale,,Hillcrest Elementary,first_name\n"
    + "S-2,Rosalind,Ubertini,Roz,hillcrest  elementary,FULL\n"
    + "S-3,Ximena,Oyelaran-Best,,Bayview Secondary,none\n"
)
NAMES = ("Quentin", "Farrowdale", "Rosalind", "Ubertini", "Ximena", "Oyelaran")


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "accounts.yaml").write_text(REGISTRY, encoding="utf-8")
    path = tmp_path / "socmon.toml"
    path.write_text(TOML, encoding="utf-8")
    monkeypatch.setenv("SOCMON_ROSTER_KEY", KEY)
    assert run("db", "upgrade", "--config", str(path))[0] == 0
    return path


def run(*args: str) -> tuple[int, str]:
    """Run socmon in-process; (exit code, stdout + stderr is read by capsys in the tests)."""
    try:
        main(list(args))
    except SystemExit as done:
        return int(done.code or 0), ""
    return 0, ""


def _roster(tmp_path: Path, text: str) -> str:
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def _counts(config: Path) -> tuple[int, int, int]:
    engine = make_engine(f"sqlite:///{config.parent / 'state' / 'socmon.db'}")
    with session_factory(engine)() as s:
        counts = tuple(
            s.scalar(select(func.count()).select_from(model)) or 0
            for model in (StudentRow, StudentNameKey, RosterImport)
        )
    engine.dispose()
    return counts  # type: ignore[return-value]


def test_import_keeps_ids_schools_consents_and_hashes_but_never_a_name(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run("students", "import", _roster(tmp_path, GOOD), "--config", str(config))
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "imported 3 students of 2 schools" in out.out
    assert "1 none, 1 first_name, 1 full" in out.out
    engine = make_engine(f"sqlite:///{config.parent / 'state' / 'socmon.db'}")
    with session_factory(engine)() as s:
        rows = {r.student_id: (r.school, r.consent) for r in s.scalars(select(StudentRow))}
        keys = s.scalars(select(StudentNameKey.key_hash)).all()
    engine.dispose()
    assert rows == {
        "S-1": ("Hillcrest Elementary", "first_name"),
        "S-2": ("Hillcrest Elementary", "full"),
        "S-3": ("Bayview Secondary", "none"),
    }
    assert keys and all(len(k) == 32 for k in keys)
    database = b"".join(p.read_bytes() for p in (config.parent / "state").glob("socmon.db*"))
    for name in NAMES:
        assert name.encode() not in database and name.lower().encode() not in database
        assert name not in out.out + out.err


def test_a_new_import_replaces_the_whole_roster(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run("students", "import", _roster(tmp_path, GOOD), "--config", str(config))
    one = HEADER + "S-9,Quentin,Farrowdale,,Bayview Secondary,full\n"
    assert run("students", "import", _roster(tmp_path, one), "--config", str(config))[0] == 0
    students, _, imports = _counts(config)
    assert (students, imports) == (1, 2)


BAD_ROWS = {
    "unknown_consent": ("S-1,Quentin,Farrowdale,,Hillcrest Elementary,maybe", "line 2 (consent)"),
    "empty_first_name": ("S-1,,Farrowdale,,Hillcrest Elementary,full", "line 2 (first_name)"),
    "no_letters": ("S-1,Quentin,---,,Hillcrest Elementary,full", "line 2 (last_name)"),
    "bad_id": ("S 1,Quentin,Farrowdale,,Hillcrest Elementary,full", "line 2 (student_id)"),
    "unknown_school": ("S-1,Quentin,Farrowdale,,Hilcrest Elem,full", "line 2 (school)"),
    "extra_cell": ("S-1,Quentin,Farrowdale,,Hillcrest Elementary,full,x", "line 2"),
}


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_a_bad_row_is_one_line_naming_file_line_and_column_and_nothing_is_written(
    case: str, config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    row, where = BAD_ROWS[case]
    path = _roster(tmp_path, HEADER + row + "\n" + "S-7,Ximena,Oyelaran,,Bayview Secondary,none\n")
    code, _ = run("students", "import", path, "--config", str(config))
    err = capsys.readouterr().err
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}:{where}"), err
    assert "Traceback" not in err
    for name in NAMES:
        assert name not in err
    assert _counts(config) == (0, 0, 0)


def test_a_duplicate_student_id_names_both_lines(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = GOOD + "S-2,Other,Person,,Bayview Secondary,none\n"
    code, _ = run("students", "import", _roster(tmp_path, text), "--config", str(config))
    err = capsys.readouterr().err
    assert code == 2
    assert "line 5 (student_id): duplicate student_id 'S-2' (first on line 3)" in err


def test_missing_or_unknown_columns_are_named_on_line_1(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "student_id,first_name,surname,school,consent\nS-1,Q,F,Hillcrest Elementary,full\n"
    code, _ = run("students", "import", _roster(tmp_path, text), "--config", str(config))
    err = capsys.readouterr().err
    assert code == 2
    assert "line 1: unknown column 'surname'" in err
    assert "line 1: required column 'last_name' is missing" in err


def test_without_the_key_secret_import_names_it_exits_2_and_writes_nothing(
    config: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SOCMON_ROSTER_KEY")
    code, _ = run("students", "import", _roster(tmp_path, GOOD), "--config", str(config))
    err = capsys.readouterr().err
    assert code == 2
    assert "students.key_secret" in err and "SOCMON_ROSTER_KEY" in err
    assert _counts(config) == (0, 0, 0)


def test_status_says_when_no_roster_is_imported_and_then_how_many(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("students", "status", "--config", str(config))[0] == 1
    assert "no consent roster imported" in capsys.readouterr().out
    run("students", "import", _roster(tmp_path, GOOD), "--config", str(config))
    capsys.readouterr()
    assert run("students", "status", "--config", str(config))[0] == 0
    assert "consent roster: 3 students" in capsys.readouterr().out


def test_the_roster_loads_only_with_the_key_it_was_imported_with(
    config: Path, tmp_path: Path
) -> None:
    engine = make_engine(f"sqlite:///{config.parent / 'state' / 'socmon.db'}")
    with session_factory(engine)() as s:
        assert load_roster(s, KEY.encode(), ()) == NO_ROSTER
    run("students", "import", _roster(tmp_path, GOOD), "--config", str(config))
    with session_factory(engine)() as s:
        roster = load_roster(s, KEY.encode(), ["Ann Lee"])
        assert isinstance(roster, Roster)
        found = {(m.student.student_id, m.kind) for m in roster.find("Go Roz Ubertini!")}
        assert ("S-2", "full") in found
        assert "another key" in str(load_roster(s, b"a-different-key-0123456789", ()))
        assert load_roster(s, "secret SOCMON_ROSTER_KEY is not set", ()) == (
            "secret SOCMON_ROSTER_KEY is not set"
        )
    engine.dispose()


def _finding(config: Path, post_id: str, student_id: str) -> None:
    """A current student_privacy lapse on hillcrest-fb naming this post and student."""
    engine = make_engine(f"sqlite:///{config.parent / 'state' / 'socmon.db'}")
    at = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    finding = {"post_id": post_id, "student_id": student_id, "reason": "full name"}
    with transaction(session_factory(engine)) as s:
        s.add(
            CheckState(
                account_id="hillcrest-fb",
                check_id="student_privacy",
                status="lapse",
                detail="hillcrest-fb: 1 post names students beyond their consent.",
                evidence={"findings": [finding]},
                since=at,
                checked_at=at,
            )
        )
    engine.dispose()


def test_resolve_refuses_a_post_and_student_that_are_not_a_current_finding(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _finding(config, "100_7", "S-1")
    args = ["students", "resolve", "hillcrest-fb", "100_7", "S-2", "--answer", "consent"]
    code, _ = run(*args, "--by", "j.smith@cmsd82.ca", "--config", str(config))
    assert code == 2
    assert "100_7 S-2: is not a current student_privacy finding" in capsys.readouterr().err


def test_resolve_records_who_when_and_why_with_an_event(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _finding(config, "100_7", "S-1")
    args = ["students", "resolve", "hillcrest-fb", "100_7", "S-1", "--answer", "consent"]
    code, _ = run(
        *args, "--by", "J.Smith@cmsd82.ca", "--note", "form on file", "--config", str(config)
    )
    assert code == 0, capsys.readouterr().err
    assert "consent on file recorded for post 100_7, student S-1" in capsys.readouterr().out
    engine = make_engine(f"sqlite:///{config.parent / 'state' / 'socmon.db'}")
    with session_factory(engine)() as s:
        row = s.scalars(select(PrivacyResolution)).one()
        event = s.scalars(select(LapseEvent)).one()
    engine.dispose()
    assert (row.account_id, row.post_id, row.student_id, row.kind) == (
        "hillcrest-fb", "100_7", "S-1", "consent",
    )  # fmt: skip
    assert (row.by, row.note) == ("j.smith@cmsd82.ca", "form on file")
    assert event.check_id == "student_privacy" and event.actor == "j.smith@cmsd82.ca"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["nope-fb", "1", "S-1", "--answer", "edited", "--by", "a@cmsd82.ca"], "ACCOUNT:nope-fb"),
        (["hillcrest-fb", "1", "S-1", "--answer", "edited", "--by", "a@gmail.com"], "--by"),
    ],
)
def test_resolve_refuses_an_unknown_account_or_an_outside_email(
    args: list[str], says: str, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run("students", "resolve", *args, "--config", str(config))
    assert code == 2
    assert says in capsys.readouterr().err


def test_a_misspelt_student_info_kind_is_named_with_its_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "accounts.yaml").write_text(REGISTRY, encoding="utf-8")
    path = tmp_path / "socmon.toml"
    path.write_text(TOML + '[checks]\nstudent_info_kinds = ["school", "schol"]\n', encoding="utf-8")
    code, _ = run("accounts", "validate", "--config", str(path))
    err = capsys.readouterr().err
    assert code == 2
    assert "checks.student_info_kinds" in err and "'schol'" in err
