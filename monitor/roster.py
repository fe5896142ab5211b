"""`socmon students import`: the student information system's consent export, validated.

The CSV has the columns student_id, first_name, last_name, preferred_name, school,
consent. Every problem names the file, the line and the column, never the name in it;
nothing is stored unless every row is valid. Names live only in memory here: the
store keeps keyed hashes of them (monitor.roster_store).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from checks.names import CONSENTS, fold_name
from monitor.errors import Problem, UserError
from monitor.secrets import SecretMissing, resolve_secret
from monitor.settings import Settings

COLUMNS = ("student_id", "first_name", "last_name", "preferred_name", "school", "consent")
REQUIRED = ("student_id", "first_name", "last_name", "school", "consent")
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MIN_KEY_CHARS = 16


@dataclass(frozen=True, slots=True, repr=False)
class RosterEntry:
    """One validated row; holds names in clear, so it is never logged or stored as is."""

    student_id: str
    first_name: str
    last_name: str
    preferred_name: str
    school: str
    consent: str

    def __repr__(self) -> str:  # never print a name by accident
        return f"RosterEntry({self.student_id!r}, school={self.school!r})"


def roster_key(settings: Settings, environ: Mapping[str, str] | None = None) -> bytes:
    """The HMAC key from the secret named by [students] key_secret; SecretMissing otherwise."""
    name = settings.students.key_secret
    value = resolve_secret(name, environ).get_secret_value()
    if len(value) < MIN_KEY_CHARS:
        raise SecretMissing(f"secret {name} is shorter than {MIN_KEY_CHARS} characters")
    return value.encode("utf-8")


def _schools(registry_schools: Sequence[str]) -> dict[str, str]:
    """Folded school name -> the registry's spelling, so case and spaces do not matter."""
    return {" ".join(s.casefold().split()): s for s in registry_schools}


def read_roster(path: Path, registry_schools: Sequence[str]) -> list[RosterEntry]:
    """Parse and validate the export; UserError with one problem per mistake."""
    src = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # spreadsheets often add a BOM
    except FileNotFoundError:
        raise UserError.one(src, "", "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError.one(src, "", f"cannot read CSV (save it as UTF-8): {exc}") from None
    schools = _schools(registry_schools)
    problems: list[Problem] = []
    entries: list[RosterEntry] = []
    seen: dict[str, int] = {}
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
        problems += [
            Problem(src, "line 1", f"unknown column {h!r}") for h in header if h not in COLUMNS
        ]
        problems += [
            Problem(src, "line 1", f"required column {c!r} is missing")
            for c in REQUIRED
            if c not in header
        ]
        if problems:
            raise UserError(problems)
        for row in reader:
            line = reader.line_num
            if None in row:
                problems.append(Problem(src, f"line {line}", "more cells than columns"))
                continue
            clean = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
            if not any(clean.values()):
                continue  # a blank spreadsheet row
            entry = _entry(src, line, clean, schools, problems)
            if entry is None:
                continue
            if entry.student_id in seen:
                problems.append(
                    Problem(
                        src,
                        f"line {line} (student_id)",
                        f"duplicate student_id {entry.student_id!r} (first on line "
                        f"{seen[entry.student_id]})",
                    )
                )
                continue
            seen[entry.student_id] = line
            entries.append(entry)
    except csv.Error as exc:
        raise UserError.one(src, "", f"not valid CSV: {exc}") from None
    if problems:
        raise UserError(problems)
    if not entries:
        raise UserError.one(src, "", "no students in the file")
    return entries


def _entry(
    src: str, line: int, row: dict[str, str], schools: dict[str, str], problems: list[Problem]
) -> RosterEntry | None:
    """One row as an entry, or None after adding its problems (never quoting a name)."""
    before = len(problems)

    def bad(column: str, what: str) -> None:
        problems.append(Problem(src, f"line {line} ({column})", what))

    student_id = row.get("student_id", "")
    if not student_id:
        bad("student_id", "is empty")
    elif not STUDENT_ID.match(student_id):
        bad("student_id", "must be letters, digits, '.', '_' or '-' (at most 64)")
    for column in ("first_name", "last_name"):
        value = row.get(column, "")
        if not value:
            bad(column, "is empty")
        elif not fold_name(value):
            bad(column, "has no letters")
    preferred = row.get("preferred_name", "")
    if preferred and not fold_name(preferred):
        bad("preferred_name", "has no letters")
    consent = row.get("consent", "").lower()
    if consent not in CONSENTS:
        bad("consent", f"must be one of {', '.join(CONSENTS)} (got {consent or 'nothing'!r})")
    school_text = row.get("school", "")
    school = schools.get(" ".join(school_text.casefold().split()), "")
    if not school_text:
        bad("school", "is empty")
    elif not school:
        bad("school", f"{school_text!r} is not a school of the accounts registry")
    if len(problems) > before:
        return None
    return RosterEntry(student_id, row["first_name"], row["last_name"], preferred, school, consent)
